"""`make test`: every layer, one closing line counting every case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Optional

from . import config, deps, junit, kbuild, kernlog, kunitrun, layers, ui
from .check import selftest
from .e2e import run as e2e_run
from .errors import Exit, PclError
from .tally import Case, Counts

def unittest_layer(tree: Optional[Path]) -> tuple[Counts, Exit]:
    try:                    # the type check is one of the tool tests
        deps.ensure(config.TOOLTEST_PACKAGES)
    except PclError as e:
        ui.warn(e.message)
    out = config.build_root() / 'out' / 'unittest.json'
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    env = dict(os.environ)
    if tree:
        env['PCL_KUNIT_PY'] = str(kbuild.kunit_py(tree))
    rc = subprocess.run([sys.executable, str(config.repo_root() / 'tools/pcl'),
                         'unittest', f'--json={out}'], env=env).returncode
    counts = Counts()
    if out.exists():
        for case in json.loads(out.read_text()):
            counts.add_case(Case(case['group'], case['name'], case['status']))
    if rc != 0 and not counts.failed:
        counts.add_case(Case('tools', 'unittest', 'FAIL'))
    return counts, Exit.OK if rc == 0 else Exit.TESTS_FAILED


def run_all(prepare: Callable[[], Path], junit_path: Optional[Path],
            only: Optional[list[str]] = None) -> int:
    total = Counts()
    per_layer: dict[str, Counts] = {}
    codes: list[Exit] = []
    started = time.monotonic()
    times: list[tuple[str, float]] = []

    def record(name: str, counts: Counts, code: Exit) -> None:
        nonlocal started
        per_layer[name] = counts
        total.merge(counts)
        if code != Exit.OK:
            codes.append(code)
        times.append((name, time.monotonic() - started))
        started = time.monotonic()
        ui.info(f'== {name}: {counts.closing_line()} '
                f'({ui.fmt_secs(times[-1][1])})')

    # The tree first: the tool tests use its kunit.py to parse KTAP.
    tree: Optional[Path] = None
    try:
        tree = prepare()
        times.append(('tree', time.monotonic() - started))
        started = time.monotonic()
    except PclError as e:
        ui.error(e.message)
        if e.details:
            print(e.details, file=sys.stderr)
        failed = Counts()
        failed.add_case(Case('tree', 'prepare', 'FAIL'))
        record('tree', failed, e.code)

    ui.info('== tools: unittest suites')
    record('tools', *unittest_layer(tree))
    if tree is None:
        return _finish(total, per_layer, codes, junit_path, times)

    defined = layers.all_layers()
    for key in layers.TEST_LAYERS:
        layer = defined[key]
        if only and key not in only:
            continue
        if layer.qemu_config:
            deps.ensure(config.QEMU_PACKAGES)
        ui.info(f'== {layer.title}')
        outcome = kunitrun.run(tree, layer, [])
        counts = outcome.counts
        if outcome.message:
            ui.error(f'{layer.title}: {outcome.message}')
        if outcome.code == Exit.BUILD_FAILED:
            counts.add_case(Case(layer.name, 'build', 'FAIL'))
        elif outcome.code == Exit.NO_TESTS:
            counts.add_case(Case(layer.name, 'tests-ran', 'FAIL'))
        if outcome.scan is not None:
            kernlog.print_scan(outcome.scan, outcome.build_dir / 'test.log')
            counts.add_case(Case(layer.name, 'kernel-reports',
                                 'FAIL' if outcome.scan.unexpected else 'PASS'))
        record(layer.name, counts, outcome.code)

    record('e2e', *e2e_run.layer(tree))
    if not only or 'validate' in only:
        ui.info('== validate: the series exported as an mbox, validated')
        record('validate', *validate_layer(tree))
    return _finish(total, per_layer, codes, junit_path, times)


def validate_layer(tree: Path) -> tuple[Counts, Exit]:
    """tools/pcl validate on the series exported from the tree."""
    return selftest.layer(tree)


def _finish(total: Counts, per_layer: dict[str, Counts], codes: list[Exit],
            junit_path: Optional[Path],
            times: list[tuple[str, float]]) -> int:
    ui.info('wall time: ' + ', '.join(f'{name} {ui.fmt_secs(secs)}'
                                      for name, secs in times) +
            f'; in all {ui.fmt_secs(sum(s for _, s in times))}')
    if junit_path:
        junit.write(junit_path, per_layer)
        ui.info(f'JUnit XML written to {junit_path}')
    failed = total.failed + total.crashed
    code = codes[0] if codes else (Exit.TESTS_FAILED if failed else Exit.OK)
    if failed and code == Exit.OK:
        code = Exit.TESTS_FAILED
    sys.stderr.flush()
    sys.stdout.flush()
    print(total.closing_line(), flush=True)
    return int(code)
