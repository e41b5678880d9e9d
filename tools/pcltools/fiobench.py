"""make bench, fio part: O_DIRECT 4 KiB random writes to one file with
fio, 1 and 4 writers, alone and with a buffered and an mmap reader of the
same file, on ext4 and XFS in the QEMU x86_64 SMP guest (2 vCPUs, the
benchmark configuration: no debug options), for three kernels booted in
turn ROUNDS times each:

  stock     6.12 as released
  on        the series
  invlock   6.12 with bench/invlock: direct writes hold invalidate_lock
            exclusively (the alternative a maintainer proposes first)

tests/e2e/fio_bench runs Debian's fio (copied into the guest's root with
its libraries) with the job files of tests/e2e/fio, each report as JSON in
the guest's /out.  This module reads the reports, takes the median and
spread of the rounds, and prints the figures and the ratios against the
goals (the series at least 0.97 of stock; at 4 writers at least 2x the
invalidate_lock variant).  It measures and compares; the goals are not
asserted.  The problems it reports are hangs, crashes and missing
reports."""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import time
from pathlib import Path
from typing import Optional

from . import config, deps, ui
from .e2e import run as e2e_run
from .e2e.plan import FIO_FILESYSTEMS, FIO_KERNELS, FIO_PLAN, Variant
from .errors import Exit, PclError

PROGRAM = 'fio'                 # its name in tests/e2e/fio-bench-plan
ROUNDS = 3
JOBS = {'w1': '1 writer', 'w4': '4 writers',
        'w1r': '1 writer, buffered and mmap readers',
        'w4r': '4 writers, buffered and mmap readers'}
KERNEL_TITLES = {'stock': 'stock 6.12', 'on': 'the series',
                 'invlock': 'invalidate_lock exclusive'}
GOAL_STOCK = 0.97               # the series against stock, every job
GOAL_INVLOCK = 2.0              # the series against invlock, 4 writers
LDD = re.compile(r'^\s*(?:(\S+) => )?(/\S+) \(0x[0-9a-f]+\)$')
# (fs, kernel, job) -> the rounds' figures
Rounds = dict[tuple[str, str, str], list[dict[str, float]]]


def order(rounds: int = ROUNDS) -> tuple[str, ...]:
    """The variants booted, kernels in turn within each round."""
    return tuple(f'fio-{fs}-{kernel}' for _ in range(rounds)
                 for fs in FIO_FILESYSTEMS for kernel in FIO_KERNELS)


def libraries(binary: Path) -> dict[str, Path]:
    """The shared libraries binary loads (ldd), by file name, and the
    dynamic loader as 'ld.so'."""
    proc = subprocess.run(['ldd', str(binary)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          stdin=subprocess.DEVNULL)
    missing = [line.split()[0] for line in proc.stdout.splitlines()
               if 'not found' in line]
    if proc.returncode != 0 or missing:
        raise PclError(Exit.MISSING_PACKAGES, f'ldd {binary}: '
                       + (f'missing {", ".join(missing)}' if missing else
                          proc.stdout.strip()))
    found: dict[str, Path] = {}
    for line in proc.stdout.splitlines():
        m = LDD.match(line)
        if not m:
            continue
        path = Path(m.group(2)).resolve()
        found['ld.so' if m.group(1) is None else m.group(1)] = path
    if 'ld.so' not in found:
        raise PclError(Exit.INTERNAL, f'ldd {binary}: no dynamic loader '
                       'in its output')
    return found


def root_files(fio: Path, jobs: Path) -> dict[str, Path]:
    """What the guest's root gets: /fio/fio, /fio/ld.so, /fio/lib/* and
    the job files /fio/<job>.fio."""
    files = {'fio/fio': fio}
    for name, path in libraries(fio).items():
        files['fio/ld.so' if name == 'ld.so' else f'fio/lib/{name}'] = path
    for job in JOBS:
        src = jobs / f'{job}.fio'
        if not src.is_file():
            raise PclError(Exit.USAGE, f'{src}: no such job file')
        files[f'fio/{job}.fio'] = src
    return files


def parse_report(text: str) -> Optional[dict[str, float]]:
    """The writers' IOPS and the readers' (summed) from one fio JSON
    report, or None when it is not one."""
    try:
        report = json.loads(text[text.index('{'):])
        jobs = report['jobs']
        out: dict[str, float] = {}
        for job in jobs:
            if job.get('error'):
                return None
            name = str(job['jobname'])
            if name == 'writers':
                out['write_iops'] = float(job['write']['iops'])
            else:
                out['read_iops'] = out.get('read_iops', 0.0) + \
                    float(job['read']['iops'])
    except (ValueError, KeyError, TypeError):
        return None
    return out if 'write_iops' in out else None


def collect(runs: list[e2e_run.ProgramRun]) -> tuple[Rounds, list[PclError]]:
    """Every boot's reports, and a problem for each boot that hung,
    crashed or left a report missing."""
    rounds: Rounds = {}
    problems: list[PclError] = []
    for r in runs:
        where = f'{r.variant.title}, boot {r.number}'
        kernel = r.variant.key.rsplit('-', 1)[1]
        got = 0
        for job in JOBS:
            path = r.out / f'fio-{job}.json' if r.out else None
            figures = parse_report(path.read_text(errors='replace')) \
                if path and path.is_file() else None
            if figures:
                rounds.setdefault((r.variant.fs, kernel, job),
                                  []).append(figures)
                got += 1
        problem = e2e_run.boot_problem(r, where, PROGRAM, 'fio',
                                       got == len(JOBS))
        if problem:
            problems.append(problem)
    return rounds, problems


def summary(values: list[float]) -> dict[str, float]:
    """Median and spread ((max - min) / median, %) of the rounds."""
    med = statistics.median(values)
    spread = (max(values) - min(values)) / med * 100 if med else 0.0
    return {'median': med, 'spread': spread, 'rounds': len(values)}


def figures(rounds: Rounds) -> dict[str, dict[str, float]]:
    """'fs/kernel/job' -> write_iops, its spread, read_iops (medians)."""
    out: dict[str, dict[str, float]] = {}
    for (fs, kernel, job), parts in rounds.items():
        w = summary([p['write_iops'] for p in parts])
        row = {'write_iops': w['median'], 'write_spread': w['spread'],
               'rounds': w['rounds']}
        reads = [p['read_iops'] for p in parts if 'read_iops' in p]
        if reads:
            row['read_iops'] = statistics.median(reads)
        out[f'{fs}/{kernel}/{job}'] = row
    return out


def ratios(figs: dict[str, dict[str, float]]) -> dict[str, float]:
    """'fs/job/on:stock' and 'fs/job/on:invlock', writers' IOPS."""
    out: dict[str, float] = {}
    for fs in FIO_FILESYSTEMS:
        for job in JOBS:
            on = figs.get(f'{fs}/on/{job}', {}).get('write_iops')
            for other in ('stock', 'invlock'):
                base = figs.get(f'{fs}/{other}/{job}', {}).get('write_iops')
                if on and base:
                    out[f'{fs}/{job}/on:{other}'] = on / base
    return out


def goals(ratio: dict[str, float]) -> list[str]:
    """Each goal, met or not, as a line."""
    lines = []
    for key, value in sorted(ratio.items()):
        fs, job, pair = key.split('/')
        if pair == 'on:stock':
            goal = GOAL_STOCK
        elif job.startswith('w4'):
            goal = GOAL_INVLOCK
        else:
            continue
        lines.append(f'    {fs} {job} {pair}: {value:.2f} (goal >= {goal:g}): '
                     f'{"met" if value >= goal else "NOT met"}')
    return lines


def table(figs: dict[str, dict[str, float]], ratio: dict[str, float],
          runtime: int) -> str:
    lines = [f'fio, O_DIRECT 4 KiB random writes to one 32 MiB file '
             f'(psync), QEMU x86_64 SMP (2 vCPUs, TCG), benchmark '
             f'configuration; {runtime} s per job, medians of the rounds, '
             'kernels booted in turn']
    for fs in FIO_FILESYSTEMS:
        lines.append(f'  {fs}: writes/s (spread over rounds, %), readers\' '
                     'reads/s')
        lines.append(f'    {"job":<40}' + ''.join(
            f'{k:>18}' for k in FIO_KERNELS) + f'{"on:stock":>10}'
            f'{"on:invlock":>11}')
        for job, title in JOBS.items():
            cells = []
            for kernel in FIO_KERNELS:
                row = figs.get(f'{fs}/{kernel}/{job}')
                cells.append(f'{row["write_iops"]:>11.0f} ({row["write_spread"]:>3.0f})'
                             if row else f'{"-":>18}')
            r1 = ratio.get(f'{fs}/{job}/on:stock')
            r2 = ratio.get(f'{fs}/{job}/on:invlock')
            lines.append(f'    {title:<40}' + ''.join(cells) +
                         (f'{r1:>10.2f}' if r1 else f'{"-":>10}') +
                         (f'{r2:>11.2f}' if r2 else f'{"-":>11}'))
            reads = [figs.get(f'{fs}/{k}/{job}', {}).get('read_iops')
                     for k in FIO_KERNELS]
            if any(reads):
                lines.append(f'    {"  readers":<40}' + ''.join(
                    f'{v:>11.0f}{"":>7}' if v else f'{"-":>18}'
                    for v in reads))
    lines.append('  kernels: ' + '; '.join(
        f'{k}: {t}' for k, t in KERNEL_TITLES.items()))
    lines.append('  goals (not asserted):')
    lines += goals(ratio) or ['    no ratios (figures missing)']
    return '\n'.join(line.rstrip() for line in lines)


def _files(fio: Path) -> e2e_run.RootFiles:
    jobs = config.repo_root() / 'tests' / 'e2e' / 'fio'

    def files(variant: Variant, kernel_out: Path) -> dict[str, Path]:
        return root_files(fio, jobs)
    return files


def run(tree: Path, rounds: int = ROUNDS, runtime: int = 5
        ) -> tuple[dict[str, object], str, list[PclError]]:
    """The boots, the JSON part (figures, ratios, every round's
    reports), the table and the problems seen."""
    deps.ensure(config.FIO_PACKAGES)
    fio = Path('/usr/bin/fio')
    if not fio.is_file():
        raise PclError(Exit.MISSING_PACKAGES, f'{fio} not found (Debian '
                       'package: fio)')
    start = time.monotonic()
    runs = e2e_run.run_bench(tree, order(rounds), plan=FIO_PLAN,
                             files=_files(fio),
                             boot_args=(f'pcl_fio.runtime={runtime}',))
    rounds_, problems = collect(runs)
    figs = figures(rounds_)
    ratio = ratios(figs)
    elapsed = time.monotonic() - start
    ui.info(f'fio benchmark: {ui.fmt_secs(elapsed)} ({len(runs)} boots)')
    result: dict[str, object] = {
        'figures': figs, 'ratios': ratio,
        'rounds': {'/'.join(k): v for k, v in rounds_.items()},
        'runtime_seconds': runtime, 'seconds': round(elapsed, 1)}
    return result, table(figs, ratio, runtime), problems
