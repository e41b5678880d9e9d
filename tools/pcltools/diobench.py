"""make bench, direct I/O part: O_DIRECT write throughput on ext2 in UML,
stock 6.12 against the series.

tests/e2e/dio_bench (run by e2e/run.py's run_bench() with
tests/e2e/bench-plan, in the e2e variants "stock" and "on", the kernels of
make e2e; BOOTS boots of each, in turn, so that a drifting host load
weighs on both alike) prints one KTAP diagnostic per configuration,
`# dio-bench: {"writers": N, "layout": "same"|"separate", "mb_s": ...}`.
This module reads those lines, merges each variant's boots, sets the two
kernels side by side with series/stock ratios, and formats the table. It
measures; it asserts nothing.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path
from typing import Callable, Optional, Union

from . import ui
from .e2e import run as e2e_run
from .errors import Exit, PclError

LINE = re.compile(r'^\s*#\s*dio-bench:\s*(\{.*\})\s*$')
RESULT = re.compile(r'^\s*(not )?ok \d+ writers_(\d+)_(\w+?)_file\b')
CONFIGS = ((1, 'same'), (1, 'separate'), (4, 'same'), (4, 'separate'))
PROGRAM = 'dio_bench'
BOOTS = 3                   # per variant, alternating: stock, on, stock ...
ORDER = ('stock', 'on') * BOOTS
# Figures of a configuration: numbers, strings, lists of numbers (each
# round's), and 'ok' (every write completed).
Row = dict[str, Union[float, str, bool, list[float]]]
Rows = dict[str, Row]


def key(writers: int, layout: str) -> str:
    return f'{writers}-{layout}'


def parse(text: str) -> Rows:
    """The dio-bench figures of one program output, by configuration key;
    a row's 'ok' is its KTAP result (absent when there is none)."""
    rows: Rows = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            try:
                item = json.loads(m.group(1))
                if not isinstance(item, dict):
                    continue
                k = key(int(item['writers']), str(item['layout']))
            except (ValueError, KeyError, TypeError):
                continue
            rows[k] = {name: value for name, value in item.items()
                       if _number(value) or isinstance(value, str) or
                       (isinstance(value, list) and
                        all(_number(x) for x in value))}
            continue
        m = RESULT.match(line)
        if m and key(int(m.group(2)), m.group(3)) in rows:
            rows[key(int(m.group(2)), m.group(3))]['ok'] = m.group(1) is None
    return rows


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def spread(row: Optional[Row]) -> Optional[float]:
    """(max - min) / median of the rounds' MB/s: the noise to read the
    series/stock ratio against."""
    rounds = row.get('mb_s_rounds') if row else None
    if not isinstance(rounds, list) or len(rounds) < 2:
        return None
    values = [float(x) for x in rounds]
    median = statistics.median(values)
    return (max(values) - min(values)) / median if median else None


def merge(boots: list[Rows]) -> Rows:
    """One variant's rows from several boots as one: the rounds of every
    boot (mb_s their median), counts summed, latency mean weighted by
    writes, p50 and p99 the median of the boots', max the largest; 'ok'
    false if any boot's is."""
    merged: Rows = {}
    for k in dict.fromkeys(k for rows in boots for k in rows):
        parts = [rows[k] for rows in boots if k in rows]
        row: Row = dict(parts[0])
        rounds: list[float] = []
        for part in parts:
            r = part.get('mb_s_rounds')
            mb_s = _num(part, 'mb_s')
            rounds += [float(x) for x in r] if isinstance(r, list) else \
                [mb_s] if mb_s is not None else []
        if rounds:
            row['mb_s_rounds'] = rounds
            row['mb_s'] = round(statistics.median(rounds), 2)
        for name in ('writes', 'bytes', 'seconds', 'rounds'):
            values = [_num(p, name) for p in parts]
            if all(v is not None for v in values):
                row[name] = round(sum(v for v in values if v is not None), 3)
        picks: list[tuple[str, Callable[[list[float]], float]]] = [
            ('writes_min', min), ('writes_max', max), ('lat_us_max', max),
            ('lat_us_p50', statistics.median),
            ('lat_us_p99', statistics.median)]
        for name, pick in picks:
            values_ = [v for v in (_num(p, name) for p in parts)
                       if v is not None]
            if values_:
                row[name] = pick(values_)
        weighted = [(_num(p, 'lat_us_mean'), _num(p, 'writes'))
                    for p in parts]
        total = sum(w for m, w in weighted if m is not None and w)
        if total:
            row['lat_us_mean'] = round(sum(m * w for m, w in weighted
                                           if m is not None and w) / total, 2)
        oks = [p['ok'] for p in parts if 'ok' in p]
        if oks:
            row['ok'] = all(oks)
        row['boots'] = len(parts)
        merged[k] = row
    return merged


def _num(row: Optional[Row], name: str) -> Optional[float]:
    value = row.get(name) if row else None
    return float(value) if _number(value) and \
        isinstance(value, (int, float)) else None


def ratios(series: Rows, stock: Rows) -> dict[str, dict[str, float]]:
    """series/stock for throughput and latency, where both are there."""
    out: dict[str, dict[str, float]] = {}
    for k in series:
        r: dict[str, float] = {}
        for name in ('mb_s', 'lat_us_mean', 'lat_us_p50', 'lat_us_p99'):
            a, b = _num(series.get(k), name), _num(stock.get(k), name)
            if a is not None and b:
                r[name] = a / b
        if r:
            out[k] = r
    return out


def _cell(value: Optional[float], width: int, fmt: str = '.1f') -> str:
    return f'{value:{width}{fmt}}' if value is not None else \
        f'{"-":>{width}}'


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return a / b if a is not None and b else None


def table(series: Rows, stock: Rows) -> str:
    """The stock / series table; '-' where a variant has no figure, '!'
    after a configuration whose writes failed."""
    rows = list(series.values()) + list(stock.values())
    block = next((_num(r, 'block') for r in rows if _num(r, 'block')), None)
    duration = next((_num(r, 'duration') for r in rows
                     if _num(r, 'duration')), None)
    nrounds = next((_num(r, 'rounds') for r in rows if _num(r, 'rounds')),
                   None)
    boots = max((_num(r, 'boots') or 1 for r in rows), default=1)
    what = ', '.join(x for x in (
        f'{block / 1024:g} KiB writes' if block else '',
        f'{nrounds:g} rounds of {duration:g} s per configuration'
        if duration and nrounds else '',
        f'{boots:g} boots per kernel, stock and series in turn'
        if boots > 1 else '') if x)
    lines = [f'O_DIRECT pwrite on ext2 in UML{f": {what}" if what else ""}',
             f'  {"":<20}{"MB/s (median of rounds)":^34}  '
             f'{"us per write (median)":^26}',
             f'  {"writers  files":<20}{"stock":>8}{"series":>9}'
             f'{"ratio":>9}{"spread":>8}  {"stock":>8}{"series":>9}'
             f'{"ratio":>9}']
    failed = False
    for writers, layout in CONFIGS:
        k = key(writers, layout)
        a, b = stock.get(k), series.get(k)
        if a is None and b is None:
            continue
        mark = ''
        if (a and a.get('ok') is False) or (b and b.get('ok') is False):
            mark, failed = '  !', True
        files = 'same file' if layout == 'same' else 'one each'
        mstock, mseries = _num(a, 'mb_s'), _num(b, 'mb_s')
        lstock, lseries = _num(a, 'lat_us_p50'), _num(b, 'lat_us_p50')
        noise = [x for x in (spread(a), spread(b)) if x is not None]
        lines.append(f'  {writers:<9}{files:<11}{_cell(mstock, 8)}'
                     f'{_cell(mseries, 9)}'
                     f'{_cell(_ratio(mseries, mstock), 9, ".2f")}'
                     f'{_cell(max(noise) * 100 if noise else None, 7, ".0f")}'
                     f'{"%" if noise else " "}'
                     f'  {_cell(lstock, 8)}{_cell(lseries, 9)}'
                     f'{_cell(_ratio(lseries, lstock), 9, ".2f")}{mark}')
    lines.append('  stock: 6.12 as released; series: with the page cache '
                 'lock; ratio: series / stock')
    lines.append('  spread: (max - min) / median of the rounds\' MB/s, the '
                 'larger of the two kernels\'')
    lines.append('  the two 1-writer rows are the same workload')
    if failed:
        lines.append('  !: some writes failed (see the dio_bench output)')
    return '\n'.join(line.rstrip() for line in lines)


def problems(runs: list[e2e_run.ProgramRun],
             parsed: list[Rows]) -> list[PclError]:
    """What went wrong in the boots (parsed: each boot's rows): a hang or
    crash (exit 8), no figures (exit 12), writes that failed (exit 1)."""
    out: list[PclError] = []
    for r, rows in zip(runs, parsed):
        where = f'DIO benchmark, {r.variant.title}, boot {r.number}'
        problem = e2e_run.boot_problem(r, where, PROGRAM, 'dio-bench',
                                       bool(rows))
        if problem:
            out.append(problem)
        failed = [k for k, row in rows.items() if row.get('ok') is False]
        if failed:
            out.append(PclError(Exit.TESTS_FAILED, f'{where}: writes failed '
                                f'in {", ".join(failed)}'))
    return out


def run(tree: Path) -> tuple[dict[str, object], str, list[PclError]]:
    """Boot "stock" and "on" in turn, BOOTS times each, with
    tests/e2e/bench-plan: the JSON part (each kernel's merged rows, the
    ratios, and every boot's own rows), the table, and the problems seen.
    Raises PclError when nothing could be built or booted."""
    start = time.monotonic()
    runs = e2e_run.run_bench(tree, ORDER)
    parsed = [parse(r.output.get(PROGRAM, '')) for r in runs]
    stock, series = (merge([rows for r, rows in zip(runs, parsed)
                            if r.variant.key == k]) for k in ('stock', 'on'))
    elapsed = time.monotonic() - start
    result: dict[str, object] = {
        'stock': stock, 'series': series,
        'ratio_series_stock': ratios(series, stock),
        'boots': [{'variant': r.variant.key, 'number': r.number,
                   'uml_seconds': round(r.seconds, 1), 'figures': rows}
                  for r, rows in zip(runs, parsed)],
        'seconds': round(elapsed, 1)}
    ui.info(f'DIO benchmark: {ui.fmt_secs(elapsed)} ({len(runs)} boots, '
            f'UML {ui.fmt_secs(sum(r.seconds for r in runs))})')
    return result, table(series, stock), problems(runs, parsed)
