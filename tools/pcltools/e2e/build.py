"""Building what the end-to-end layer boots: the programs (make -C
tests/e2e) and the kernels: the series' are those of make test's KUnit
layers (same build directory, same kunitconfigs), the stock kernels the
same configuration built from the stock tree; each only when something it
is built from changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .. import (buildlog, config, gitutil, kbuild, layers, schemetree,
               stocktree, ui)
from ..errors import Exit, PclError
from .plan import Variant


def run_logged(cmd: list[str], cwd: Path, log: Path, what: str,
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
    rc = run_logged(['make', '-C', str(src), f'O={out}'], src, log,
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


def kernel_stamp(tree: Path, fragments: list[Path], out: Path) -> str:
    """The tree's state, the fragments and the build directory's .config
    (which a KUnit run with other options may have changed)."""
    state = tree_state(tree)
    if not state:
        return ''
    h = hashlib.sha256(state.encode())
    for frag in fragments:
        h.update(frag.name.encode() + b'\0' + frag.read_bytes())
    dot_config = out / '.config'
    if dot_config.exists():
        h.update(dot_config.read_bytes())
    return h.hexdigest()


@dataclass
class Kernel:
    binary: Path
    note: str = ''              # options left out (stock)


def variant_layer(variant: Variant) -> layers.Layer:
    """The layer whose kernel the variant boots: a KUnit layer, or make
    bench's machine for the benchmark variants."""
    table = layers.bench_layers() if variant.bench else layers.all_layers()
    return table[variant.layer]


def kernel_dir(tree: Path, variant: Variant) -> Path:
    """The KUnit layer's build directory; build/out/stock-<layer> for the
    stock kernel, build/out/<kind>-<layer> for a patched one (schemes,
    invlock: schemetree.py; a user's tree gets its own, as build
    directories are named)."""
    layer = variant_layer(variant)
    name = f'{variant.patched}-{layer.name}' if variant.patched else \
        f'stock-{layer.name}' if variant.stock else layer.name
    return kbuild.build_dir(tree, name)


def build_kernel(tree: Path, variant: Variant,
                 rebuild: bool = False) -> Kernel:
    """kunit.py build for the variant's layer; skipped when the stamp
    matches.  The stock kernel: the stock tree, the layer's kunitconfigs
    cut to the options it knows."""
    layer = variant_layer(variant)
    out = kernel_dir(tree, variant)
    fragments = list(layer.kunitconfigs)
    for frag in fragments:
        if not frag.is_file():
            raise PclError(Exit.USAGE, f'{frag}: no such kconfig fragment')
    src, note = tree, ''
    out.mkdir(parents=True, exist_ok=True)
    if variant.stock:
        src = stocktree.ensure(tree)
        text, dropped = stocktree.cut_config(
            fragments, stocktree.known_symbols(src))
        cut = out / 'stock.kunitconfig'
        if not cut.exists() or cut.read_text() != text:
            cut.write_text(text)
        fragments = [cut]
        note = 'not in the stock tree: ' + ', '.join(dropped) if dropped \
            else ''
    if variant.patched:
        src = schemetree.ensure(tree, kind=variant.patched)
    binary = out / ('arch/x86/boot/bzImage' if layer.qemu_config
                    else 'linux')
    kind = schemetree.KINDS[variant.patched].title if variant.patched \
        else 'stock' if variant.stock else 'series'
    what = f'{kind} kernel ' \
        f'({layer.title.removeprefix("KUnit on ")}) in {out}'
    stamp_file = out / '.pcl-e2e-stamp'
    # The machine's --qemu_config file carries options too.
    inputs = fragments + ([layer.qemu_config] if layer.qemu_config else [])
    stamp = kernel_stamp(src, inputs, out)
    if not rebuild and stamp and binary.exists() and stamp_file.exists() \
            and stamp_file.read_text().strip() == stamp:
        ui.info(f'{what}: up to date (nothing changed)')
        return Kernel(binary, note)
    stamp_file.unlink(missing_ok=True)
    cmd = kbuild.kunit_command(src, 'build', out, fragments,
                               layer.qemu_config)
    log = out / 'build.log'
    rc = run_logged(cmd, src, log, f'Building the {what}', kbuild.env())
    if rc != 0 or not binary.exists():
        text = log.read_text(errors='replace')
        problem = buildlog.config_problem(text)
        errors = problem or buildlog.first_errors(text) or '\n'.join(
            text.splitlines()[-15:])
        raise PclError(Exit.BUILD_FAILED, f'the end-to-end {what} does not '
                       f'build (full log: {log}):\n{errors}')
    stamp = kernel_stamp(src, inputs, out)
    if stamp:
        stamp_file.write_text(stamp + '\n')
    return Kernel(binary, note)
