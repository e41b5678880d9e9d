"""Kernel builds: kunit.py command lines, ccache, build directories and
the make line, for the KUnit layers, the check pipeline, the end-to-end
kernels and the benchmark."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path
from typing import Optional, Sequence

from . import config
from .errors import Exit, PclError

# kunit.py's base configuration for UML, as the check pipeline's builds
# start from it.
UML_ARCH_CONFIG = 'tools/testing/kunit/configs/arch_uml.config'


def kunit_py(tree: Path) -> Path:
    return tree / 'tools/testing/kunit/kunit.py'


def tree_suffix(tree: Path) -> str:
    """'' for the managed tree, '-<hash>' for a user's tree (KERNEL_TREE),
    so that each tree's build products have names of their own."""
    if tree.resolve() == config.managed_tree().resolve():
        return ''
    return '-' + hashlib.sha1(str(tree.resolve()).encode()).hexdigest()[:8]


def build_dir(tree: Path, name: str) -> Path:
    """build/out/<name>; a user's tree (KERNEL_TREE) gets its own."""
    return config.out_dir(name + tree_suffix(tree))


def make_options() -> list[str]:
    """What every build passes make (through kunit.py --make_options or
    directly): the same everywhere, so one build finds nothing to redo
    after another."""
    return ['CC=ccache gcc'] if shutil.which('ccache') else []


def env() -> dict[str, str]:
    """The environment of a build: ccache's directory under build/."""
    return dict(os.environ, CCACHE_DIR=str(config.ccache_dir()))


def kunit_command(tree: Path, action: str, out: Path,
                  kunitconfigs: Sequence[Path],
                  qemu_config: Optional[Path] = None,
                  qemu_args: Sequence[str] = (),
                  timeout: Optional[int] = None) -> list[str]:
    """kunit.py <action> for one configuration, built in out."""
    cmd = [sys.executable, str(kunit_py(tree)), action, f'--build_dir={out}']
    cmd += [f'--kunitconfig={p}' for p in kunitconfigs]
    cmd += [f'--make_options={o}' for o in make_options()]
    if qemu_config:
        cmd.append(f'--qemu_config={qemu_config}')
        if qemu_args:
            cmd.append('--qemu_args=' + ' '.join(qemu_args))
    if timeout is not None:
        cmd.append(f'--timeout={timeout}')
    return cmd


def make_command(out: Path, *targets: str, jobs: int = 0) -> list[str]:
    """make for UML in out, as kunit.py runs it."""
    cmd = ['make', *targets, 'ARCH=um', f'O={out}']
    if jobs:
        cmd.append(f'--jobs={jobs}')
    return cmd + make_options()


def uml_config(tree: Path, kunitconfigs: Sequence[Path]) -> str:
    """UML's kunit.py base config plus the kunitconfig fragments."""
    arch = tree / UML_ARCH_CONFIG
    parts = [arch.read_text() if arch.exists() else '']
    parts += [p.read_text() for p in kunitconfigs]
    return '\n'.join(parts) + '\n'


# The kernel ARCH= of a .config, by the option only that architecture sets.
_ARCH_OPTIONS = (('CONFIG_UML=y', 'um'), ('CONFIG_X86_64=y', 'x86_64'))


def config_arch(dot_config: Path) -> str:
    """The ARCH= a .config was made for (UML or x86_64, make bench's
    machines)."""
    lines = set(dot_config.read_text(errors='replace').splitlines())
    for option, arch in _ARCH_OPTIONS:
        if option in lines:
            return arch
    raise PclError(Exit.INTERNAL,
                   f'{dot_config}: not a UML or x86_64 configuration: no '
                   f'architecture to build for')
