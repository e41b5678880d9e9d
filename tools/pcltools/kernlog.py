"""Kernel reports in a test log: lockdep, WARNING, BUG, hung tasks, KASAN.

A report fails the run unless it is
  - a known baseline report of the unpatched 6.12 tree (BASELINE below), or
  - expected by the KUnit case it appears in: the case's output (between
    the previous KTAP result line and its own) contains a line
        # expected report: <signature>
    (e.g. kunit_info(test, "expected report: %s", sig)) and <signature>
    occurs in the report's first lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from . import ktap, ui

TITLES = re.compile(
    r'(WARNING: .+|BUG: .+|kernel BUG at .+|'
    r'INFO: task .+ blocked for more than .+|'
    r'INFO: .*rcu.* stall.*|rcu: INFO: .+|'
    r'Kernel panic - not syncing.*|Oops: .+|general protection fault.*|'
    r'UBSAN: .+|Unable to handle kernel .+)')
# A line that means the kernel crashed (kunit.py's run counts as a crash,
# and so does an end-to-end boot); and the titles among TITLES that are
# crashes rather than warnings (the check report's oops summary).
CRASH = re.compile(r'Kernel panic - not syncing|Oops: |general protection '
                   r'fault|Segmentation fault|BUG: kernel NULL pointer')
CRASH_TITLE = re.compile(r'Oops|BUG:|kernel BUG|Kernel panic|general '
                         r'protection|Unable to handle|Segfault')
MARKER = re.compile(r'# (?:[\w.\-]+: )?expected report: (.+?)\s*$')
BLOCK_LINES = 8     # lines of a report its signature is looked for in


@dataclass(frozen=True)
class Baseline:
    name: str
    pattern: str        # searched (re.S) in the report's first lines
    why: str


BASELINE = [
    Baseline('virt-pci: no virtio device ID',
             r'virt-pci\.c.*No virtio device ID configured for PCI',
             'UML boot-time WARN in arch/um/drivers/virt-pci.c when no '
             'virtio PCI device ID is configured; unrelated to the series'),
    Baseline('maple tree: suspicious RCU usage',
             r'suspicious RCU usage.*lib/maple_tree\.c:(791|835)',
             'seen on pristine 6.12 UML with PROVE_LOCKING and PREEMPT under '
             'unmap_mapping_pages() during ext2 DIO writes (intermittent)'),
]


@dataclass
class Report:
    line: int               # 1-based line number of the title
    title: str
    block: str
    case: str = ''          # KUnit case it appeared in, if known
    verdict: str = ''       # 'baseline: <name>', 'expected' or 'unexpected'


@dataclass
class Scan:
    reports: list[Report] = field(default_factory=list)

    @property
    def unexpected(self) -> list[Report]:
        return [r for r in self.reports if r.verdict == 'unexpected']

    def summary(self) -> str:
        base = sum(r.verdict.startswith('baseline') for r in self.reports)
        exp = sum(r.verdict == 'expected' for r in self.reports)
        return (f'kernel reports: {len(self.unexpected)} unexpected, '
                f'{exp} expected by their test case, {base} known baseline')


def _baseline(block: str) -> Optional[Baseline]:
    for known in BASELINE:
        if re.search(known.pattern, block, re.S):
            return known
    return None


def scan(text: str) -> Scan:
    lines = text.splitlines()
    result = Scan()
    pending: list[Report] = []      # reports in the current case region
    markers: list[str] = []
    for i, line in enumerate(lines):
        m = MARKER.search(line)
        if m:
            markers.append(m.group(1))
            continue
        m = ktap.LOG_RESULT.match(line)
        if m or ktap.LOG_HEADER.match(line):
            # A result line ends its case; a header starts a new region
            # (reports above it belong to no case).
            _close(pending, markers, m.group(1) if m else '')
            result.reports.extend(pending)
            pending, markers = [], []
            continue
        t = TITLES.search(line)
        if t:
            pending.append(Report(i + 1, t.group(1).strip(),
                                  _block(lines, i)))
    _close(pending, markers, '')
    result.reports.extend(pending)
    return result


def _block(lines: list[str], start: int) -> str:
    """The report's first lines: up to the next KTAP result line, without
    expected-report markers (a marker must not match itself)."""
    block = [lines[start]]
    for line in lines[start + 1:start + BLOCK_LINES]:
        if ktap.LOG_RESULT.match(line):
            break
        if not MARKER.search(line):
            block.append(line)
    return '\n'.join(block)


def _close(reports: list[Report], markers: list[str], case: str) -> None:
    for report in reports:
        report.case = case
        known = _baseline(report.block)
        if known:
            report.verdict = f'baseline: {known.name}'
        elif case and any(sig in report.block for sig in markers):
            report.verdict = 'expected'
        else:
            report.verdict = 'unexpected'


def print_scan(scan: Scan, log: Path) -> None:
    for r in scan.reports:
        where = f' in {r.case}' if r.case else ''
        if r.verdict == 'unexpected':
            ui.error(f'kernel report{where} ({log}:{r.line}):\n{r.block}')
        else:
            ui.info(f'kernel report{where}: {r.title} [{r.verdict}]')
    ui.info(scan.summary())
