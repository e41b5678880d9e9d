"""What the check pipeline finds: one StepResult a patch, the KUnit runs
and their delta, in one Result; and the Context it runs in."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

from .suites import Choice

JsonObj = dict[str, Any]


class Applies(str, enum.Enum):
    YES = 'yes'
    NO = 'no'
    NOT_TRIED = 'not tried'


class Builds(str, enum.Enum):
    YES = 'yes'
    NO = 'no'
    SKIPPED = 'skipped'             # an earlier patch is missing or broke
    NOT_BUILT = 'not built'


# Why a patch below the tip was not built when builds are not bisected
# (make test's validation; tools/pcl check builds every patch).
NOT_BISECTED = 'per-patch builds are off here (tools/pcl check builds ' \
    'every patch)'


@dataclass
class Finding:
    level: str                      # ERROR, WARNING or CHECK
    message: str
    where: str = ''                 # 'mm/foo.c:12'
    type: str = ''                  # checkpatch's type: 'BAD_FIXES_TAG'
    line: int = 0                   # the line of the patch mail ('#12')


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
class Check:
    """One of the checks a maintainer's bot runs on a patch besides
    checkpatch (kernel-doc, the rst syntax, the Fixes: tags, the
    subject): what it looked at and its findings. An ERROR fails the
    patch, a WARNING is reported (as checkpatch's are), a CHECK is a
    note."""
    ran: bool = False
    checked: str = ''               # what it looked at, in words
    errors: int = 0
    warnings: int = 0
    checks: int = 0
    findings: list[Finding] = field(default_factory=list)
    # kernel-doc: its warnings in the touched files at the parent and at
    # the patch (-1: not counted)
    before: int = -1
    now: int = -1
    problem: str = ''               # the check itself failed
    note: str = ''                  # why it did not run
    cached: bool = False

    def add(self, level: str, message: str, where: str = '',
            line: int = 0) -> None:
        self.findings.append(Finding(level, message, where, line=line))
        if level == 'ERROR':
            self.errors += 1
        elif level == 'WARNING':
            self.warnings += 1
        else:
            self.checks += 1

    @property
    def outcome(self) -> str:
        """broken (did not run: a problem), 'not run', fail (errors),
        warn (warnings), note (checks only) or pass."""
        if self.problem:
            return 'broken'
        if not self.ran:
            return 'not run'
        if self.errors:
            return 'fail'
        if self.warnings:
            return 'warn'
        return 'note' if self.checks else 'pass'

    def counts(self) -> str:
        return f'{self.errors} errors, {self.warnings} warnings, ' \
            f'{self.checks} checks'

    def first(self) -> Optional[Finding]:
        """The most serious finding."""
        order = {'ERROR': 0, 'WARNING': 1, 'CHECK': 2}
        if not self.findings:
            return None
        return min(self.findings, key=lambda f: order.get(f.level, 3))

    def describe(self) -> str:
        """One line: what it looked at and found, or why it did not
        run."""
        if self.problem:
            return f'did not run: {self.problem}'
        if not self.ran:
            return self.note or 'not run'
        if self.before < 0:
            return f'{self.checked}: {self.counts()}'
        return f'{self.checked}: {self.warnings} new warnings, ' \
            f'{self.checks} new checks (warnings before: {self.before}, ' \
            f'this patch: {self.now})'


# The bot's checks of a patch: their names in every report format (the
# JUnit case, the KCIDB test path, the patchwork context) and in words.
BOT_CHECKS = (('kernel-doc', 'kernel-doc'), ('rst', 'rst syntax'),
              ('fixes', 'Fixes: tags'), ('subject', 'subject'))


@dataclass
class StepResult:
    position: int
    total: int
    subject: str
    title: str
    file: str
    checkpatch: Checkpatch = field(default_factory=Checkpatch)
    applies: Applies = Applies.NOT_TRIED
    apply_detail: str = ''
    builds: Builds = Builds.NOT_BUILT
    build_detail: str = ''
    build_cached: bool = False
    build_secs: float = 0.0
    warnings: list[str] = field(default_factory=list)
    commit: str = ''
    tree: str = ''
    not_bisected: bool = False      # not built: see NOT_BISECTED
    sha256: str = ''                # of the patch file as applied
    msgid: str = ''                 # its Message-Id, when it has one
    kerneldoc: Check = field(default_factory=Check)
    rst: Check = field(default_factory=Check)
    fixes: Check = field(default_factory=Check)
    subject_check: Check = field(default_factory=Check)

    @property
    def label(self) -> str:
        return f'{self.position}/{self.total}'

    def bot_checks(self) -> list[tuple[str, str, Check]]:
        """(name, name in words, result) of the bot's checks, in order."""
        results = (self.kerneldoc, self.rst, self.fixes, self.subject_check)
        return [(n, w, c) for (n, w), c in zip(BOT_CHECKS, results)]


@dataclass
class KunitCase:
    suite: str
    name: str
    status: str                     # PASS, FAIL, SKIP or ERROR

    @property
    def full_name(self) -> str:
        return f'{self.suite}.{self.name}'


@dataclass
class KunitResult:
    where: str                      # 'tip' or 'base'
    ran: bool = False
    code: int = 0
    message: str = ''
    summary: str = ''               # closing line
    cases: list[KunitCase] = field(default_factory=list)
    reports: str = ''               # scan summary
    unexpected: list[str] = field(default_factory=list)
    oops: str = ''
    crashed_cases: list[str] = field(default_factory=list)
    cached: bool = False
    note: str = ''
    log: str = ''
    # kunit.py refused the configuration: the options it named missing
    config_problem: str = ''
    # the tool's default kunitconfig options the tree does not have, left
    # out of the run
    left_out: list[str] = field(default_factory=list)
    kunitconfigs: list[str] = field(default_factory=list)  # as passed

    @classmethod
    def from_json(cls, obj: JsonObj) -> KunitResult:
        fields = dict(obj)
        fields['cases'] = [KunitCase(**c) for c in obj.get('cases', [])]
        return cls(**fields)


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
    base_commit: str = ''           # the commit the series applies onto
    config: str = ''                # the build configuration, in words
    cover_msgid: str = ''           # the cover letter's Message-Id
    onto_sha256: list[str] = field(default_factory=list)  # patches below
    started: str = ''               # ISO 8601, UTC
    title: str = ''                 # cover letter subject
    method: str = ''
    messages: int = 0
    replies: int = 0
    missing: list[int] = field(default_factory=list)
    total: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    # the directories' .kunitconfig files the touched paths chose, and
    # why ('fs/ext4/.kunitconfig (touched: fs/ext4/inode.c)')
    suites: list[str] = field(default_factory=list)
    suites_selected: bool = False   # suites were chosen by touched paths
    kunit: Optional[KunitResult] = None
    kunit_base: Optional[KunitResult] = None
    delta: Delta = field(default_factory=Delta)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    maintainers_problem: str = ''
    b4: Check = field(default_factory=Check)  # b4 prep takes the series
    fatal: str = ''                 # the pipeline stopped: why
    fatal_code: int = 0
    code: int = 0
    verdict: str = ''
    seconds: float = 0.0

    def to_json(self) -> JsonObj:
        return asdict(self)


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
    # The scratch tree's name under state: one per base, so that each
    # keeps its own build directory ('linux': this project's series and
    # follow-ups; 'linux-base': other series posted against the base).
    scratch_name: str = 'linux'
    # Fit KUnit to the series: the suites of the .kunitconfig directories
    # the patches touch, and the defaults' options the tree does not have
    # left out at the tip too (validate onto the base).
    select_suites: bool = False
    # The tool's own kunitconfig fragments (the others are the user's).
    default_kunitconfigs: list[Path] = field(default_factory=list)
    # Chosen at the start of a run when select_suites is set.
    suite_choices: list[Choice] = field(default_factory=list)

    @property
    def scratch(self) -> Path:
        return self.state / self.scratch_name

    def fragments_in(self, tree: Path) -> list[Path]:
        """The kunitconfig fragments of a build of tree: the given ones
        and the chosen directories' .kunitconfig files that tree has."""
        dirs = [tree / c.kunitconfig for c in self.suite_choices]
        return list(self.kunitconfigs) + [d for d in dirs if d.is_file()]
