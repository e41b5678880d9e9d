"""A variant end to end (root, image, boot, outcome), the end-to-end
layer's KTAP and counts (tools/pcl e2e and make test), and make bench's
boots of tests/e2e/bench-plan."""

from __future__ import annotations

import contextlib
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence, TextIO

from .. import config, deps, junit, kbuild, kernlog, ktap, tally, ui
from ..errors import Exit, PclError
from . import build, disk, machine, outcome, qemumachine, table
from .machine import Boot
from .outcome import Ending
from .plan import (ALL_VARIANTS, BENCH_PLAN, BENCH_VARIANTS, PLAN, SOURCES,
                   VARIANTS, Program, Variant, read_plan)


def root_dir() -> Path:
    return config.out_dir('e2e')


@dataclass
class VariantResult:
    variant: Variant
    ktap: list[str]             # the variant's subtest lines (unindented)
    ok: bool
    boot: Boot
    endings: dict[str, Ending]
    stale: list[tuple[str, str, int]] = field(default_factory=list)
    invalidation_failures: int = 0
    problem: str = ''           # hang or crash, for the exit code


def _command(variant: Variant, kernel: Path, run_dir: Path, root: Path,
             image: Path, extra: tuple[str, ...] = ()) -> tuple[list[str],
                                                              str]:
    """The machine's command line (the variant's arguments, then extra)
    and its label; the QEMU root image is made here from root."""
    args = variant.boot_args + extra
    if not variant.smp:
        shutil.rmtree(run_dir / 'uml', ignore_errors=True)
        return machine.uml_command(kernel, run_dir, root, image,
                                   args), 'UML'
    root_image = run_dir / 'root.img'
    machine.make_image(root_image, 'pcl-root', root)
    what, accel = qemumachine.accel(kernel)
    ui.info(f'QEMU accelerator: {what}')
    return qemumachine.command(kernel, root_image, image, accel,
                               args), 'QEMU'


def run_variant(variant: Variant, kernel: Path, progs: Path,
                programs: list[Program], timeout: Optional[int],
                run_dir: Optional[Path] = None, plan: Path = PLAN,
                files: Optional[dict[str, Path]] = None,
                boot_args: tuple[str, ...] = ()) -> VariantResult:
    run_dir = run_dir or root_dir() / variant.name
    root = run_dir / 'root'
    machine.prepare_root(root, progs, programs, plan, files)
    image = run_dir / 'disk.img'
    disk.make(image, variant.fs)
    limit = float(timeout or machine.wall_limit(programs) +
                  (qemumachine.EXTRA_MARGIN if variant.smp else 0))
    cmd, label = _command(variant, kernel, run_dir, root, image, boot_args)
    ui.info(f'Booting {variant.title}, wall-clock limit {limit:.0f} s: '
            f'{" ".join(cmd)}')
    boot_ = machine.boot(cmd, run_dir / 'console.log', limit, label=label)
    ui.info(f'{variant.title}: ran {ui.fmt_secs(boot_.seconds)}'
            f'{" and was killed" if boot_.killed else ""}')
    if variant.smp:
        qemumachine.copy_out(run_dir / 'root.img', root)
        (run_dir / 'root.img').unlink(missing_ok=True)
    endings = outcome.read_status(root / 'out/status', programs)
    fsck = disk.check(image, variant.fs)
    ui.info(f'{variant.title}: {fsck.command}: '
            f'{"clean" if fsck.ok else "ERRORS"}')
    ktap, ok = outcome.variant_ktap(variant, programs, root / 'out', endings,
                                    boot_, limit, fsck)
    result = VariantResult(variant, ktap, ok, boot_, endings)
    for prog in programs:
        f = root / 'out' / f'{prog.name}.ktap'
        if f.exists():
            for mode, n in outcome.stale_counts(f.read_text(errors='replace')):
                result.stale.append((prog.name, mode, n))
    result.invalidation_failures = boot_.console.count(
        outcome.INVALIDATION_FAILURE)
    result.problem = outcome.problem(boot_, endings)
    if not result.problem and not (root / 'out/status').exists():
        result.problem = 'init did not start (see the console log)'
    return result


@dataclass
class ProgramRun:
    """What the programs printed in one boot, for make bench."""
    variant: Variant
    number: int                 # 1, 2 ... among the variant's boots
    output: dict[str, str]      # program name -> its KTAP as written
    endings: dict[str, Ending]
    seconds: float              # the whole boot
    problem: str                # hang or crash, or ''
    out: Optional[Path] = None  # the guest's /out, copied back


def boot_problem(r: ProgramRun, where: str, program: str,
                 figures: str, found: bool) -> Optional[PclError]:
    """A benchmark boot's own failure: a hang or crash (exit 8), or no
    figures from its program (found false; exit 12)."""
    if r.problem:
        return PclError(Exit.KERNEL_CRASHED, f'{where}: {r.problem}')
    if not found:
        how = r.endings[program].how if program in r.endings else '?'
        return PclError(Exit.INTERNAL, f'{where}: no {figures} figures '
                        f'({program}: {how})')
    return None


# What a benchmark boot installs in the root besides the programs: from
# the variant and its kernel's build directory, root path -> host file.
RootFiles = Callable[[Variant, Path], dict[str, Path]]


def run_bench(tree: Path, order: Sequence[str] = BENCH_VARIANTS,
              plan: Path = BENCH_PLAN, timeout: Optional[int] = None,
              files: Optional[RootFiles] = None,
              boot_args: tuple[str, ...] = ()) -> list[ProgramRun]:
    """Boot the variants in order (a key may come back: stock, on, stock,
    on ... spreads a drifting host load over both) with the programs of
    plan (tests/e2e/bench-plan) and return their outputs.  Run
    directories: build/out/e2e/bench-<key>-<number>, without the disk
    image.  A variant whose boot hung or crashed is not booted again.  The
    kernels and programs are those of make e2e, built as it builds them;
    files, when given, is asked once per kernel, after its build, what
    else its boots install in the root; boot_args go on every kernel
    command line.  Nothing here judges the outputs."""
    deps.ensure(config.E2E_PACKAGES)
    programs = read_plan(config.repo_root() / plan)
    progs = build.build_programs(config.repo_root() / SOURCES,
                           root_dir() / 'progs')
    kernels: dict[str, Path] = {}
    installs: dict[str, dict[str, Path]] = {}
    runs: list[ProgramRun] = []
    for key in order:
        v = VARIANTS[key]
        if any(r.variant.key == key and r.problem for r in runs):
            continue
        kdir = str(build.kernel_dir(tree, v))
        if kdir not in kernels:
            kernels[kdir] = build.build_kernel(tree, v).binary
            installs[kdir] = files(v, Path(kdir)) if files else {}
        number = 1 + sum(r.variant.key == key for r in runs)
        run_dir = root_dir() / f'bench-{v.key.removeprefix("bench-")}-' \
            f'{number}'
        res = run_variant(v, kernels[kdir], progs, programs, timeout,
                          run_dir, plan, installs[kdir], boot_args)
        (run_dir / 'disk.img').unlink(missing_ok=True)
        out = run_dir / 'root' / 'out'
        output = {p.name: (out / f'{p.name}.ktap').read_text(
            errors='replace') for p in programs
            if (out / f'{p.name}.ktap').exists()}
        runs.append(ProgramRun(v, number, output, res.endings,
                               res.boot.seconds, res.problem, out))
    return runs


def summary(res: VariantResult) -> list[str]:
    lines = []
    for prog, mode, n in res.stale:
        lines.append(f'stale reads ({res.variant.key}): {prog} {mode}: {n}')
    if res.invalidation_failures:
        lines.append(f'kernel said "{outcome.INVALIDATION_FAILURE}" '
                     f'{res.invalidation_failures} time(s)')
    for name, e in res.endings.items():
        if e.how != 'not-run':
            lines.append(f'{res.variant.key}: {name}: {e.how} '
                         f'in {e.seconds:.1f} s')
    return lines


def scan_console(res: VariantResult, log: Path) -> kernlog.Scan:
    scan = kernlog.scan(res.boot.console)
    for r in scan.reports:
        during = outcome.attribute(res.boot.console, r.line)
        r.case = f'{res.variant.name}.{during}' if during else \
            res.variant.name
    kernlog.print_scan(scan, log)
    return scan


@dataclass
class Options:
    variants: list[Variant]
    programs: list[Program]
    timeout: Optional[int] = None
    rebuild: bool = False
    junit: Optional[Path] = None


def run(tree: Path, opts: Options, ktap_out: TextIO) -> tuple[int,
                                                              tally.Counts]:
    """Build, boot every variant, print the KTAP to ktap_out; return the
    exit code and the counts (a kernel-reports case per variant)."""
    deps.ensure(config.E2E_PACKAGES)
    for fs in sorted({v.fs for v in opts.variants}):
        disk.find_tool(disk.TOOLS[fs][0])
        disk.find_tool(disk.TOOLS[fs][1])
    programs = opts.programs
    progs = build.build_programs(config.repo_root() / SOURCES,
                           root_dir() / 'progs')
    if any(v.smp for v in opts.variants):
        deps.ensure(config.QEMU_PACKAGES)
    kernels: dict[str, build.Kernel] = {}
    for v in opts.variants:
        kdir = str(build.kernel_dir(tree, v))
        if kdir not in kernels:
            kernels[kdir] = build.build_kernel(tree, v, opts.rebuild)
            if kernels[kdir].note:
                ui.info(f'{v.title}: {kernels[kdir].note}')

    done: list[VariantResult] = []
    console_all: list[str] = []
    for v in opts.variants:
        res = run_variant(v, kernels[str(build.kernel_dir(tree, v))].binary,
                          progs, programs, opts.timeout)
        done.append(res)
        console_all.append(f'==== e2e variant {v.name}: {v.title} ====\n')
        console_all.append(res.boot.console)
        for line in summary(res):
            ui.info(line)
    # The console logs of this run, for testall's report scan.
    (root_dir() / 'test.log').write_text(''.join(console_all))

    doc = ktap.document([r.ktap for r in done], [r.ok for r in done],
                   [r.variant.name for r in done])
    ktap_file = root_dir() / 'e2e.ktap'
    ktap_file.write_text('\n'.join(doc) + '\n')
    ktap_out.write('\n'.join(doc) + '\n')
    ktap_out.flush()
    lines = table.render([table.column(r.variant.key, r.ktap, r.boot.console)
                          for r in done])
    (root_dir() / 'table.txt').write_text('\n'.join(lines) + '\n')
    print('\n'.join([''] + lines + ['']), file=sys.stderr, flush=True)

    parsed = ktap.parse(kbuild.kunit_py(tree), ktap_file,
                                root_dir() / 'results.json')
    counts = tally.from_kunit_json(parsed)
    failed = counts.failed + counts.crashed
    ran = counts.total
    unexpected = False
    for res in done:
        scan = scan_console(res, root_dir() / res.variant.name /
                            'console.log')
        unexpected = unexpected or bool(scan.unexpected)
        counts.add_case(tally.Case(res.variant.name, 'kernel-reports',
                                     'FAIL' if scan.unexpected else 'PASS'))
    code = Exit.OK
    problems = [f'{r.variant.name}: {r.problem}' for r in done if r.problem]
    if problems:
        ui.error('; '.join(problems))
        code = Exit.KERNEL_CRASHED
    elif not ran:
        code = Exit.NO_TESTS
    elif failed:
        code = Exit.TESTS_FAILED
    elif unexpected:
        code = Exit.KERNEL_REPORTS
    if opts.junit:
        junit.write(opts.junit, {'e2e': counts})
        ui.info(f'JUnit XML written to {opts.junit}')
    return int(code), counts


def layer(tree: Path) -> tuple[tally.Counts, Exit]:
    """make test's end-to-end layer: every variant and program, KTAP on
    stdout and progress on stderr. Its KTAP cases (under 'e2e') and one
    kernel-reports case for the console logs of all boots, counted once
    (the per-variant report cases of tools/pcl e2e are not)."""
    out = root_dir()
    out.mkdir(parents=True, exist_ok=True)
    log = out / 'test.log'
    log.unlink(missing_ok=True)
    ktap_out = sys.stdout
    counts = tally.Counts()
    with ui.step('End-to-end layer (tools/pcl e2e --all)', heartbeat=60), \
            contextlib.redirect_stdout(sys.stderr):
        try:
            opts = Options([VARIANTS[k] for k in ALL_VARIANTS],
                           read_plan(config.repo_root() / PLAN))
            code, own = run(tree, opts, ktap_out)
            ktap_only = tally.Counts()
            for case in own.cases:
                if case.name != 'kernel-reports':
                    ktap_only.add_case(case)
            ui.info(f'End-to-end KTAP: {ktap_only.closing_line()}')
            counts = tally.from_kunit_json(ktap.parse(
                kbuild.kunit_py(tree), out / 'e2e.ktap',
                out / 'results.json'), 'e2e')
            failed = code not in (Exit.OK, Exit.KERNEL_REPORTS)
        except PclError as e:
            ui.error(e.message)
            if e.details:
                print(e.details)
            why = e.message.splitlines()[0].replace('#', '')
            ktap_out.write(f'KTAP version 1\n1..1\nnot ok 1 e2e_setup # '
                           f'{why}\n')
            ktap_out.flush()
            counts.add_case(tally.Case('e2e', 'e2e_setup', 'FAIL'))
            failed = True
    result = Exit.OK
    if failed or counts.failed or counts.crashed or not counts.total:
        result = Exit.TESTS_FAILED
        if not counts.failed and not counts.crashed:
            counts.add_case(tally.Case('e2e', 'runner', 'FAIL'))
    if log.exists():
        scan = kernlog.scan(log.read_text(errors='replace'))
        kernlog.print_scan(scan, log)
        counts.add_case(tally.Case('e2e', 'kernel-reports',
                                   'FAIL' if scan.unexpected else 'PASS'))
    return counts, result
