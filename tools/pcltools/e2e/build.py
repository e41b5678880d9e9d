"""Building what the end-to-end layer boots: the programs (make -C
tests/e2e) and the UML kernels (kunit.py build with kconfigs/e2e.config,
plus kconfigs/lockdep.config for the lockdep variant), each only when
something it is built from changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Optional

from .. import buildlog, config, gitutil, kbuild, ui
from ..errors import Exit, PclError
from .plan import Variant


def _run_logged(cmd: list[str], cwd: Path, log: Path, what: str,
                env: Optional[dict[str, str]] = None) -> int:
    """Run cmd with its output in log (never on our stdout)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with ui.step(what, heartbeat=ui.HEARTBEAT), log.open('w') as f:
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=f,
                                  stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL,
                                  env=env).returncode
        except FileNotFoundError as e:
            raise PclError(Exit.MISSING_PACKAGES,
                           f'{what}: {e.filename}: command not found')


def build_programs(src: Path, out: Path) -> Path:
    """make -C tests/e2e O=out: incremental; the first errors on failure."""
    log = out / 'build.log'
    rc = _run_logged(['make', '-C', str(src), f'O={out}'], src, log,
                     'Building the e2e programs',
                     dict(os.environ, LC_ALL='C'))
    if rc != 0:
        text = log.read_text(errors='replace')
        errors = buildlog.first_errors(text) or '\n'.join(
            text.splitlines()[-15:])
        raise PclError(Exit.BUILD_FAILED, 'the e2e programs do not build '
                       f'(full log: {log}):\n{errors}')
    return out


def tree_state(tree: Path) -> str:
    """What the kernel is built from, as far as git can tell: HEAD plus
    any change to tracked files and any untracked or ignored file outside
    build products (the Debian tree ignores everything)."""
    parts = []
    for cmd in (['rev-parse', 'HEAD'], ['diff', 'HEAD', '--binary'],
                ['status', '--porcelain', '--ignored=matching',
                 '--untracked-files=all']):
        out = gitutil.git_bytes(tree, *cmd)
        if out is None:
            return ''
        parts.append(out)
    return hashlib.sha256(b'\0'.join(parts)).hexdigest()


def kernel_stamp(tree: Path, fragments: list[Path]) -> str:
    state = tree_state(tree)
    if not state:
        return ''
    h = hashlib.sha256(state.encode())
    for frag in fragments:
        h.update(frag.name.encode() + b'\0' + frag.read_bytes())
    return h.hexdigest()


def kernel_dir(root: Path, tree: Path, variant: Variant) -> Path:
    """<root>/kernel[-lockdep]; a user's tree (KERNEL_TREE) gets its own,
    named as build directories are named."""
    return root / kbuild.build_dir(tree, variant.kernel).name


def build_kernel(root: Path, tree: Path, variant: Variant,
                 rebuild: bool = False) -> Path:
    """kunit.py build for the variant; skipped when the stamp matches."""
    fragments = [config.kconfigs_dir() / f for f in variant.fragments]
    out = kernel_dir(root, tree, variant)
    binary = out / 'linux'
    for frag in fragments:
        if not frag.is_file():
            raise PclError(Exit.USAGE, f'{frag}: no such kconfig fragment')
    stamp_file = out / '.pcl-e2e-stamp'
    stamp = kernel_stamp(tree, fragments)
    if not rebuild and stamp and binary.exists() and stamp_file.exists() \
            and stamp_file.read_text().strip() == stamp:
        ui.info(f'UML kernel {out.name}: up to date (nothing changed)')
        return binary
    stamp_file.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    cmd = kbuild.kunit_command(tree, 'build', out, fragments)
    env = kbuild.env()
    log = out / 'build.log'
    rc = _run_logged(cmd, tree, log, f'Building the UML kernel '
                     f'({" + ".join(variant.fragments)}) in {out}', env)
    if rc != 0 or not binary.exists():
        text = log.read_text(errors='replace')
        problem = buildlog.config_problem(text)
        errors = problem or buildlog.first_errors(text) or '\n'.join(
            text.splitlines()[-15:])
        raise PclError(Exit.BUILD_FAILED, 'the e2e UML kernel does not '
                       f'build (full log: {log}):\n{errors}')
    if stamp:
        stamp_file.write_text(stamp + '\n')
    return binary
