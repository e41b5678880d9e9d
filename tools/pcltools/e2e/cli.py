"""tools/pcl e2e: its options and command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from .. import config, ui
from ..errors import Exit, PclError
from .plan import ALL_VARIANTS, OFF_PARAM, PLAN, VARIANTS, Variant
from .plan import read_plan, select
from .run import Options, run


def _variants(args: argparse.Namespace) -> list[Variant]:
    if args.all:
        return [VARIANTS[k] for k in ALL_VARIANTS]
    keys = [k for k in ALL_VARIANTS if getattr(args, k)]
    return [VARIANTS[k] for k in keys or ['on']]


def cmd_e2e(args: argparse.Namespace,
            prepare: Callable[[argparse.Namespace], Path]) -> int:
    if args.timeout is not None and args.timeout <= 0:
        raise PclError(Exit.USAGE, '--timeout must be a positive number of '
                       'seconds')
    programs = select(read_plan(config.repo_root() / PLAN), args.only)
    tree = prepare(args)
    opts = Options(_variants(args), programs, args.timeout, args.rebuild,
                   Path(args.junit) if args.junit else None)
    code, counts = run(tree, opts, sys.stdout)
    ui.info(f'End-to-end: {counts.closing_line()}')
    return code


def add_parser(sub: 'argparse._SubParsersAction[argparse.ArgumentParser]',
               kernel_tree_opt: Callable[[argparse.ArgumentParser], None],
               prepare: Callable[[argparse.Namespace], Path]) -> None:
    sp = sub.add_parser('e2e', help='end-to-end programs in UML userspace '
                        '(ext2 over a ubd image)',
                        description='Build the tests/e2e programs and a UML '
                        'kernel from the prepared tree, boot it with the '
                        'programs as init and count their KTAP. Variants: '
                        '--on (default), --lockdep, --off.')
    kernel_tree_opt(sp)
    sp.add_argument('--on', action='store_true',
                    help='the mechanism on (the default variant)')
    sp.add_argument('--lockdep', action='store_true',
                    help='kconfigs/e2e.config + kconfigs/lockdep.config')
    sp.add_argument('--off', action='store_true',
                    help=f'boot with {OFF_PARAM} (coherency baseline)')
    sp.add_argument('--all', action='store_true',
                    help='on, lockdep and off')
    sp.add_argument('--only', metavar='PROGRAMS',
                    help='comma-separated programs from tests/e2e/plan')
    sp.add_argument('--timeout', type=int, metavar='SECONDS',
                    help='wall-clock limit of one boot (default: the sum '
                    'of the programs\' limits plus margins)')
    sp.add_argument('--rebuild', action='store_true',
                    help='run kunit.py build even when nothing changed')
    sp.add_argument('--junit', metavar='FILE', help='write JUnit XML')
    sp.set_defaults(func=lambda args: cmd_e2e(args, prepare))
