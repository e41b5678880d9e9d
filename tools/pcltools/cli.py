"""Command line of tools/pcl."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import unittest
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import (bench, config, deps, junit, kernlog, kunitrun,
               layers, lock, overlay, patchqueue, series, tally, testall, tree,
               ui)
from .check import cli as check_cli
from .e2e import cli as e2e_cli
from .errors import Exit, PclError


def _kernel_tree(args: argparse.Namespace) -> Optional[Path]:
    value = getattr(args, 'kernel_tree', None) or os.environ.get('KERNEL_TREE')
    return Path(value).expanduser().resolve() if value else None


def prepare_tree(kernel_tree: Optional[Path], reset: bool = False) -> Path:
    """The tree to build: the user's (KERNEL_TREE) or the managed one, with
    the series applied and kunit/ installed."""
    queue_ = series.read(config.patches_dir())
    if kernel_tree:
        tree.prepare_user(kernel_tree, queue_, config.overlay_dir())
        path = kernel_tree
    else:
        path = tree.prepare_managed(queue_, config.overlay_dir(), reset=reset)
    for rel in overlay.install(config.overlay_dir(), path):
        ui.info(f'installed kunit/{rel}')
    return path


def cmd_tree(args: argparse.Namespace) -> int:
    path = prepare_tree(_kernel_tree(args), reset=args.reset)
    print(path)
    return 0


def cmd_deps(args: argparse.Namespace) -> int:
    pkgs = config.BUILD_PACKAGES + config.TOOLTEST_PACKAGES
    if args.qemu:
        pkgs += config.QEMU_PACKAGES
    if args.e2e:
        pkgs += config.E2E_PACKAGES
    if args.check:
        pkgs += config.CHECK_PACKAGES
    version = deps.ensure(pkgs, base=not args.no_base)
    ui.info('packages present: ' + ' '.join(pkgs) +
            (f' {config.BASE_PACKAGE} ({version})' if version else ''))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    layer = layers.all_layers()[args.layer]
    path = prepare_tree(_kernel_tree(args))
    if layer.qemu_config:
        deps.ensure(config.QEMU_PACKAGES)
    extra = kunitrun.extra_args(args.kunit_args, args.suite)
    queue_len = len(series.read(config.patches_dir()))
    outcome = kunitrun.run(path, layer, extra, series_len=queue_len)
    if outcome.scan is not None and outcome.scan.reports:
        kernlog.print_scan(outcome.scan, outcome.build_dir / 'test.log')
    if args.json:
        kunitrun.save_json(outcome, Path(args.json))
        ui.info(f'kunit.py JSON results written to {args.json}')
    if args.junit:
        junit.write(Path(args.junit), {layer.name: outcome.counts})
        ui.info(f'JUnit XML written to {args.junit}')
    if outcome.code != Exit.OK:
        ui.error(f'{layer.title}: {outcome.message}')
    elif outcome.counts.total:
        ui.info(f'{layer.title}: {outcome.counts.closing_line()}')
    return int(outcome.code)


def cmd_test(args: argparse.Namespace) -> int:
    kt = _kernel_tree(args)
    return testall.run_all(lambda: prepare_tree(kt),
                           Path(args.junit) if args.junit else None,
                           args.only.split(',') if args.only else None)


class _Recorder(unittest.TextTestResult):
    """Keeps every case's outcome for --json."""

    def __init__(self, *a, **kw):  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.outcomes: list[dict[str, str]] = []

    def _note(self, test: unittest.TestCase, status: str) -> None:
        cls = type(test)
        self.outcomes.append({'group': f'{cls.__module__}.{cls.__name__}',
                              'name': getattr(test, '_testMethodName', str(test)),
                              'status': status})

    def addSuccess(self, test):  # type: ignore[no-untyped-def]
        super().addSuccess(test)
        self._note(test, 'PASS')

    def addFailure(self, test, err):  # type: ignore[no-untyped-def]
        super().addFailure(test, err)
        self._note(test, 'FAIL')

    def addError(self, test, err):  # type: ignore[no-untyped-def]
        super().addError(test, err)
        self._note(test, 'FAIL')

    def addSkip(self, test, reason):  # type: ignore[no-untyped-def]
        super().addSkip(test, reason)
        self._note(test, 'SKIP')

    def addExpectedFailure(self, test, err):  # type: ignore[no-untyped-def]
        super().addExpectedFailure(test, err)
        self._note(test, 'PASS')

    def addUnexpectedSuccess(self, test):  # type: ignore[no-untyped-def]
        super().addUnexpectedSuccess(test)
        self._note(test, 'FAIL')


def cmd_unittest(args: argparse.Namespace) -> int:
    root = config.repo_root()
    suite = unittest.defaultTestLoader.discover(
        str(root / 'tests/tools'), pattern=args.pattern, top_level_dir=str(root))
    runner = unittest.TextTestRunner(verbosity=2 if args.verbose else 1,
                                     resultclass=_Recorder, stream=sys.stdout)
    result = runner.run(suite)
    assert isinstance(result, _Recorder)
    counts = tally.Counts()
    for o in result.outcomes:
        counts.add_case(tally.Case(o['group'], o['name'], o['status']))
    if args.json:
        Path(args.json).write_text(json.dumps(result.outcomes, indent=1) + '\n')
    if args.junit:
        junit.write(Path(args.junit), {'tools': counts})
    print(counts.closing_line(), flush=True)
    return 0 if result.wasSuccessful() and counts.total else 1


def cmd_queue_prepare(args: argparse.Namespace) -> int:
    dest = Path(args.dir).expanduser().resolve() if args.dir else \
        _kernel_tree(args)
    patchqueue.prepare(dest, series.read(config.patches_dir()), config.overlay_dir())
    return 0


def cmd_queue_export(args: argparse.Namespace) -> int:
    src = Path(args.dir).expanduser().resolve() if args.dir else \
        (_kernel_tree(args) or config.managed_tree())
    changed = patchqueue.export(src, config.patches_dir(), config.overlay_dir())
    if changed:
        ui.info('patches/ updated: ' + ', '.join(changed))
    else:
        ui.info('patches/ unchanged')
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    log = Path(args.log)
    if not log.is_file():
        raise PclError(Exit.USAGE, f'{log}: no such file')
    scan = kernlog.scan(log.read_text(errors='replace'))
    kernlog.print_scan(scan, log)
    return int(Exit.KERNEL_REPORTS) if scan.unexpected else 0


def cmd_junit(args: argparse.Namespace) -> int:
    layers_: dict[str, tally.Counts] = {}
    for name in args.json:
        path = Path(name)
        try:
            obj = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise PclError(Exit.USAGE, f'{path}: not a kunit.py JSON file ({e})')
        layers_[path.stem] = tally.from_kunit_json(obj, path.stem)
    junit.write(Path(args.output), layers_)
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    targets = [config.build_root() / 'out', config.qemu_accel_cache()]
    if args.all:
        targets = [config.build_root()]
    for t in targets:
        if t.is_dir():
            shutil.rmtree(t)
        elif t.exists():
            t.unlink()
        ui.info(f'removed {t}')
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='pcl', description='pagecache-lock tools')
    sub = p.add_subparsers(dest='command', required=True, metavar='COMMAND')

    def kernel_tree_opt(sp: argparse.ArgumentParser) -> None:
        sp.add_argument('--kernel-tree', metavar='DIR',
                        help='your own kernel git tree (default: $KERNEL_TREE, '
                        'else the managed tree build/linux)')

    sp = sub.add_parser('tree', help='prepare the kernel tree (base, series, '
                        'kunit/) and print its path')
    kernel_tree_opt(sp)
    sp.add_argument('--reset', action='store_true',
                    help='re-apply the series on pcl-base, discarding local '
                    'changes in the managed tree')
    sp.set_defaults(func=cmd_tree)

    sp = sub.add_parser('deps', help='install missing Debian packages')
    sp.add_argument('--qemu', action='store_true')
    sp.add_argument('--e2e', action='store_true')
    sp.add_argument('--check', action='store_true',
                    help='what check and validate need (b4, python3-ply ...)')
    sp.add_argument('--no-base', action='store_true',
                    help=f'do not check {config.BASE_PACKAGE}')
    sp.set_defaults(func=cmd_deps)

    sp = sub.add_parser('run', help='run the KUnit suites with kunit.py')
    kernel_tree_opt(sp)
    sp.add_argument('--layer', choices=sorted(layers.all_layers()),
                    default='uml')
    sp.add_argument('--suite', metavar='GLOB', help='kunit.py filter_glob')
    sp.add_argument('--junit', metavar='FILE', help='write JUnit XML')
    sp.add_argument('--json', metavar='FILE', help='write kunit.py JSON')
    sp.add_argument('kunit_args', nargs=argparse.REMAINDER,
                    help='after --: arguments passed to kunit.py run')
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser('test', help='every layer, with one closing count')
    kernel_tree_opt(sp)
    sp.add_argument('--junit', metavar='FILE')
    sp.add_argument('--only', metavar='LAYERS',
                    help='comma-separated subset of the KUnit layers and '
                    'validate: ' + ','.join([*layers.TEST_LAYERS,
                                             'validate']) +
                    ' (the tool tests and the end-to-end layer always run)')
    sp.set_defaults(func=cmd_test)

    e2e_cli.add_parser(sub, kernel_tree_opt,
                   lambda args: prepare_tree(_kernel_tree(args)))
    bench.add_parser(sub, kernel_tree_opt,
                     lambda args: prepare_tree(_kernel_tree(args)))

    check_cli.add_parsers(sub)

    sp = sub.add_parser('unittest', help='tests of the tools (tests/tools)')
    sp.add_argument('--json', metavar='FILE')
    sp.add_argument('--junit', metavar='FILE')
    sp.add_argument('--pattern', default='test_*.py')
    sp.add_argument('-v', '--verbose', action='store_true')
    sp.set_defaults(func=cmd_unittest)

    sp = sub.add_parser('queue', help='patch queue round trip')
    qsub = sp.add_subparsers(dest='queue_command', required=True,
                             metavar='ACTION')
    qp = qsub.add_parser('prepare', help='apply patches/ as commits in a tree')
    qp.add_argument('dir', nargs='?', help='default: $KERNEL_TREE or build/linux')
    qp.set_defaults(func=cmd_queue_prepare, kernel_tree=None)
    qe = qsub.add_parser('export', help='write the commits back to patches/')
    qe.add_argument('dir', nargs='?', help='default: $KERNEL_TREE or build/linux')
    qe.set_defaults(func=cmd_queue_export, kernel_tree=None)

    sp = sub.add_parser('scan', help='scan a kernel log for kernel reports')
    sp.add_argument('log')
    sp.set_defaults(func=cmd_scan)

    sp = sub.add_parser('junit', help='convert kunit.py JSON files to JUnit XML')
    sp.add_argument('json', nargs='+')
    sp.add_argument('-o', '--output', required=True)
    sp.set_defaults(func=cmd_junit)

    sp = sub.add_parser('clean', help='remove build outputs')
    sp.add_argument('--all', action='store_true',
                    help='also the managed tree and ccache (all of build/)')
    sp.set_defaults(func=cmd_clean)
    return p


# Commands that only read their input or the repository: no lock needed.
# check and validate work in their own scratch tree and build directory
# (build/validate, with its own lock) and lock only to create the base.
UNLOCKED = {'deps', 'unittest', 'scan', 'junit', 'check', 'validate'}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        command: Callable[[argparse.Namespace], int] = args.func
        if args.command in UNLOCKED:
            return command(args)
        with lock.repository_lock():
            return command(args)
    except PclError as e:
        ui.error(e.message)
        if e.details:
            print(e.details, file=sys.stderr)
        return int(e.code)
    except OSError as e:
        ui.error(str(e))
        return int(Exit.INTERNAL)
    except KeyboardInterrupt:
        ui.error('interrupted')
        return 130
