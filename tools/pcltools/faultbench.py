"""make bench, fault-scheme part: what a direct write costs when pinning
its source faults, under the three ways a writer holding the page cache
lock for block can deal with it, beside stock 6.12.

tests/e2e/dio_faults (tests/e2e/fault-bench-plan) runs in the variants
"stock" and "schemes" (the series with bench/patches applied, whose ext2
selects the scheme at run time: pin, the series; marker, the series'
marker used bcachefs's way; nofault, btrfs's nofault-and-retry loop),
booted in turn BOOTS times each, on each machine asked for (UML; QEMU
x86_64 SMP, "smp-stock" and "smp-schemes", where two writers really run
at once).  It prints one KTAP diagnostic per scheme and scenario,
`# fault-bench: {"scheme": ..., "scenario": ..., "writes": N, ...}`; this
module reads them, merges the boots and formats the table.  It measures;
the only problems it reports are hangs, crashes, missing figures and
wrong data, without the part's name, which tools/pcl bench adds.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path
from typing import Optional, Sequence, Union

from . import ui
from .e2e import run as e2e_run
from .e2e.plan import FAULT_BENCH_PLAN
from .errors import Exit, PclError

LINE = re.compile(r'^\s*#\s*fault-bench:\s*(\{.*\})\s*$')
PROGRAM = 'dio_faults'
BOOTS = 3
MACHINES = ('uml', 'smp')
WHERE = {'uml': 'UML', 'smp': 'QEMU x86_64 SMP (2 vCPUs, lockdep and KASAN)'}


def order(machine: str) -> tuple[str, ...]:
    """The variants a machine boots, in turn."""
    prefix = 'smp-' if machine == 'smp' else ''
    return (prefix + 'stock', prefix + 'schemes') * BOOTS


# Columns, in order: the stock kernel's one row, then the schemes kernel's.
SCHEMES = ('stock', 'pin', 'marker', 'nofault')
SCENARIOS = {
    'other_file': 'from a mapping of another file (generic/708, one side)',
    'same_file': 'from a mapping of other pages of the target '
                 '(generic/647)',
    'same_pages': 'from a mapping of the range written (generic/729)',
    'abba': 'two writers, each from a mapping of the other\'s file '
            '(generic/708)',
}
COUNTS = ('writes', 'ok', 'short', 'efault', 'errors', 'retries',
          'drops', 'self_faults', 'fallbacks')
Value = Union[float, str, bool]
Row = dict[str, Value]
Rows = dict[tuple[str, str], Row]       # (scheme, scenario) -> figures


def parse(text: str) -> Rows:
    """The fault-bench figures of one program output; lines that are not
    well-formed are left out."""
    rows: Rows = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        try:
            item = json.loads(m.group(1))
            k = (str(item['scheme']), str(item['scenario']))
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(item, dict):
            rows[k] = {name: value for name, value in item.items()
                       if isinstance(value, (int, float, str, bool))}
    return rows


def _num(row: Optional[Row], name: str) -> Optional[float]:
    value = row.get(name) if row else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def merge(boots: list[Rows]) -> Rows:
    """Several boots' rows as one: counts summed (a counter missing from
    any boot is left out), latencies the median of the boots', with the
    spread of the medians ((max - min) / median, in %), data_ok false if
    any boot's is."""
    merged: Rows = {}
    for k in dict.fromkeys(k for rows in boots for k in rows):
        parts = [rows[k] for rows in boots if k in rows]
        row: Row = {'boots': len(parts)}
        for name in COUNTS + ('seconds',):
            values = [_num(p, name) for p in parts]
            if all(v is not None for v in values):
                row[name] = sum(v for v in values if v is not None)
        for name in ('us_p50', 'us_p99', 'pages', 'writers'):
            found = [v for v in (_num(p, name) for p in parts)
                     if v is not None]
            if found:
                row[name] = statistics.median(found)
        medians = [v for v in (_num(p, 'us_p50') for p in parts)
                   if v is not None]
        if len(medians) > 1 and statistics.median(medians):
            row['us_p50_spread'] = (max(medians) - min(medians)) / \
                statistics.median(medians) * 100
        row['data_ok'] = all(p.get('data_ok') is True for p in parts)
        merged[k] = row
    return merged


def _per_write(row: Optional[Row], name: str) -> Optional[float]:
    count, writes = _num(row, name), _num(row, 'writes')
    return count / writes if count is not None and writes else None


def _percent(row: Optional[Row], name: str) -> Optional[float]:
    share = _per_write(row, name)
    return share * 100 if share is not None else None


def _cell(value: Optional[float], fmt: str) -> str:
    return f'{value:>10{fmt}}' if value is not None else f'{"-":>10}'


def table(rows: Rows, machine: str = 'uml') -> str:
    """One block per scenario, one column per scheme; '-' where a kernel
    has no such figure (stock counts no retries)."""
    any_row = next(iter(rows.values()), None)
    pages, secs = _num(any_row, 'pages'), None
    boots = max((_num(r, 'boots') or 1 for r in rows.values()), default=1)
    if any_row and _num(any_row, 'seconds') is not None:
        secs = (_num(any_row, 'seconds') or 0) / boots
    what = ', '.join(x for x in (
        f'{pages:g} pages per write' if pages else '',
        f'{secs:.0f} s per cell' if secs else '',
        f'{boots:g} boots per kernel in turn' if boots > 1 else '') if x)
    lines = [f'O_DIRECT pwrite on ext2 in {WHERE[machine]} from a shared '
             'mapping dropped '
             'from the page tables and the cache before each write'
             + (f': {what}' if what else ''),
             f'  {"":<34}' + ''.join(f'{s:>10}' for s in SCHEMES)]
    # label, field, format, and how the field is shown: as it is, per
    # write, or as a percentage of the writes
    figures = (('us per write, median', 'us_p50', '.0f', _num),
               ('  its spread over boots, %', 'us_p50_spread', '.0f', _num),
               ('us per write, p99', 'us_p99', '.0f', _num),
               ('retries per write', 'retries', '.2f', _per_write),
               ('block dropped per write', 'drops', '.2f', _per_write),
               ('writes failed (EFAULT), %', 'efault', '.1f', _percent),
               ('writes returned short, %', 'short', '.1f', _percent),
               ('rest written buffered, %', 'fallbacks', '.1f', _percent))
    bad = False
    for scenario, title in SCENARIOS.items():
        if not any(k[1] == scenario for k in rows):
            continue
        lines.append(f'  {scenario}: {title}')
        for label, name, fmt, shown in figures:
            cells = [_cell(shown(rows.get((scheme, scenario)), name), fmt)
                     for scheme in SCHEMES]
            lines.append(f'    {label:<32}' + ''.join(cells))
        wrong = [s for s in SCHEMES
                 if rows.get((s, scenario), {}).get('data_ok') is False]
        if wrong:
            bad = True
            lines.append(f'    data wrong after: {", ".join(wrong)}  !')
    lines.append('  retries: rounds restarted (marker: a round left short '
                 'after block was dropped; nofault: after faulting the rest '
                 'in); block dropped: the marker\'s fault path let the '
                 'writer\'s block go to keep the lock order (AB-BA)')
    lines.append('  stock: 6.12 as released; pin: the series (source pinned '
                 'before block); marker: the series\' faults_disabled_mapping '
                 'and pagecache_lock_fault() used bcachefs\'s way (block held '
                 'across gup); nofault: nofault-and-retry, btrfs\'s loop '
                 '(FOLL_NOFAULT, IOMAP_DIO_PARTIAL, '
                 'fault_in_iov_iter_readable())')
    if bad:
        lines.append('  !: a destination page did not hold its source\'s '
                     'data (see the dio_faults output)')
    return '\n'.join(line.rstrip() for line in lines)


def problems(runs: list[e2e_run.ProgramRun],
             parsed: list[Rows]) -> list[PclError]:
    """A hang or crash (exit 8), no figures (exit 12), wrong data
    (exit 1)."""
    out: list[PclError] = []
    for r, rows in zip(runs, parsed):
        where = f'{r.variant.title}, boot {r.number}'
        problem = e2e_run.boot_problem(r, where, PROGRAM, 'fault-bench',
                                       bool(rows))
        if problem:
            out.append(problem)
        wrong = [f'{s} {c}' for (s, c), row in rows.items()
                 if row.get('data_ok') is not True]
        if wrong:
            out.append(PclError(Exit.TESTS_FAILED, f'{where}: wrong data '
                                f'after {", ".join(wrong)}'))
    return out


def run_machine(tree: Path, machine: str
                ) -> tuple[dict[str, object], str, list[PclError]]:
    """One machine's boots, stock and schemes in turn: its JSON part
    (merged rows by "scheme/scenario", every boot's own), its table and
    the problems seen."""
    start = time.monotonic()
    runs = e2e_run.run_bench(tree, order(machine), plan=FAULT_BENCH_PLAN)
    parsed = [parse(r.output.get(PROGRAM, '')) for r in runs]
    merged = merge(parsed)
    elapsed = time.monotonic() - start
    result: dict[str, object] = {
        'rows': {f'{s}/{c}': row for (s, c), row in merged.items()},
        'boots': [{'variant': r.variant.key, 'number': r.number,
                   'machine_seconds': round(r.seconds, 1),
                   'figures': {f'{s}/{c}': row
                               for (s, c), row in rows.items()}}
                  for r, rows in zip(runs, parsed)],
        'seconds': round(elapsed, 1)}
    ui.info(f'fault-scheme benchmark, {WHERE[machine]}: '
            f'{ui.fmt_secs(elapsed)} ({len(runs)} boots, '
            f'{ui.fmt_secs(sum(r.seconds for r in runs))} booted)')
    return result, table(merged, machine), problems(runs, parsed)


def run(tree: Path, machines: Sequence[str] = MACHINES
        ) -> tuple[dict[str, object], str, list[PclError]]:
    """Each machine in turn: the JSON part by machine, the tables, and
    the problems seen; a machine whose kernel could not be built or
    booted is one of them, and the next machine still runs."""
    result: dict[str, object] = {}
    texts: list[str] = []
    found: list[PclError] = []
    for machine in machines:
        try:
            result[machine], text, seen = run_machine(tree, machine)
        except PclError as e:
            found.append(PclError(e.code, f'{WHERE[machine]}: {e.message}',
                                  e.details))
            continue
        texts.append(text)
        found += seen
    return result, '\n\n'.join(texts), found
