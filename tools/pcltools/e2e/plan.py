"""tests/e2e/plan, tests/e2e/bench-plan and tests/e2e/lock-bench-plan:
the programs, in the order init runs them, with their time limits; and
the variants a kernel is booted in.  A variant is a machine (UML, or QEMU
x86_64 SMP), a kernel and a command line:

  stock     the pristine base (tag pcl-base) built with the series'
            configuration: what the series is measured against
  on        the series

on one of the test disk's filesystems: ext2 (keys stock, on), ext4
(ext4-stock, ext4-on) or XFS (xfs-stock, xfs-on), booted with
FS_PARAM, which tells init what to mount.

The series' kernels are those of make test's KUnit layers (layers.py),
booted with kunit.enable=0; smp-stock and smp-on are the same on QEMU,
where the kernels carry the debug configs (lockdep, KASAN): the programs
run under lockdep there.  make test runs them all.  The stock kernel is
booted with STOCK_PARAM, which tells init (and through it the programs)
which kernel it runs: the series has no switch to look at.

make bench's in-kernel benchmark boots bench-uml and bench-smp: the
series built with kconfigs/bench.config (no debug options), loading the
benchmark module (bench/) with tests/e2e/lock-bench-plan.  Its
fault-scheme comparison boots stock and schemes (smp-stock and
smp-schemes on QEMU) with
tests/e2e/fault-bench-plan: schemes is the series with bench/patches
applied (schemetree.py), built with the series' configuration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import Exit, PclError
from .disk import FILESYSTEMS

SOURCES = Path('tests/e2e')
PLAN = SOURCES / 'plan'
BENCH_PLAN = SOURCES / 'bench-plan'     # make bench's programs
LOCK_BENCH_PLAN = SOURCES / 'lock-bench-plan'    # the benchmark module
FAULT_BENCH_PLAN = SOURCES / 'fault-bench-plan'  # the fault schemes
BENCH_VARIANTS = ('stock', 'on')
FIO_PLAN = SOURCES / 'fio-bench-plan'      # make bench's fio part
FIO_FILESYSTEMS = ('ext4', 'xfs')
FIO_KERNELS = ('stock', 'on', 'invlock')
STOCK_PARAM = 'pcl_e2e.stock=1'
FS_PARAM = 'pcl_e2e.fs='


@dataclass(frozen=True)
class Variant:
    key: str                    # command line name
    name: str                   # KTAP suite name, run directory
    title: str
    layer: str                  # key of layers.all_layers(): its kernel
    stock: bool = False         # built from the stock tree instead
    boot_args: tuple[str, ...] = ()
    bench: bool = False         # layer from layers.bench_layers()
    patched: str = ''           # a kind of schemetree.KINDS: patched kernel
    fs: str = 'ext2'            # the test disk's filesystem

    @property
    def column(self) -> str:
        """The variant's column in the stock / series table."""
        return self.key.removeprefix('smp-')

    @property
    def smp(self) -> bool:
        return self.layer == 'smp'


def _variants() -> dict[str, Variant]:
    out: dict[str, Variant] = {}
    for prefix, layer, where in (('', 'uml', 'UML'),
                                 ('smp-', 'smp', 'QEMU x86_64 SMP')):
        for fs in FILESYSTEMS:
            fs_key = '' if fs == 'ext2' else f'{fs}-'
            suite = 'e2e' + ('_smp' if prefix else '') + \
                ('' if fs == 'ext2' else f'_{fs}')
            for v in (Variant('stock', f'{suite}_stock', 'stock 6.12',
                              layer, stock=True, boot_args=(STOCK_PARAM,)),
                      Variant('on', suite, 'series', layer)):
                key = prefix + fs_key + v.key
                out[key] = Variant(key, v.name, f'{where}, {fs}: {v.title}',
                                   layer, v.stock,
                                   v.boot_args + (FS_PARAM + fs,), fs=fs)
        out[prefix + 'schemes'] = Variant(
            prefix + 'schemes', f'bench_{prefix}schemes'.replace('-', '_'),
            f'{where}: series with bench/patches (fault schemes)', layer,
            patched='schemes')
        out[f'bench-{layer}'] = Variant(f'bench-{layer}', f'bench_{layer}',
                                        f'{where}: series, benchmark '
                                        'configuration', layer, bench=True)
    # make bench's fio part: the benchmark configuration on QEMU, for
    # stock, the series and stock with bench/invlock, on ext4 and XFS.
    for fs in FIO_FILESYSTEMS:
        for kind, title, stock, patched in (
                ('stock', 'stock 6.12', True, ''),
                ('on', 'series', False, ''),
                ('invlock', 'stock with bench/invlock', True, 'invlock')):
            key = f'fio-{fs}-{kind}'
            out[key] = Variant(
                key, key.replace('-', '_'),
                f'QEMU x86_64 SMP, {fs}: {title}, benchmark configuration',
                'smp', stock, ((STOCK_PARAM,) if stock else ()) +
                (FS_PARAM + fs,), bench=True, patched=patched, fs=fs)
    return out


VARIANTS = _variants()
# make test's variants, and --all's, in the order they boot.
ALL_VARIANTS = tuple(f'{prefix}{"" if fs == "ext2" else fs + "-"}{kind}'
                     for prefix in ('', 'smp-') for fs in FILESYSTEMS
                     for kind in ('stock', 'on'))


@dataclass(frozen=True)
class Program:
    name: str
    limit: int                  # seconds init lets it run
    argv: tuple[str, ...]


def read_plan(path: Path) -> list[Program]:
    """Parse tests/e2e/plan: 'name limit program [args...]' lines."""
    programs: list[Program] = []
    try:
        text = path.read_text()
    except OSError as e:
        raise PclError(Exit.USAGE, f'{path}: cannot read the plan ({e})')
    for n, raw in enumerate(text.splitlines(), 1):
        words = raw.split('#', 1)[0].split()
        if not words:
            continue
        if len(words) < 3 or not words[1].isdigit() or int(words[1]) <= 0:
            raise PclError(Exit.USAGE, f'{path}:{n}: expected "name '
                           f'seconds program [args...]", got: {raw.strip()}')
        if not re.fullmatch(r'[A-Za-z0-9_]+', words[0]):
            raise PclError(Exit.USAGE, f'{path}:{n}: bad program name '
                           f'{words[0]!r} (letters, digits, _)')
        if any(p.name == words[0] for p in programs):
            raise PclError(Exit.USAGE, f'{path}:{n}: {words[0]} twice')
        programs.append(Program(words[0], int(words[1]), tuple(words[2:])))
    if not programs:
        raise PclError(Exit.USAGE, f'{path}: no programs')
    return programs


def select(programs: list[Program], only: Optional[str]) -> list[Program]:
    if not only:
        return programs
    wanted = [w for w in only.split(',') if w]
    unknown = [w for w in wanted if w not in {p.name for p in programs}]
    if unknown:
        raise PclError(Exit.USAGE, 'unknown e2e program(s): ' +
                       ', '.join(unknown) + ' (known: ' +
                       ', '.join(p.name for p in programs) + ')')
    return [p for p in programs if p.name in wanted]
