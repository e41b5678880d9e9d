"""The stock / series table of the end-to-end layer: every case of every
program, one column per variant booted (stock, series, on each machine),
and the figures the programs print ('# figures: name=value ...' and the
'# stale_reads mode=M total=N' lines; those of a control run with an
injected fault, mode=injected, apart) with the kernel's "invalidation
failure" messages counted per program."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from .outcome import INVALIDATION_FAILURE, STALE

SUBTEST = re.compile(r'^    # Subtest: (\S+)')
CASE = re.compile(r'^    (not )?ok \d+ (\S+)(?:\s+#\s*(\S+))?')
PROGRAM = re.compile(r'^(not )?ok \d+ (\S+)(?:\s+#\s*(.*))?')
FIGURES = re.compile(r'^    # figures: (.*)')
START = re.compile(r'e2e: start (\S+)')

LEGEND = ('ok: the case passed. On stock, a case '
          'that demonstrates the fix passes when it sees the failure it '
          'demonstrates (a stock kernel that stops failing is reported).')


@dataclass
class Column:
    key: str                                    # the variant
    cases: dict[str, str] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)


def _status(negated: bool, directive: str) -> str:
    if directive.upper() == 'SKIP':
        return 'skip'
    return 'FAIL' if negated else 'ok'


def column(key: str, ktap: Sequence[str], console: str) -> Column:
    """One variant's cases and figures from its KTAP subtest (as
    outcome.variant_ktap builds it) and its console log."""
    col = Column(key)
    prog = ''
    seen: set[str] = set()
    for line in ktap:
        m = SUBTEST.match(line)
        if m:
            prog = m.group(1)
            continue
        m = CASE.match(line)
        if m and prog:
            col.cases[f'{prog}.{m.group(2)}'] = _status(
                bool(m.group(1)), m.group(3) or '')
            seen.add(prog)
            continue
        m = FIGURES.match(line)
        if m and prog:
            for word in m.group(1).split():
                name, _, value = word.partition('=')
                if value:
                    col.figures[f'{prog}.{name}'] = value
            continue
        m = STALE.search(line)
        if m and prog:
            suffix = '_injected' if m.group(1) == 'injected' else ''
            col.figures[f'{prog}.stale_reads{suffix}'] = m.group(2)
            continue
        m = PROGRAM.match(line)
        if m:
            if m.group(2) not in seen:
                col.cases[f'{m.group(2)}.(program)'] = 'not run' \
                    if m.group(3) and 'not run' in m.group(3) else \
                    _status(bool(m.group(1)), '')
            prog = ''
    current = ''
    for line in console.splitlines():
        m = START.search(line)
        if m:
            current = m.group(1)
        elif INVALIDATION_FAILURE in line and current:
            name = f'{current}.invalidation_failure_messages'
            col.figures[name] = str(int(col.figures.get(name, '0')) + 1)
    return col


def render(columns: Sequence[Column]) -> list[str]:
    """The table as text lines: cases, then figures."""
    if not columns:
        return []
    keys = [c.key for c in columns]
    cases = _ordered([list(c.cases) for c in columns])
    figures = _ordered([list(c.figures) for c in columns])
    width = max([len(n) for n in cases + figures] + [4]) + 2
    cell = max([len(k) for k in keys] + [7]) + 2

    def row(name: str, values: Sequence[str]) -> str:
        return (name.ljust(width) +
                ''.join(v.ljust(cell) for v in values)).rstrip()

    lines = ['End-to-end, case by kernel: ' + ', '.join(keys),
             LEGEND, '', row('case', keys)]
    lines += [row(n, [c.cases.get(n, '-') for c in columns]) for n in cases]
    if figures:
        lines += ['', row('figure', keys)]
        lines += [row(n, [c.figures.get(n, _absent(n, c)) for c in columns])
                  for n in figures]
    return lines


def _absent(name: str, col: Column) -> str:
    """A message count missing from a column whose program ran is 0."""
    prog = name.split('.', 1)[0]
    ran = any(c.startswith(prog + '.') and v != 'not run'
              for c, v in col.cases.items())
    return '0' if ran and name.endswith('_messages') else '-'


def _ordered(lists: Sequence[Sequence[str]]) -> list[str]:
    """Names in first-seen order across the columns."""
    out: list[str] = []
    for names in lists:
        for n in names:
            if n not in out:
                out.append(n)
    return out
