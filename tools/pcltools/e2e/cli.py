"""tools/pcl e2e: its options and command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from .. import config, ui
from ..errors import Exit, PclError
from .disk import FILESYSTEMS
from .plan import ALL_VARIANTS, PLAN, VARIANTS
from .plan import Variant
from .plan import read_plan, select
from .run import Options, run


def _filesystems(value: str) -> list[str]:
    wanted = [w for w in value.split(',') if w]
    unknown = [w for w in wanted if w not in FILESYSTEMS]
    if unknown or not wanted:
        raise PclError(Exit.USAGE, f'--fs {value!r}: unknown or no '
                       f'filesystem (known: {", ".join(FILESYSTEMS)})')
    return wanted


def _variants(args: argparse.Namespace) -> list[Variant]:
    """--stock/--on choose the kernels (default --on), --smp and
    --uml the machines (default UML; both when both are given), --fs the
    test disk's filesystems (default ext2)."""
    filesystems = _filesystems(args.fs or 'ext2')
    if args.all:
        return [VARIANTS[k] for k in ALL_VARIANTS
                if not args.fs or VARIANTS[k].fs in filesystems]
    kinds = [k for k in ('stock', 'on') if getattr(args, k)] or ['on']
    prefixes = (['smp-'] if args.smp else []) + \
        ([''] if args.uml or not args.smp else [])
    return [VARIANTS[k] for k in ALL_VARIANTS
            if any(k == p + ('' if VARIANTS[k].fs == 'ext2' else
                             VARIANTS[k].fs + '-') + kind
                   for p in prefixes for kind in kinds)
            and VARIANTS[k].fs in filesystems]


def cmd_e2e(args: argparse.Namespace,
            prepare: Callable[[argparse.Namespace], Path]) -> int:
    if args.timeout is not None and args.timeout <= 0:
        raise PclError(Exit.USAGE, '--timeout must be a positive number of '
                       'seconds')
    programs = select(read_plan(config.repo_root() / PLAN), args.only)
    variants = _variants(args)
    tree = prepare(args)
    opts = Options(variants, programs, args.timeout, args.rebuild,
                   Path(args.junit) if args.junit else None)
    code, counts = run(tree, opts, sys.stdout)
    ui.info(f'End-to-end: {counts.closing_line()}')
    return code


def add_parser(sub: 'argparse._SubParsersAction[argparse.ArgumentParser]',
               kernel_tree_opt: Callable[[argparse.ArgumentParser], None],
               prepare: Callable[[argparse.Namespace], Path]) -> None:
    sp = sub.add_parser('e2e', help='end-to-end programs on ext2, ext4 and '
                        'XFS, on the series and on stock 6.12 (UML, QEMU '
                        'x86_64 SMP)',
                        description='Build the tests/e2e programs and the '
                        'kernels (the KUnit layers\' kernels of the prepared '
                        'tree, and the stock base built with the same '
                        'configuration), boot each with the programs as '
                        'init, count their KTAP and print the case-by-kernel '
                        'table. Kernels: --stock, --on (default); '
                        'machines: --uml (default), --smp (lockdep and '
                        'KASAN).')
    kernel_tree_opt(sp)
    sp.add_argument('--stock', action='store_true',
                    help='the pristine base (tag pcl-base) built with the '
                    'same configuration')
    sp.add_argument('--on', action='store_true',
                    help='the series (the default)')
    sp.add_argument('--smp', action='store_true',
                    help='on QEMU x86_64 with 2 vCPUs (make run-smp\'s '
                    'kernel: lockdep, KASAN) instead of UML')
    sp.add_argument('--uml', action='store_true',
                    help='on UML (the default; with --smp: both)')
    sp.add_argument('--fs', metavar='LIST',
                    help='comma-separated test disk filesystems: '
                    f'{",".join(FILESYSTEMS)} (default ext2; with --all, '
                    'all of them)')
    sp.add_argument('--all', action='store_true',
                    help='stock and on, on both machines and every '
                    'filesystem (as make test)')
    sp.add_argument('--only', metavar='PROGRAMS',
                    help='comma-separated programs from tests/e2e/plan')
    sp.add_argument('--timeout', type=int, metavar='SECONDS',
                    help='wall-clock limit of one boot (default: the sum '
                    'of the programs\' limits plus margins)')
    sp.add_argument('--rebuild', action='store_true',
                    help='run kunit.py build even when nothing changed')
    sp.add_argument('--junit', metavar='FILE', help='write JUnit XML')
    sp.set_defaults(func=lambda args: cmd_e2e(args, prepare))
