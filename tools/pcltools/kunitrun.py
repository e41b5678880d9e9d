"""Run the tree's own kunit.py for one configuration and judge the outcome.

kunit.py's output streams to the terminal. Afterwards the raw kernel log
(<build_dir>/test.log) is parsed again with `kunit.py parse --json` to
count cases, checked for crashes and scanned for kernel reports, so the
exit code can tell a failing case from a build failure or a crash.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from . import buildlog, config, kbuild, kernlog, ktap, procio, qemu, tally, ui
from .errors import Exit
from .layers import Layer

PHASES = (('Configuring KUnit Kernel', 'configuring'),
          ('Building KUnit Kernel', 'building'),
          ('Starting KUnit Kernel', 'running'))
TIMEOUT = re.compile(r'timed out after \d+ seconds')


@dataclass
class Outcome:
    layer: Layer
    code: Exit
    message: str = ''
    counts: tally.Counts = field(default_factory=tally.Counts)
    scan: Optional[kernlog.Scan] = None
    accel: str = ''
    build_dir: Path = Path()


def build_dir(tree: Path, layer: Layer) -> Path:
    """build/out/<layer>; a user's tree (KERNEL_TREE) gets its own."""
    return kbuild.build_dir(tree, layer.name)


def extra_args(remainder: list[str], suite: Optional[str]) -> list[str]:
    """kunit.py run's own arguments: what follows `--` on our command
    line, then the --suite glob."""
    extra = list(remainder)
    if extra and extra[0] == '--':
        extra = extra[1:]
    if suite:
        extra.append(suite)
    return extra


def command(tree: Path, layer: Layer, action: str, extra: list[str],
            accel: list[str]) -> list[str]:
    return kbuild.kunit_command(
        tree, action, build_dir(tree, layer), layer.kunitconfigs,
        layer.qemu_config, accel,
        layer.timeout if action in ('run', 'exec') else None) + extra


@dataclass
class _Stream:
    lines: list[str] = field(default_factory=list)
    captured: list[str] = field(default_factory=list)
    started: bool = False


def stream(cmd: list[str], cwd: Path) -> tuple[int, _Stream]:
    """Run cmd, echoing its output; once kunit.py logs an error before the
    kernel started (a build failure: make's whole stderr), capture the rest
    instead of flooding the terminal."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=kbuild.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, errors='backslashreplace', bufsize=1)
    lines = procio.line_queue(proc)
    st = _Stream()
    phase, since = 'starting', time.monotonic()
    capturing = False
    while True:
        try:
            line = lines.get(timeout=ui.HEARTBEAT)
        except queue.Empty:
            ui.info(f'  ... kunit.py {phase} '
                    f'({ui.fmt_secs(time.monotonic() - since)})')
            continue
        if line is None:
            break
        st.lines.append(line)
        for marker, name in PHASES:
            if marker in line:
                phase, since = name, time.monotonic()
                st.started = st.started or name == 'running'
        if not st.started and line.startswith('ERROR:root:'):
            capturing = True
        if capturing:
            st.captured.append(line)
        else:
            sys.stdout.write(line)
            sys.stdout.flush()
    if proc.stdout:
        proc.stdout.close()
    return proc.wait(), st


def _build_failure(out: Path, captured: str, series_len: int) -> str:
    log = out / 'build-error.log'
    log.write_text(captured)
    problem = buildlog.config_problem(captured)
    if problem:
        hint = '' if series_len else \
            ' (the series is empty: nothing provides these options yet)'
        return f'kernel configuration failed{hint}:\n{problem}'
    errors = buildlog.first_errors(captured)
    if errors:
        n = buildlog.count_errors(captured)
        return (f'kernel build failed ({n} error line(s); first shown, full '
                f'log in {log}):\n{errors}')
    head = '\n'.join(captured.splitlines()[:25])
    return f'kunit.py failed before starting the kernel (log: {log}):\n{head}'


def crashed(log_text: str, streamed: str, counts: tally.Counts) -> str:
    """Why the run counts as a crash, or '' when it does not."""
    m = TIMEOUT.search(streamed)
    if m:
        return f'the kernel did not finish: {m.group(0)}'
    m = kernlog.CRASH.search(log_text)
    if m:
        line = next(l for l in log_text.splitlines() if m.group(0) in l)
        return f'the kernel crashed: {line.strip()}'
    if counts.crashed:
        return (f'{counts.crashed} case(s) did not complete (kernel crash or '
                'truncated output)')
    return ''


def run(tree: Path, layer: Layer, extra: list[str], series_len: int = 1,
        scan: bool = True) -> Outcome:
    out = build_dir(tree, layer)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ('test.log', 'results.json', 'build-error.log'):
        (out / stale).unlink(missing_ok=True)

    accel: list[str] = []
    accel_name = ''
    if layer.qemu_config:
        cache = config.qemu_accel_cache()
        kernel = out / 'arch/x86/boot/bzImage'
        if not cache.exists() and qemu.kvm_usable():
            # A kernel is needed to probe KVM with: build it first.
            with ui.step('Building the QEMU kernel for the KVM probe'):
                rc, st = stream(command(tree, layer, 'build', [], []), tree)
            if rc != 0:
                return Outcome(layer, Exit.BUILD_FAILED, _build_failure(
                    out, ''.join(st.captured or st.lines), series_len),
                    build_dir=out)
        accel_name, why = qemu.choose(cache, kernel)
        accel = qemu.accel_args(accel_name)
        ui.info(f'QEMU accelerator: {accel_name} ({why}): {" ".join(accel)}')

    cmd = command(tree, layer, 'run', extra, accel)
    ui.info(f'{layer.title}: ' + ' '.join(
        f"'{c}'" if ' ' in c else c for c in cmd[1:]))
    start = time.monotonic()
    rc, st = stream(cmd, tree)
    ui.info(f'{layer.title}: kunit.py finished in '
            f'{ui.fmt_secs(time.monotonic() - start)} (exit status {rc})')
    outcome = Outcome(layer, Exit.OK, accel=accel_name, build_dir=out)

    if not st.started:
        if rc == 0:
            return outcome          # e.g. --list_tests
        outcome.code = Exit.BUILD_FAILED
        outcome.message = _build_failure(out, ''.join(st.captured),
                                         series_len)
        return outcome
    if st.captured:
        sys.stdout.write(''.join(st.captured))

    log_path = out / 'test.log'
    log_text = log_path.read_text(errors='replace') if log_path.exists() \
        else ''
    parsed = ktap.parse(kbuild.kunit_py(tree), log_path, out / 'results.json') \
        if log_path.exists() else {}
    outcome.counts = tally.from_kunit_json(parsed, layer.name)
    if scan:
        outcome.scan = kernlog.scan(log_text)

    why = crashed(log_text, ''.join(st.lines), outcome.counts)
    if why:
        outcome.code, outcome.message = Exit.KERNEL_CRASHED, \
            f'{why} (kernel log: {log_path})'
    elif outcome.counts.total == 0:
        outcome.code = Exit.NO_TESTS
        outcome.message = 'no test case ran (check the filter and kunitconfig)'
    elif outcome.counts.failed or rc != 0:
        outcome.code = Exit.TESTS_FAILED
        outcome.message = f'{outcome.counts.failed} case(s) failed' \
            if outcome.counts.failed else \
            f'kunit.py reported a failure (exit status {rc})'
    elif outcome.scan and outcome.scan.unexpected:
        outcome.code = Exit.KERNEL_REPORTS
        outcome.message = 'unexpected kernel reports (see above)'
    return outcome


def save_json(outcome: Outcome, dest: Path) -> None:
    src = outcome.build_dir / 'results.json'
    if src.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    else:
        dest.write_text(json.dumps({}) + '\n')
