"""End-to-end layer: static C programs run as init of a UML kernel.

The programs (tests/e2e/*.c, listed in tests/e2e/plan) are built with
tests/e2e/Makefile; the UML kernel is built from the prepared tree with the
tree's kunit.py and kconfigs/e2e.config (plus kconfigs/lockdep.config for
the lockdep variant), and only when something it is built from changed.
Each run makes a fresh ext2 image with mke2fs, boots UML from a hostfs
root holding init, the programs and the plan, with a hard wall-clock
limit, and reads back what init wrote there: each program's KTAP and a
status file naming what started and how it ended.  The programs' KTAP is
assembled into one KTAP document (variant > program > case), counted with
the harness's result counting; the console log is scanned for kernel
reports.

Variants: "on" (the mechanism as the series has it), "lockdep" (the same
with kconfigs/lockdep.config), "off" (ext2.pagecache_lock=0 on the kernel
command line: the coherency baseline).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence, TextIO

from . import (buildlog, config, deps, junit, kbuild, kernlog, ktap, kunitrun,
               procio, tally, ui)
from .errors import Exit, PclError

SOURCES = Path('tests/e2e')
PLAN = SOURCES / 'plan'
BENCH_PLAN = SOURCES / 'bench-plan'     # make bench's programs
BENCH_VARIANTS = ('on', 'off')
IMAGE_SIZE = '64M'
UML_MEM = '512M'
BOOT_MARGIN = 60            # seconds for boot, mount, power-off
KILL_GRACE = 15             # init's grace after SIGKILL, plus slack
OFF_PARAM = 'ext2.pagecache_lock=0'
STALE = re.compile(r'#\s*stale_reads mode=(\S+) total=(\d+)')
INVALIDATION_FAILURE = 'Page cache invalidation failure on direct I/O'


@dataclass(frozen=True)
class Variant:
    key: str                    # command line name
    name: str                   # KTAP suite name, run directory
    title: str
    fragments: tuple[str, ...]  # files in kconfigs/
    kernel: str                 # kernel build directory name
    boot_args: tuple[str, ...] = ()


VARIANTS = {
    'on': Variant('on', 'e2e', 'mechanism on', ('e2e.config',), 'kernel'),
    'lockdep': Variant('lockdep', 'e2e_lockdep', 'mechanism on, lockdep',
                       ('e2e.config', 'lockdep.config'), 'kernel-lockdep'),
    'off': Variant('off', 'e2e_off', f'mechanism off ({OFF_PARAM})',
                   ('e2e.config',), 'kernel', (OFF_PARAM,)),
}
HOOK_VARIANTS = ('on', 'lockdep', 'off')


@dataclass(frozen=True)
class Program:
    name: str
    limit: int                  # seconds init lets it run
    argv: tuple[str, ...]


@dataclass
class Ending:
    """How a program ended, from init's status file."""
    how: str                    # exit=N, signal=N, timeout, hung, running,
    seconds: float = 0.0        # not-run, fork-failed

    @property
    def exit_code(self) -> Optional[int]:
        m = re.fullmatch(r'exit=(\d+)', self.how)
        return int(m.group(1)) if m else None


@dataclass
class Boot:
    console: str
    seconds: float
    killed: bool                # the wall-clock limit was reached
    returncode: int


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


_root_override: Optional[Path] = None     # PCL_BUILD_DIR, in the hook


def root_dir() -> Path:
    return _root_override or config.out_dir('e2e')


# --- plan -----------------------------------------------------------------

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


def wall_limit(programs: list[Program]) -> int:
    """The hard limit of one boot: every program's limit, plus margins."""
    return BOOT_MARGIN + sum(p.limit + KILL_GRACE for p in programs)


# --- building ---------------------------------------------------------------

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
        proc = subprocess.run(['git', '-C', str(tree), *cmd],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
        if proc.returncode != 0:
            return ''
        parts.append(proc.stdout)
    return hashlib.sha256(b'\0'.join(parts)).hexdigest()


def kernel_stamp(tree: Path, fragments: list[Path]) -> str:
    state = tree_state(tree)
    if not state:
        return ''
    h = hashlib.sha256(state.encode())
    for frag in fragments:
        h.update(frag.name.encode() + b'\0' + frag.read_bytes())
    return h.hexdigest()


def kernel_dir(tree: Path, variant: Variant) -> Path:
    """build/out/e2e/kernel[-lockdep]; a user's tree (KERNEL_TREE) gets
    its own, named as kunitrun names them."""
    return root_dir() / kbuild.build_dir(tree, variant.kernel).name


def build_kernel(tree: Path, variant: Variant, rebuild: bool = False) -> Path:
    """kunit.py build for the variant; skipped when the stamp matches."""
    fragments = [config.kconfigs_dir() / f for f in variant.fragments]
    out = kernel_dir(tree, variant)
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


# --- one boot ---------------------------------------------------------------

def find_mke2fs() -> str:
    path = os.environ.get('PATH', '') + ':/sbin:/usr/sbin'
    found = shutil.which('mke2fs', path=path)
    if not found:
        raise PclError(Exit.MISSING_PACKAGES, 'mke2fs not found (Debian '
                       'package: e2fsprogs)')
    return found


def make_image(image: Path) -> None:
    image.unlink(missing_ok=True)
    proc = subprocess.run([find_mke2fs(), '-q', '-F', '-t', 'ext2', '-b',
                           '4096', '-L', 'pcl-e2e', str(image), IMAGE_SIZE],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True)
    if proc.returncode != 0:
        raise PclError(Exit.INTERNAL, f'mke2fs {image} failed:\n'
                       f'{proc.stdout.strip()}')


def prepare_root(root: Path, progs: Path, programs: list[Program],
                 plan: Path = PLAN) -> None:
    """The hostfs root: /init, /bin/<program>, /plan, empty /out."""
    shutil.rmtree(root / 'out', ignore_errors=True)
    for sub in ('bin', 'out', 'dev', 'mnt', 'proc', 'sys'):
        (root / sub).mkdir(parents=True, exist_ok=True)
    _install(progs / 'init', root / 'init')
    for prog in {p.argv[0] for p in programs}:
        if not (progs / prog).is_file():
            raise PclError(Exit.USAGE, f'{plan}: program {prog} is not '
                           f'built by {SOURCES}/Makefile')
        _install(progs / prog, root / 'bin' / prog)
    (root / 'plan').write_text(''.join(
        f'{p.name} {p.limit} {" ".join(p.argv)}\n' for p in programs))


def _install(src: Path, dest: Path) -> None:
    dest.unlink(missing_ok=True)
    shutil.copy2(src, dest)


def uml_command(kernel: Path, run_dir: Path, root: Path, image: Path,
                extra: tuple[str, ...]) -> list[str]:
    """UML's command line; its umid directory goes in run_dir, not in
    ~/.uml, so a killed machine leaves nothing behind elsewhere."""
    return [str(kernel), f'mem={UML_MEM}', f'ubd0={image}', 'root=/dev/root',
            'rootfstype=hostfs', f'rootflags={root}', 'rw', 'init=/init',
            'console=tty', 'con0=fd:0,fd:1', 'con=null',
            f'uml_dir={run_dir}', 'umid=uml', *extra]


def boot(cmd: list[str], log: Path, limit: float,
         progress: Callable[[str], None] = ui.info) -> Boot:
    """Run UML, console to log; kill its whole process group at limit."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            errors='backslashreplace', start_new_session=True)
    lines = procio.line_queue(proc)
    killed = False
    last = start
    with log.open('w') as f:
        while True:
            left = start + limit - time.monotonic()
            if left <= 0 and not killed:
                progress(f'  UML still running after {limit:.0f} s: killing '
                         'it (hang)')
                _kill_group(proc)
                killed = True
            try:
                line = lines.get(timeout=max(0.1, min(left, ui.HEARTBEAT))
                                 if not killed else 5)
            except queue.Empty:
                if killed:
                    break
                if time.monotonic() - last >= ui.HEARTBEAT:
                    progress('  ... UML running '
                             f'({ui.fmt_secs(time.monotonic() - start)})')
                    last = time.monotonic()
                continue
            if line is None:
                break
            f.write(line)
            if line.startswith('e2e: '):
                progress('  ' + line.rstrip())
                last = time.monotonic()
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        rc = proc.wait()
    if proc.stdin:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    return Boot(log.read_text(errors='replace'), time.monotonic() - start,
                killed, rc)


def _kill_group(proc: 'subprocess.Popen[str]') -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


# --- results ----------------------------------------------------------------

def read_status(path: Path, programs: list[Program]) -> dict[str, Ending]:
    """init's /out/status: 'start NAME' and 'end NAME HOW SECONDS'."""
    endings = {p.name: Ending('not-run') for p in programs}
    text = path.read_text(errors='replace') if path.exists() else ''
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == 'start' and words[1] in endings:
            endings[words[1]] = Ending('running')
        elif len(words) >= 3 and words[0] == 'end' and words[1] in endings:
            secs = float(words[3]) if len(words) > 3 and \
                re.fullmatch(r'[\d.]+', words[3]) else 0.0
            endings[words[1]] = Ending(words[2], secs)
    return endings


RESULT = re.compile(r'^(not )?ok (\d+)\b(.*)$')
PLAN_LINE = re.compile(r'^1\.\.(\d+)')


def _why_incomplete(ending: Ending, wall_killed: bool,
                    limit: float) -> str:
    if ending.how == 'running':
        return ('did not finish: UML was killed after the wall-clock limit '
                f'of {limit:.0f} s (hang)') if wall_killed else \
            'did not finish: the kernel stopped while it ran (crash?)'
    if ending.how == 'timeout':
        return f'killed after its time limit ({ending.seconds:.0f} s)'
    if ending.how == 'hung':
        return ('hung in the kernel: could not be killed after its time '
                'limit')
    if ending.how.startswith('signal='):
        return f'killed by signal {ending.how[7:]}'
    if ending.exit_code is not None:
        return f'exited with status {ending.exit_code} before its last case'
    return ending.how


def program_ktap(name: str, lines: list[str], ending: Ending,
                 wall_killed: bool = False, limit: float = 0) -> \
        tuple[list[str], bool]:
    """One program's KTAP as a subtest body (unindented) and whether it
    passed.  An incomplete run gets one more, failing, case 'completed'
    that says why, so a hang is a failure that names the program."""
    planned: Optional[int] = None
    body: list[str] = []
    results_: list[bool] = []
    for line in lines:
        line = line.rstrip('\n')
        if line.startswith('KTAP version') or line.startswith('TAP version'):
            continue
        m = PLAN_LINE.match(line)
        if m and planned is None:
            planned = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m:
            results_.append(m.group(1) is None)
        body.append(line)
    complete = ending.exit_code in (0, 1) and planned is not None and \
        len(results_) == planned
    out = ['KTAP version 1', f'# Subtest: {name}']
    if complete:
        out.append(f'1..{planned}')
        out += body
        return out, all(results_)
    n = len(results_) + 1
    out.append(f'1..{n}')
    out += body
    why = _why_incomplete(ending, wall_killed, limit)
    out.append(f'# {name}: {why}')
    out.append(f'not ok {n} completed')
    return out, False


def indent(lines: list[str], by: str = '    ') -> list[str]:
    return [by + line if line else line for line in lines]


def variant_ktap(variant: Variant, programs: list[Program], out: Path,
                 endings: dict[str, Ending], boot_: Boot,
                 limit: float) -> tuple[list[str], bool]:
    """The variant's subtest: one sub-subtest per program."""
    lines = ['KTAP version 1', f'# Subtest: {variant.name}',
             f'1..{len(programs)}']
    all_ok = True
    for i, prog in enumerate(programs, 1):
        ending = endings[prog.name]
        if ending.how == 'not-run':
            reason = 'not run: ' + ('an earlier program hung'
                                    if _any_hang(endings) else
                                    'init did not get to it')
            lines.append(f'not ok {i} {prog.name} # {reason}')
            all_ok = False
            continue
        ktap_file = out / f'{prog.name}.ktap'
        text = ktap_file.read_text(errors='replace').splitlines() \
            if ktap_file.exists() else []
        sub, ok = program_ktap(prog.name, text, ending, boot_.killed, limit)
        lines += indent(sub)
        lines.append(f'{"" if ok else "not "}ok {i} {prog.name}')
        all_ok = all_ok and ok
    return lines, all_ok


def _any_hang(endings: dict[str, Ending]) -> bool:
    return any(e.how in ('hung', 'running') for e in endings.values())


def document(parts: list[list[str]], oks: list[bool],
             names: list[str]) -> list[str]:
    """The whole KTAP: one top-level subtest per variant."""
    lines = ['KTAP version 1', f'1..{len(parts)}']
    for i, (part, ok, name) in enumerate(zip(parts, oks, names), 1):
        lines += indent(part)
        lines.append(f'{"" if ok else "not "}ok {i} {name}')
    return lines


def stale_counts(text: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in STALE.finditer(text)]


def attribute(console: str, line_no: int) -> str:
    """The program that was running at a console line (from init's
    'e2e: start NAME' lines), or ''."""
    current = ''
    for i, line in enumerate(console.splitlines(), 1):
        if i >= line_no:
            break
        m = re.match(r'e2e: start (\S+)', line)
        if m:
            current = m.group(1)
        elif re.match(r'e2e: \S+: (exit|killed by)', line):
            current = ''
    return current


# --- a variant, end to end --------------------------------------------------

def run_variant(variant: Variant, kernel: Path, progs: Path,
                programs: list[Program], timeout: Optional[int],
                run_dir: Optional[Path] = None, plan: Path = PLAN) -> \
        VariantResult:
    run_dir = run_dir or root_dir() / variant.name
    root = run_dir / 'root'
    prepare_root(root, progs, programs, plan)
    image = run_dir / 'disk.img'
    make_image(image)
    limit = float(timeout or wall_limit(programs))
    shutil.rmtree(run_dir / 'uml', ignore_errors=True)
    cmd = uml_command(kernel, run_dir, root, image, variant.boot_args)
    ui.info(f'Booting UML ({variant.title}), wall-clock limit '
            f'{limit:.0f} s: {" ".join(cmd)}')
    boot_ = boot(cmd, run_dir / 'console.log', limit)
    ui.info(f'UML ({variant.title}) ran {ui.fmt_secs(boot_.seconds)}'
            f'{" and was killed" if boot_.killed else ""}')
    if OFF_PARAM in variant.boot_args and \
            'parameters/pagecache_lock: absent' in boot_.console:
        ui.warn(f'this kernel\'s ext2 has no pagecache_lock parameter: '
                f'{OFF_PARAM} switched nothing off (the series does not '
                'let ext2 opt in yet)')
    endings = read_status(root / 'out/status', programs)
    ktap, ok = variant_ktap(variant, programs, root / 'out', endings, boot_,
                            limit)
    result = VariantResult(variant, ktap, ok, boot_, endings)
    for prog in programs:
        f = root / 'out' / f'{prog.name}.ktap'
        if f.exists():
            for mode, n in stale_counts(f.read_text(errors='replace')):
                result.stale.append((prog.name, mode, n))
    result.invalidation_failures = boot_.console.count(INVALIDATION_FAILURE)
    result.problem = _problem(boot_, endings)
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


def run_bench(tree: Path, order: Sequence[str] = BENCH_VARIANTS,
              plan: Path = BENCH_PLAN,
              timeout: Optional[int] = None) -> list[ProgramRun]:
    """Boot the variants in order (a key may come back: on, off, on, off
    ... spreads a drifting host load over both) with the programs of plan
    (tests/e2e/bench-plan) and return their outputs.  Run directories:
    build/out/e2e/bench-<key>-<number>, without the disk image.  A
    variant whose boot hung or crashed is not booted again.  The kernels
    and programs are those of make e2e, built as it builds them.  Nothing
    here judges the outputs."""
    deps.ensure(config.E2E_PACKAGES)
    find_mke2fs()
    programs = read_plan(config.repo_root() / plan)
    progs = build_programs(config.repo_root() / SOURCES,
                           root_dir() / 'progs')
    kernels: dict[str, Path] = {}
    runs: list[ProgramRun] = []
    for key in order:
        v = VARIANTS[key]
        if any(r.variant.key == key and r.problem for r in runs):
            continue
        if v.kernel not in kernels:
            kernels[v.kernel] = build_kernel(tree, v)
        number = 1 + sum(r.variant.key == key for r in runs)
        run_dir = root_dir() / f'bench-{v.key}-{number}'
        res = run_variant(v, kernels[v.kernel], progs, programs, timeout,
                          run_dir, plan)
        (run_dir / 'disk.img').unlink(missing_ok=True)
        out = run_dir / 'root' / 'out'
        output = {p.name: (out / f'{p.name}.ktap').read_text(
            errors='replace') for p in programs
            if (out / f'{p.name}.ktap').exists()}
        runs.append(ProgramRun(v, number, output, res.endings,
                               res.boot.seconds, res.problem))
    return runs


def _problem(boot_: Boot, endings: dict[str, Ending]) -> str:
    """A crash or a hang (for exit code 8), naming the programs."""
    stuck = [n for n, e in endings.items()
             if e.how in ('hung', 'running', 'timeout')]
    crash = kernlog.CRASH.search(boot_.console)
    if crash:
        return f'kernel crash ({crash.group(0).strip()})' + \
            (f' while {", ".join(stuck)} ran' if stuck else '')
    if boot_.killed or stuck:
        return f'hang in {", ".join(stuck) or "boot"}'
    return ''


def summary(res: VariantResult) -> list[str]:
    lines = []
    for prog, mode, n in res.stale:
        lines.append(f'stale reads ({res.variant.key}): {prog} {mode}: {n}')
    if res.invalidation_failures:
        lines.append(f'kernel said "{INVALIDATION_FAILURE}" '
                     f'{res.invalidation_failures} time(s)')
    for name, e in res.endings.items():
        if e.how != 'not-run':
            lines.append(f'{res.variant.key}: {name}: {e.how} '
                         f'in {e.seconds:.1f} s')
    return lines


def scan_console(res: VariantResult, log: Path) -> kernlog.Scan:
    scan = kernlog.scan(res.boot.console)
    for r in scan.reports:
        during = attribute(res.boot.console, r.line)
        r.case = f'{res.variant.name}.{during}' if during else \
            res.variant.name
    kernlog.print_scan(scan, log)
    return scan


# --- command ----------------------------------------------------------------

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
    find_mke2fs()
    programs = opts.programs
    progs = build_programs(config.repo_root() / SOURCES,
                           root_dir() / 'progs')
    kernels: dict[str, Path] = {}
    for v in opts.variants:
        if v.kernel not in kernels:
            kernels[v.kernel] = build_kernel(tree, v, opts.rebuild)

    done: list[VariantResult] = []
    console_all: list[str] = []
    for v in opts.variants:
        res = run_variant(v, kernels[v.kernel], progs, programs, opts.timeout)
        done.append(res)
        console_all.append(f'==== e2e variant {v.name}: {v.title} ====\n')
        console_all.append(res.boot.console)
        for line in summary(res):
            ui.info(line)
    # The console logs of this run, for testall's report scan.
    (root_dir() / 'test.log').write_text(''.join(console_all))

    doc = document([r.ktap for r in done], [r.ok for r in done],
                   [r.variant.name for r in done])
    ktap_file = root_dir() / 'e2e.ktap'
    ktap_file.write_text('\n'.join(doc) + '\n')
    ktap_out.write('\n'.join(doc) + '\n')
    ktap_out.flush()

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


def _variants(args: argparse.Namespace) -> list[Variant]:
    if args.all:
        return [VARIANTS[k] for k in HOOK_VARIANTS]
    keys = [k for k in ('on', 'lockdep', 'off') if getattr(args, k)]
    return [VARIANTS[k] for k in keys or ['on']]


def cmd_e2e(args: argparse.Namespace,
            prepare: Callable[[argparse.Namespace], Path]) -> int:
    if args.timeout is not None and args.timeout <= 0:
        raise PclError(Exit.USAGE, '--timeout must be a positive number of '
                       'seconds')
    if args.hook:
        return _hook(args)
    programs = select(read_plan(config.repo_root() / PLAN), args.only)
    tree = prepare(args)
    opts = Options(_variants(args), programs, args.timeout, args.rebuild,
                   Path(args.junit) if args.junit else None)
    code, counts = run(tree, opts, sys.stdout)
    ui.info(f'End-to-end: {counts.closing_line()}')
    return code


def _hook(args: argparse.Namespace) -> int:
    """make test's hook (tests/e2e/run): KTAP alone on stdout, everything
    else on stderr; the tree comes from PCL_KERNEL_TREE."""
    global _root_override
    ktap = sys.stdout
    tree = os.environ.get('PCL_KERNEL_TREE')
    if os.environ.get('PCL_BUILD_DIR'):
        _root_override = Path(os.environ['PCL_BUILD_DIR']).resolve()
    with contextlib.redirect_stdout(sys.stderr):
        try:
            if not tree or not Path(tree).is_dir():
                raise PclError(Exit.USAGE, 'PCL_KERNEL_TREE is not set to a '
                               'kernel tree (tests/e2e/run is run by make '
                               'test)')
            variants = _variants(args) if (args.all or args.on or
                                           args.lockdep or args.off) else \
                [VARIANTS[k] for k in HOOK_VARIANTS]
            programs = select(read_plan(config.repo_root() / PLAN),
                              args.only)
            opts = Options(variants, programs, args.timeout, args.rebuild)
            code, counts = run(Path(tree), opts, ktap)
            # make test scans test.log for kernel reports itself: only the
            # KTAP is counted here.
            ktap_only = tally.Counts()
            for case in counts.cases:
                if case.name != 'kernel-reports':
                    ktap_only.add_case(case)
            ui.info(f'End-to-end KTAP: {ktap_only.closing_line()}')
            return 0 if code == Exit.KERNEL_REPORTS else code
        except PclError as e:
            ui.error(e.message)
            if e.details:
                print(e.details)
            why = e.message.splitlines()[0].replace('#', '')
            ktap.write(f'KTAP version 1\n1..1\nnot ok 1 e2e_setup # {why}\n')
            ktap.flush()
            return int(e.code)


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
    sp.add_argument('--hook', action='store_true',
                    help=argparse.SUPPRESS)
    sp.set_defaults(func=lambda args: cmd_e2e(args, prepare))
