"""The per-patch pipeline behind `tools/pcl check` and `tools/pcl validate`.

For every patch, in order: scripts/checkpatch.pl --strict, git am, and a
UML build of the tree at that patch (bisectability); then the KUnit
suites at the tip with the harness's kunit.py run, the same suites on the
base (cached) for a delta, and scripts/get_maintainer.pl on the series.

Everything happens in a scratch tree, build/validate/linux: a local
`git clone` of the managed tree (objects hard-linked) on the branch
pcl-validate. The user's trees are only read.

Cheap re-runs:
- the scratch tree keeps the commits of the last run; patches with the
  same patch-ids on the same base are not re-applied (the tree does not
  move, so make has nothing to redo for them);
- one build directory for every step (the one kunit.py uses for the
  scratch tree), so each step recompiles only what the patch touched,
  through ccache;
- build results are cached by tree and configuration, checkpatch results
  by patch and base, KUnit results on the base by tree and kunitconfig.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from . import buildlog, config, gitutil, kernlog, kunitrun, layers, tally, ui
from .errors import Exit, PclError
from .mbox import Intake, Patch

BRANCH = 'pcl-validate'
HEARTBEAT = 30.0
UML_ARCH_CONFIG = 'tools/testing/kunit/configs/arch_uml.config'
# Debian's python3 (python3-ply, python3-git) for scripts/spdxcheck.py.
TOOL_PATH = '/usr/bin'


# --- results -------------------------------------------------------------

@dataclass
class Finding:
    level: str                      # ERROR, WARNING or CHECK
    message: str
    where: str = ''                 # 'mm/foo.c:12'


@dataclass
class Checkpatch:
    ran: bool = False
    errors: int = 0
    warnings: int = 0
    checks: int = 0
    findings: list[Finding] = field(default_factory=list)
    problem: str = ''               # checkpatch itself failed
    cached: bool = False


@dataclass
class StepResult:
    position: int
    total: int
    subject: str
    title: str
    file: str
    checkpatch: Checkpatch = field(default_factory=Checkpatch)
    applies: str = 'not tried'      # yes, no, reused, not tried
    apply_detail: str = ''
    builds: str = 'not built'       # yes, no, skipped, not built
    build_detail: str = ''
    build_cached: bool = False
    build_secs: float = 0.0
    warnings: list[str] = field(default_factory=list)
    commit: str = ''
    tree: str = ''

    @property
    def label(self) -> str:
        return f'{self.position}/{self.total}'


@dataclass
class KunitResult:
    where: str                      # 'tip' or 'base'
    ran: bool = False
    code: int = 0
    message: str = ''
    summary: str = ''               # closing line
    cases: list[dict[str, str]] = field(default_factory=list)
    reports: str = ''               # scan summary
    unexpected: list[str] = field(default_factory=list)
    oops: str = ''
    crashed_cases: list[str] = field(default_factory=list)
    cached: bool = False
    note: str = ''
    log: str = ''


@dataclass
class Delta:
    available: bool = False
    newly_failing: list[str] = field(default_factory=list)
    newly_passing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    note: str = ''


@dataclass
class Result:
    kind: str                       # check or validate
    source: str
    base: str = ''
    title: str = ''                 # cover letter subject
    method: str = ''
    messages: int = 0
    replies: int = 0
    missing: list[int] = field(default_factory=list)
    total: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    kunit: Optional[KunitResult] = None
    kunit_base: Optional[KunitResult] = None
    delta: Delta = field(default_factory=Delta)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    maintainers_problem: str = ''
    fatal: str = ''                 # the pipeline stopped: why
    fatal_code: int = 0
    code: int = 0
    verdict: str = ''
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


# --- context -------------------------------------------------------------

@dataclass
class Context:
    source: Path                    # repository the base comes from
    base_ref: str                   # e.g. pcl-base
    base_desc: str                  # 'Linux 6.12.117 (...)'
    state: Path                     # build/validate: scratch tree, caches
    kunitconfigs: list[Path]
    onto: list[Path] = field(default_factory=list)  # applied below, unchecked
    onto_desc: str = ''
    kunit_args: list[str] = field(default_factory=list)
    kunit: bool = True              # run KUnit at the tip (and the base)
    cache: bool = True
    jobs: int = 0
    # bisect=False: build the tip only (earlier patches show a cached
    # result when there is one); make test's end-to-end validation.
    bisect: bool = True
    # A prepared tree whose content may equal the tip (the managed tree):
    # when it does, KUnit at the tip runs there, in its build directory.
    tip_tree: Optional[Path] = None

    @property
    def scratch(self) -> Path:
        return self.state / 'linux'

    def layer(self, where: str, kunitconfigs: Optional[list[Path]] = None
              ) -> layers.Layer:
        return layers.Layer('uml', f'KUnit on UML at the {where}',
                              kunitconfigs or self.kunitconfigs)


class Progress:
    """'[ 3m12s] patch 2/11: build ...' lines, with a heartbeat."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def stamp(self) -> str:
        return f'[{ui.fmt_secs(time.monotonic() - self.start):>6}]'

    def say(self, msg: str) -> None:
        ui.info(f'{self.stamp()} {msg}')

    @contextlib.contextmanager
    def stage(self, what: str, status: Optional[Callable[[], str]] = None
              ) -> Iterator[None]:
        self.say(f'{what} ...')
        began = time.monotonic()
        done = threading.Event()

        def beat() -> None:
            while not done.wait(HEARTBEAT):
                extra = status() if status else ''
                self.say(f'  ... {what}{", " + extra if extra else ""} '
                         f'({ui.fmt_secs(time.monotonic() - began)})')

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
        self.say(f'{what}: {ui.fmt_secs(time.monotonic() - began)}')


def _run(cmd: list[str], cwd: Path, env: Optional[dict[str, str]] = None,
         stdin: Optional[bytes] = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, LC_ALL='C')
    if env:
        full.update(env)
    return subprocess.run(cmd, cwd=cwd, env=full, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=stdin is None, errors='replace'
                          if stdin is None else None)


def _tool_env() -> dict[str, str]:
    return {'PATH': TOOL_PATH + os.pathsep + os.environ.get('PATH', '')}


def _sha(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b'\0')
    return h.hexdigest()[:24]


# --- the scratch tree ----------------------------------------------------

@contextlib.contextmanager
def locked(state: Path, progress: Progress) -> Iterator[None]:
    """One check/validate at a time per scratch tree."""
    state.mkdir(parents=True, exist_ok=True)
    with open(state / 'lock', 'w') as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress.say(f'waiting for another check/validate using {state}')
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def ensure_scratch(ctx: Context, progress: Progress) -> str:
    """Clone the source into the scratch tree when missing or stale;
    return the base commit."""
    base = gitutil.git(ctx.source, 'rev-parse', '--verify',
                       f'{ctx.base_ref}^{{commit}}').strip()
    scratch = ctx.scratch
    usable = gitutil.is_repo(scratch) and gitutil.git_ok(
        scratch, 'cat-file', '-e', f'{base}^{{commit}}') and \
        gitutil.git_ok(scratch, 'rev-parse', '-q', '--verify', 'HEAD')
    if usable:
        if gitutil.operation_in_progress(scratch):
            gitutil.git(scratch, 'am', '--abort', check=False)
        return base
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.parent.mkdir(parents=True, exist_ok=True)
    # A local clone hard-links the objects: cheap, and independent of
    # the source repository afterwards.
    with progress.stage(f'creating the scratch tree {scratch} '
                        f'(git clone {ctx.source})'):
        gitutil.git(scratch.parent, 'clone', '-q', '--no-checkout',
                    str(ctx.source), scratch.name)
        for key, value in (('user.name', config.QUEUE_IDENT_NAME),
                           ('user.email', config.QUEUE_IDENT_EMAIL),
                           ('gc.auto', '0'), ('core.abbrev', '12'),
                           ('advice.detachedHead', 'false')):
            gitutil.git(scratch, 'config', key, value)
        gitutil.git(scratch, 'checkout', '-q', '-f', '-B', BRANCH, base)
    return base


def patch_id(tree: Path, data: bytes) -> Optional[str]:
    out = gitutil.git(tree, 'patch-id', '--stable', input=data)
    ids = [line.split()[0] for line in out.splitlines() if line.strip()]
    return ids[0] if len(ids) == 1 else None


def existing_commits(tree: Path, base: str) -> list[tuple[str, Optional[str]]]:
    """(commit, patch-id) of the scratch branch above base, oldest first."""
    if not gitutil.git_ok(tree, 'rev-parse', '-q', '--verify',
                          f'refs/heads/{BRANCH}') or \
            not gitutil.git_ok(tree, 'merge-base', '--is-ancestor', base,
                               BRANCH):
        return []
    commits = gitutil.git(tree, 'rev-list', '--reverse', '--first-parent',
                          f'{base}..{BRANCH}').split()
    log = gitutil.git(tree, 'log', '-p', '--reverse', '--first-parent',
                      '--format=commit %H', f'{base}..{BRANCH}')
    ids = {}
    for line in gitutil.git(tree, 'patch-id', '--stable',
                            input=log.encode()).splitlines():
        pid, commit = line.split()
        ids[commit] = pid
    return [(c, ids.get(c)) for c in commits]


def move_to(tree: Path, commit: str) -> None:
    """Make the scratch branch point at commit; files that do not change
    keep their mtime, so the build stays incremental."""
    gitutil.git(tree, 'checkout', '-q', '-f', '-B', BRANCH, commit)
    gitutil.git(tree, 'clean', '-q', '-f', '-d', '-x')


def tree_id(tree: Path) -> str:
    return gitutil.git(tree, 'rev-parse', 'HEAD^{tree}').strip()


# --- checkpatch ----------------------------------------------------------

_CP_TOTAL = re.compile(r'^total: (\d+) errors?, (\d+) warnings?, '
                       r'(?:(\d+) checks?, )?\d+ lines checked', re.M)
_CP_FINDING = re.compile(r'^(ERROR|WARNING|CHECK):(?:[A-Z_]+:)?\s*(.*)$')
_CP_WHERE = re.compile(r'^#\d+: FILE: (\S+?):?$|^#\d+: FILE: (\S+:\d+):')


def parse_checkpatch(text: str) -> Checkpatch:
    cp = Checkpatch(ran=True)
    m = _CP_TOTAL.search(text)
    if not m:
        tail = [l for l in text.strip().splitlines() if l.strip()][-3:]
        cp.problem = 'checkpatch.pl did not finish: ' + (
            ' / '.join(tail) if tail else 'no output')
        return cp
    cp.errors, cp.warnings = int(m.group(1)), int(m.group(2))
    cp.checks = int(m.group(3) or 0)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        f = _CP_FINDING.match(line)
        if not f:
            continue
        where = ''
        if i + 1 < len(lines):
            w = re.match(r'^#\d+: FILE: (.+?):?\s*$', lines[i + 1])
            if w:
                where = w.group(1).rstrip(':')
        cp.findings.append(Finding(f.group(1), f.group(2).strip(), where))
    return cp


def run_checkpatch(ctx: Context, tree: Path, patch: Path, base: str,
                   log: Path) -> Checkpatch:
    key = _sha(patch.read_bytes(), base, 'checkpatch --strict --show-types')
    cache = ctx.state / 'cache' / 'checkpatch' / f'{key}.txt'
    if ctx.cache and cache.exists():
        text = cache.read_text()
        cp = parse_checkpatch(text)
        cp.cached = True
    else:
        proc = _run(['perl', 'scripts/checkpatch.pl', '--strict',
                     '--show-types', '--no-color', str(patch)], tree,
                    env=_tool_env())
        text = proc.stdout
        cp = parse_checkpatch(text)
        if not cp.problem:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(text)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(text)
    return cp


# --- applying ------------------------------------------------------------

def _hunk_of(patch: Path, path: str, line: int) -> str:
    """'hunk #2 (@@ -120,7 +120,9 @@ ...)' of path in patch at old line."""
    current, n = '', 0
    for raw in patch.read_text(errors='replace').splitlines():
        if raw.startswith('diff --git '):
            current, n = '', 0
            m = re.match(r'diff --git a/(\S+) b/(\S+)', raw)
            if m:
                current = m.group(1)
        elif raw.startswith('@@ ') and current == path:
            n += 1
            m = re.match(r'@@ -(\d+)', raw)
            if m and int(m.group(1)) == line:
                return f'hunk #{n} ({raw.strip()})'
    return f'the hunk at line {line}'


def apply_failure(tree: Path, patch: Path, am_output: str) -> str:
    """Which file and hunk do not apply, from git apply --check -v."""
    proc = _run(['git', 'apply', '--check', '-v', str(patch)], tree)
    out = proc.stdout
    lines: list[str] = []
    for m in re.finditer(r'^error: patch failed: (\S+):(\d+)$', out, re.M):
        lines.append(f'{m.group(1)}: {_hunk_of(patch, m.group(1), int(m.group(2)))}'
                     ' does not apply')
    for m in re.finditer(r'^error: (\S+): (does not exist in index|'
                         r'already exists in (?:index|working directory)|'
                         r'No such file or directory)$', out, re.M):
        lines.append(f'{m.group(1)}: {m.group(2)}')
    searching = re.search(r'^error: while searching for:\n(.*?)\n(?=error:)',
                          out, re.M | re.S)
    if searching:
        ctx_lines = [l for l in searching.group(1).splitlines()][:4]
        lines.append('  git looked for:')
        lines.extend(f'  | {l}' for l in ctx_lines)
    if not lines:
        reason = [l for l in (out or am_output).splitlines()
                  if l.startswith(('error:', 'fatal:', 'Patch failed',
                                   'patch:'))]
        lines = reason[:6] or ['git am failed: ' +
                               ' / '.join(am_output.strip().splitlines()[:3])]
    return '\n'.join(dict.fromkeys(lines))


def git_am(tree: Path, patch: Path) -> tuple[bool, str]:
    proc = _run(['git', 'am', '--quiet', str(patch)], tree,
                env=gitutil.queue_ident_env(tree))
    if proc.returncode == 0:
        return True, ''
    detail = apply_failure(tree, patch, proc.stdout)
    gitutil.git(tree, 'am', '--abort', check=False)
    return False, detail


# --- building ------------------------------------------------------------

def make_options() -> list[str]:
    """What the harness passes kunit.py (--make_options): the same, so
    kunit.py's own build at the tip finds nothing to redo."""
    return ['CC=ccache gcc'] if shutil.which('ccache') else []


def config_text(tree: Path, kunitconfigs: list[Path]) -> str:
    """UML's kunit.py base config plus the kunitconfig fragments."""
    arch = tree / UML_ARCH_CONFIG
    parts = [arch.read_text() if arch.exists() else '']
    parts += [p.read_text() for p in kunitconfigs]
    return '\n'.join(parts) + '\n'


def _gcc_version() -> str:
    try:
        return subprocess.run(['gcc', '--version'], stdout=subprocess.PIPE,
                              text=True).stdout.split('\n', 1)[0]
    except OSError:
        return ''


_WARNING = re.compile(r'^(\S+?):(\d+):(?:\d+:)? warning: (.*)$', re.M)


@dataclass
class BuildOutcome:
    ok: bool
    detail: str = ''
    warnings: list[str] = field(default_factory=list)
    secs: float = 0.0


def _make_env() -> dict[str, str]:
    return {'CCACHE_DIR': os.environ.get('CCACHE_DIR',
                                         str(config.ccache_dir()))}


def olddefconfig(tree: Path, out: Path, text: str) -> subprocess.CompletedProcess[str]:
    out.mkdir(parents=True, exist_ok=True)
    (out / '.config').write_text(text)
    return _run(['make', 'ARCH=um', f'O={out}', 'olddefconfig',
                 *make_options()], tree, env=_make_env())


def build(ctx: Context, tree: Path, out: Path, touched: list[str],
          log: Path, progress: Progress, what: str) -> BuildOutcome:
    """Configure (kunit.py's way) and build the tree in out."""
    began = time.monotonic()
    proc = olddefconfig(tree, out, config_text(tree, ctx.kunitconfigs))
    if proc.returncode != 0:
        log.write_text(proc.stdout)
        return BuildOutcome(False, 'make olddefconfig failed:\n' +
                            '\n'.join(proc.stdout.strip().splitlines()[-8:]),
                            secs=time.monotonic() - began)
    jobs = ctx.jobs or len(os.sched_getaffinity(0))
    cmd = ['make', 'all', 'compile_commands.json', 'ARCH=um', f'O={out}',
           f'--jobs={jobs}', *make_options()]
    compiled = [0]
    err_lines: list[str] = []
    env = dict(os.environ, LC_ALL='C', **_make_env())
    with progress.stage(what, lambda: f'{compiled[0]} files compiled'):
        with subprocess.Popen(cmd, cwd=tree, env=env, text=True,
                              errors='replace', stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL) as proc2:
            assert proc2.stdout is not None and proc2.stderr is not None
            stderr_pipe = proc2.stderr
            t = threading.Thread(target=lambda: err_lines.extend(stderr_pipe),
                                 daemon=True)
            t.start()
            for line in proc2.stdout:
                if line.startswith('  CC '):
                    compiled[0] += 1
            t.join()
            rc = proc2.wait()
    stderr = ''.join(err_lines)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(' '.join(cmd) + '\n' + stderr)
    warnings = _touched_warnings(stderr, tree, touched)
    secs = time.monotonic() - began
    if rc == 0:
        return BuildOutcome(True, f'{compiled[0]} files compiled',
                            warnings, secs)
    errors = buildlog.first_errors(stderr)
    n = buildlog.count_errors(stderr)
    detail = (f'{n} error line(s):\n{errors}' if errors else
              'make failed:\n' + '\n'.join(stderr.strip().splitlines()[-10:]))
    return BuildOutcome(False, _relative(detail, tree), warnings, secs)


def _relative(text: str, tree: Path) -> str:
    return text.replace(str(tree.resolve()) + '/', '').replace(
        str(tree) + '/', '')


def _touched_warnings(stderr: str, tree: Path, touched: list[str]) -> list[str]:
    found = []
    for m in _WARNING.finditer(_relative(stderr, tree)):
        path = m.group(1)
        if path.startswith('./'):
            path = path[2:]
        if path in touched:
            found.append(f'{path}:{m.group(2)}: warning: {m.group(3)}')
    return list(dict.fromkeys(found))


def _fragments(ctx: Context) -> str:
    return ''.join(p.read_text() for p in ctx.kunitconfigs)


def build_cache(ctx: Context, tree_hash: str) -> Path:
    """Where the build result of a tree is kept; the tree hash covers
    the kernel sources and kunit.py's arch config."""
    key = _sha(tree_hash, _fragments(ctx), ' '.join(make_options()),
               _gcc_version())
    return ctx.state / 'cache' / 'builds' / f'{key}.json'


def cached_build(ctx: Context, tree: Path, out: Path, touched: list[str],
                 log: Path, progress: Progress, what: str
                 ) -> tuple[BuildOutcome, bool]:
    cache = build_cache(ctx, tree_id(tree))
    if ctx.cache and cache.exists():
        return BuildOutcome(**json.loads(cache.read_text())), True
    outcome = build(ctx, tree, out, touched, log, progress, what)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(asdict(outcome)))
    return outcome, False


# --- KUnit ---------------------------------------------------------------

_CRASH_TITLE = re.compile(r'Oops|BUG:|kernel BUG|Kernel panic|general '
                          r'protection|Unable to handle|Segfault')


def _kunit_result(where: str, outcome: kunitrun.Outcome) -> KunitResult:
    kr = KunitResult(where, ran=True, code=int(outcome.code),
                     message=_relative(outcome.message, outcome.build_dir)
                     if outcome.message else '')
    kr.summary = outcome.counts.closing_line() if outcome.counts.total \
        else 'no test case ran'
    prefix = outcome.layer.name + '.'
    kr.cases = [{'suite': c.group[len(prefix):] if c.group.startswith(prefix)
                 else c.group, 'name': c.name, 'status': c.status}
                for c in outcome.counts.cases]
    kr.crashed_cases = [f"{c['suite']}.{c['name']}" for c in kr.cases
                        if c['status'] == 'ERROR']
    log = outcome.build_dir / 'test.log'
    kr.log = str(log)
    if outcome.scan is not None:
        kr.reports = outcome.scan.summary()
        kr.unexpected = [f'{r.title}' + (f' (in {r.case})' if r.case else '')
                         for r in outcome.scan.unexpected]
    if outcome.code == Exit.KERNEL_CRASHED:
        kr.oops = oops_summary(log)
    return kr


def oops_summary(log: Path) -> str:
    """The crash's first lines: its title and what follows."""
    text = log.read_text(errors='replace') if log.exists() else ''
    scan = kernlog.scan(text)
    crash = [r for r in scan.reports if _CRASH_TITLE.search(r.title)]
    if crash:
        r = crash[0]
        block = [l.strip() for l in r.block.splitlines() if l.strip()]
        where = f' (in {r.case})' if r.case else ''
        return '\n'.join(block[:8]) + where
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return '\n'.join(lines[-8:]) if lines else 'no kernel log'


def filtered_kunitconfig(ctx: Context, tree: Path, out: Path
                         ) -> tuple[Optional[Path], list[str]]:
    """The kunitconfig entries the base tree knows (the series may add
    the options its suites need). Returns (file, dropped entries)."""
    text = config_text(tree, ctx.kunitconfigs)
    proc = olddefconfig(tree, out, text)
    if proc.returncode != 0:
        return None, []
    have = set((out / '.config').read_text().splitlines())
    kept, dropped = [], []
    for frag in ctx.kunitconfigs:
        for line in frag.read_text().splitlines():
            s = line.strip()
            if not s or (s.startswith('#') and 'is not set' not in s):
                continue
            (kept if s in have else dropped).append(s)
    path = ctx.state / 'kunitconfig.base'
    path.write_text(''.join(l + '\n' for l in kept))
    return path, dropped


def base_cache(ctx: Context, base_tree: str) -> Path:
    key = _sha(base_tree, _fragments(ctx), ' '.join(ctx.kunit_args),
               _gcc_version())
    return ctx.state / 'cache' / 'kunit-base' / f'{key}.json'


def cached_base_kunit(ctx: Context, base_tree: Optional[str]
                      ) -> Optional[KunitResult]:
    if not ctx.cache or not base_tree:
        return None
    cache = base_cache(ctx, base_tree)
    if not cache.exists():
        return None
    kr = KunitResult(**json.loads(cache.read_text()))
    kr.cached = True
    return kr


def run_base_kunit(ctx: Context, tree: Path, progress: Progress
                   ) -> KunitResult:
    """The suites on the base state the tree is at (options the base
    does not know are left out of the kunitconfig)."""
    out = kunitrun.build_dir(tree, ctx.layer('base'))
    path, dropped = filtered_kunitconfig(ctx, tree, out)
    if path is None:
        return KunitResult('base', note='make olddefconfig failed at the base')
    note = ('not in the base tree: ' + ', '.join(dropped)) if dropped else ''
    tests = [l for l in path.read_text().splitlines()
             if l.endswith('=y') and l != 'CONFIG_KUNIT=y']
    if not tests:
        kr = KunitResult('base', ran=False, summary='no suite at the base',
                         note=note or 'no suite of the kunitconfig exists at '
                         'the base')
    else:
        with progress.stage('KUnit at the base (kunit.py run, UML)'):
            outcome = kunitrun.run(tree, ctx.layer('base', [path]),
                                   list(ctx.kunit_args), series_len=0)
        kr = _kunit_result('base', outcome)
        kr.note = note
        if outcome.code not in (Exit.OK, Exit.TESTS_FAILED,
                                Exit.KERNEL_REPORTS, Exit.NO_TESTS):
            return kr               # not cached: may be transient
    cache = base_cache(ctx, tree_id(tree))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(asdict(kr)))
    return kr


def delta(base: Optional[KunitResult], tip: Optional[KunitResult]) -> Delta:
    d = Delta()
    if tip is None or not tip.ran:
        d.note = 'no KUnit run at the tip'
        return d
    if base is None:
        d.note = 'no KUnit result at the base'
        return d
    if base.ran and base.code not in (Exit.OK, Exit.TESTS_FAILED,
                                      Exit.KERNEL_REPORTS, Exit.NO_TESTS):
        d.note = f'the base run failed: {base.message.splitlines()[0]}' \
            if base.message else 'the base run failed'
        return d
    d.available = True
    before = {f"{c['suite']}.{c['name']}": c['status'] for c in base.cases}
    after = {f"{c['suite']}.{c['name']}": c['status'] for c in tip.cases}
    bad = ('FAIL', 'ERROR')
    for name, status in after.items():
        if name not in before:
            d.added.append(name)
        elif status in bad and before[name] not in bad:
            d.newly_failing.append(name)
        elif status == 'PASS' and before[name] in bad:
            d.newly_passing.append(name)
    d.removed = [n for n in before if n not in after]
    return d


# --- get_maintainer ------------------------------------------------------

def maintainers(tree: Path, patches: list[Path]) -> tuple[list[str],
                                                         list[str], str]:
    """(To, Cc, problem): maintainers in To, reviewers and lists in Cc."""
    script = tree / 'scripts/get_maintainer.pl'
    if not script.exists():
        return [], [], 'scripts/get_maintainer.pl not found'
    proc = _run(['perl', 'scripts/get_maintainer.pl', '--no-git',
                 '--no-git-fallback', '--no-tree',
                 *[str(p) for p in patches]], tree, env=_tool_env())
    to, cc = [], []
    for line in proc.stdout.splitlines():
        m = re.match(r'^(.*?<[^<>@\s]+@[^<>\s]+>|[^<>@\s]+@\S+)\s+\((.*)\)$',
                     line.strip())
        if not m:
            continue
        addr, role = m.group(1), m.group(2)
        (to if role.startswith('maintainer') else cc).append(addr)
    problem = '' if to or cc else 'get_maintainer.pl found nobody: ' + \
        ' / '.join(proc.stdout.strip().splitlines()[:2])
    return list(dict.fromkeys(to)), list(dict.fromkeys(cc)), problem


# --- the pipeline --------------------------------------------------------

def _touched(tree: Path) -> list[str]:
    return gitutil.git(tree, 'diff', '--name-only', 'HEAD~1', 'HEAD'
                       ).split()


def run(ctx: Context, intake: Intake, result: Result, report_dir: Path,
        progress: Optional[Progress] = None) -> Result:
    """Run the pipeline on intake.patches; fill and return result."""
    progress = progress or Progress()
    patches = intake.patches
    result.steps = [StepResult(p.position, p.total, p.subject, p.title,
                               str(p.path)) for p in patches]
    with locked(ctx.state, progress):
        base = ensure_scratch(ctx, progress)
        _pipeline(ctx, patches, result, base, report_dir, progress)
    return result


NOT_BISECTED = ('not built: per-patch builds are off here '
                '(tools/pcl check builds every patch)')


def same_content(tree: Path, other: Optional[Path]) -> bool:
    """Whether other (a prepared tree) builds the same kernel as tree:
    same committed content, no changes to tracked files, and the same
    kunit/ overlay files."""
    from . import overlay
    if other is None or not gitutil.is_repo(other):
        return False
    if tree_id(other) != tree_id(tree) or gitutil.changed_tracked_files(other):
        return False
    return not any(overlay.differs(other, tree, rel) for rel in
                   overlay.files(config.overlay_dir())
                   if (other / rel).exists())


def _commit_tree(tree: Path, commit: str) -> str:
    return gitutil.git(tree, 'rev-parse', f'{commit}^{{tree}}').strip()


def _pipeline(ctx: Context, patches: list[Patch], result: Result, base: str,
              report_dir: Path, progress: Progress) -> None:
    tree = ctx.scratch
    n, n_onto = len(patches), len(ctx.onto)
    want = [patch_id(tree, p.read_bytes()) for p in ctx.onto] + \
        [patch_id(tree, p.path.read_bytes()) for p in patches]
    have = existing_commits(tree, base) if ctx.cache else []
    # Commits of the last run that can stay: same patch-ids on the same
    # base and, for the series' own patches, a cached build result.
    reuse = 0
    while reuse < min(len(want), len(have)) and want[reuse] and \
            want[reuse] == have[reuse][1] and (
                reuse < n_onto or build_cache(ctx, _commit_tree(
                    tree, have[reuse][0])).exists()):
        reuse += 1
    cached_base = None
    if ctx.kunit:
        base_commit = have[n_onto - 1][0] if n_onto and reuse >= n_onto \
            else (base if not n_onto else None)
        cached_base = cached_base_kunit(
            ctx, _commit_tree(tree, base_commit) if base_commit else None)
        if cached_base is None:
            reuse = min(reuse, n_onto)      # the base must be built
    target = have[reuse - 1][0] if reuse else base
    if gitutil.head(tree) != target or gitutil.changed_tracked_files(tree):
        progress.say(f'scratch tree: to {target[:12]} ({reuse} commit(s) '
                     'of the last run kept)')
        move_to(tree, target)
    if n_onto > reuse:
        from . import series
        with progress.stage(f'applying {ctx.onto_desc} below the series'):
            series.apply(tree, series.Series(ctx.onto[0].parent,
                                             ctx.onto[reuse:]))
    reused = max(0, reuse - n_onto)         # series patches kept

    out = kunitrun.build_dir(tree, ctx.layer('tip'))
    if ctx.kunit:
        result.kunit_base = cached_base or run_base_kunit(ctx, tree, progress)
        progress.say('KUnit at the base: ' + result.kunit_base.summary +
                     (' (cached)' if result.kunit_base.cached else ''))

    gap = ''                         # why later patches are not built
    tip_elsewhere: Optional[Path] = None
    first_missing = min(result.missing) if result.missing else 0
    for i, (patch, step) in enumerate(zip(patches, result.steps)):
        tag = f'patch {step.label}'
        if first_missing and step.position > first_missing and not gap:
            gap = f'{first_missing}/{step.total} is missing'
        with progress.stage(f'{tag}: checkpatch'):
            step.checkpatch = run_checkpatch(
                ctx, tree, patch.path, base,
                report_dir / 'checkpatch' / f'{step.position:04d}.txt')
        cp = step.checkpatch
        progress.say(f'{tag}: checkpatch: ' + (cp.problem or
                     f'{cp.errors} errors, {cp.warnings} warnings, '
                     f'{cp.checks} checks'))
        if i < reused:
            step.commit = have[n_onto + i][0]
            step.tree = _commit_tree(tree, step.commit)
            step.applies = 'yes'
            step.apply_detail = ('same patch-id on the same tree as in the '
                                 'last run: its commit is reused')
        else:
            with progress.stage(f'{tag}: git am'):
                ok, detail = git_am(tree, patch.path)
            step.applies = 'yes' if ok else 'no'
            step.apply_detail = detail
            if not ok:
                progress.say(f'{tag}: does not apply:\n{detail}')
                gap = gap or f'{step.label} does not apply'
                continue
            step.commit = gitutil.head(tree)
            step.tree = tree_id(tree)
        if gap:
            step.builds = 'skipped'
            step.build_detail = f'not built: {gap}'
            continue
        last = i == len(patches) - 1
        if last and ctx.kunit and same_content(tree, ctx.tip_tree):
            assert ctx.tip_tree is not None
            tip_elsewhere = ctx.tip_tree
            step.build_detail = (f'same tree as {ctx.tip_tree}: built there, '
                                 'by the KUnit run')
            progress.say(f'{tag}: {step.build_detail}')
            continue
        if not ctx.bisect and not last and not (
                ctx.cache and build_cache(ctx, step.tree).exists()):
            step.build_detail = NOT_BISECTED
            continue
        if i < reused or not ctx.bisect and not last:
            outcome = BuildOutcome(**json.loads(
                build_cache(ctx, step.tree).read_text()))
            cached = True
        else:
            outcome, cached = cached_build(
                ctx, tree, out, _touched(tree),
                report_dir / 'build' / f'{step.position:04d}.log', progress,
                f'{tag}: build (UML, {out.name})')
        step.builds = 'yes' if outcome.ok else 'no'
        step.build_detail = outcome.detail
        step.build_cached = cached
        step.build_secs = outcome.secs
        step.warnings = outcome.warnings
        progress.say(f'{tag}: build: ' + ('ok' if outcome.ok else 'FAILED') +
                     (' (cached)' if cached else ''))
        if not outcome.ok:
            progress.say(outcome.detail)

    applied_all = bool(result.steps) and not result.missing and \
        all(s.applies == 'yes' for s in result.steps)
    tip_builds = bool(result.steps) and (result.steps[-1].builds == 'yes'
                                         or tip_elsewhere is not None)
    if ctx.kunit and applied_all and tip_builds:
        where = tip_elsewhere or tree
        with progress.stage(f'KUnit at the tip (kunit.py run, UML, {where})'):
            outcome = kunitrun.run(where, ctx.layer('tip'),
                                   list(ctx.kunit_args), series_len=n)
        result.kunit = _kunit_result('tip', outcome)
        if tip_elsewhere is not None:
            last_step = result.steps[-1]
            last_step.builds = 'no' if outcome.code == Exit.BUILD_FAILED \
                else 'yes'
            if outcome.code == Exit.BUILD_FAILED:
                last_step.build_detail = _relative(outcome.message, where)
        _copy(outcome.build_dir / 'test.log', report_dir / 'kunit-tip.log')
        _copy(outcome.build_dir / 'results.json',
              report_dir / 'kunit-tip.json')
        result.delta = delta(result.kunit_base, result.kunit)
    elif ctx.kunit:
        why = 'the series is incomplete' if result.missing else \
            'the series does not apply' if not applied_all else \
            'the tip does not build'
        result.kunit = KunitResult('tip', note=f'not run: {why}')
        result.delta = Delta(note=f'not available: {why}')
    with progress.stage('get_maintainer.pl on the series'):
        result.to, result.cc, result.maintainers_problem = maintainers(
            tree, [p.path for p in patches])


def _copy(src: Path, dest: Path) -> None:
    if src.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)


# --- verdict -------------------------------------------------------------

def verdict(result: Result) -> None:
    """Set result.code and result.verdict from what went wrong, most
    serious first: bad input 2, a patch that does not apply 6, a build
    failure 7, a kernel crash 8, checkpatch errors or failing KUnit cases
    1, no case ran 11, unexpected kernel reports 10."""
    why: list[tuple[Exit, str]] = []
    if result.problems:
        why.append((Exit.USAGE, result.problems[0]))

    def labels(what: str, steps: list[StepResult]) -> str:
        names = [s.label for s in steps]
        verb = {'apply': ('does not apply', 'do not apply'),
                'build': ('does not build', 'do not build')}[what]
        return f'{", ".join(names)} {verb[len(names) > 1]}'

    no_apply = [s for s in result.steps if s.applies == 'no']
    if no_apply:
        why.append((Exit.PATCH_FAILED, labels('apply', no_apply)))
    no_build = [s for s in result.steps if s.builds == 'no']
    if no_build:
        why.append((Exit.BUILD_FAILED, labels('build', no_build)))
    k = result.kunit
    if k and k.ran:
        if k.code == Exit.BUILD_FAILED:
            why.append((Exit.BUILD_FAILED, 'the KUnit kernel does not build'))
        elif k.code == Exit.KERNEL_CRASHED:
            why.append((Exit.KERNEL_CRASHED, 'the kernel crashed during KUnit'))
    cp_errors = [s.label for s in result.steps if s.checkpatch.errors]
    if cp_errors:
        why.append((Exit.TESTS_FAILED,
                    f'checkpatch errors in {", ".join(cp_errors)}'))
    cp_broken = [s.label for s in result.steps if s.checkpatch.problem]
    if cp_broken:
        why.append((Exit.TESTS_FAILED,
                    f'checkpatch did not run on {", ".join(cp_broken)}'))
    if k and k.ran:
        if k.code == Exit.TESTS_FAILED:
            why.append((Exit.TESTS_FAILED, 'KUnit cases fail at the tip'))
        elif k.code == Exit.NO_TESTS:
            why.append((Exit.NO_TESTS, 'no KUnit case ran at the tip'))
        elif k.code == Exit.KERNEL_REPORTS:
            why.append((Exit.KERNEL_REPORTS, 'unexpected kernel reports'))
        elif k.code not in (Exit.OK, Exit.BUILD_FAILED,
                            Exit.KERNEL_CRASHED):
            why.append((Exit(k.code), k.message.splitlines()[0]
                        if k.message else 'KUnit failed'))
    if result.delta.newly_failing and not any(c == Exit.TESTS_FAILED
                                              for c, _ in why):
        why.append((Exit.TESTS_FAILED, 'KUnit cases newly failing'))
    order = [Exit.USAGE, Exit.PATCH_FAILED, Exit.BUILD_FAILED,
             Exit.KERNEL_CRASHED, Exit.TESTS_FAILED, Exit.NO_TESTS,
             Exit.KERNEL_REPORTS]
    why.sort(key=lambda w: order.index(w[0]) if w[0] in order else 99)
    if result.fatal:                # the pipeline stopped early
        why.insert(0, (Exit(result.fatal_code), result.fatal))
    if why:
        result.code = int(why[0][0])
        result.verdict = 'FAIL: ' + '; '.join(dict.fromkeys(w for _, w in why))
    else:
        result.code = 0
        result.verdict = 'PASS'
