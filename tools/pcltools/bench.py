"""make bench: run the benchmarks and print their figures.

The kernel side is a module kept outside the series (bench/, built by
benchmod against the benchmark kernel) that measures while it loads and
prints one `pcl-bench: {"name": ..., "unit": ..., "value": ...}` kernel log
line per figure. This module boots the series built with
kconfigs/bench.config on UML and on QEMU x86_64 SMP with the end-to-end
init, which loads it (tests/e2e/lock-bench-plan) and copies the log lines
into its output; it collects them, measures sizeof(struct address_space)
on the base tree for the before/after comparison, and prints a table with
ratios against rw_semaphore and the atomic floor. Then diobench measures
O_DIRECT write throughput in UML, stock against the series, faultbench
the direct write whose source faults under the three fault schemes
(bench/patches), and fiobench O_DIRECT random writes with fio on ext4 and
XFS in the QEMU guest, stock, the series and direct writes under
invalidate_lock (bench/invlock). Each part reports what it measured when
another fails.
It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import (benchmod, config, deps, diobench, faultbench, fiobench,
               gitutil, kbuild, layers, ui)
from .e2e import build as e2e_build
from .e2e import run as e2e_run
from .e2e.plan import LOCK_BENCH_PLAN, VARIANTS, Variant
from .errors import Exit, PclError

LINE = re.compile(r'pcl-bench: (\{.*\})\s*$')
LOCK_PROGRAM = 'lock_bench'     # tests/e2e/lock-bench-plan
UNCONTENDED = ('atomic_long_inc_dec', 'pagecache_add_lock_unlock',
               'pagecache_block_lock_unlock', 'rwsem_down_up_read',
               'percpu_rwsem_down_up_read')
Figures = dict[str, dict[str, float]]


def parse(log_text: str) -> Figures:
    """The pcl-bench figures of one kernel log, by name."""
    figures: Figures = {}
    for line in log_text.splitlines():
        m = LINE.search(line)
        if not m:
            continue
        try:
            item = json.loads(m.group(1))
            figures[str(item['name'])] = {'value': float(item['value']),
                                          'unit': item['unit']}
        except (ValueError, KeyError, TypeError):
            continue
    return figures


def _ns(figures: Figures, name: str) -> Optional[float]:
    item = figures.get(name)
    return item['value'] / 1000.0 if item else None


def ratios(figures: Figures) -> dict[str, float]:
    """Uncontended costs against the atomic floor and rwsem read."""
    floor = _ns(figures, 'atomic_long_inc_dec')
    rwsem = _ns(figures, 'rwsem_down_up_read')
    out: dict[str, float] = {}
    for name in UNCONTENDED:
        ns = _ns(figures, name)
        if ns is None:
            continue
        if floor:
            out[f'{name}/atomic'] = ns / floor
        if rwsem:
            out[f'{name}/rwsem'] = ns / rwsem
    return out


def table(machine: str, figures: Figures) -> str:
    rows = [f'{machine}: {int(figures.get("nr_cpus", {}).get("value", 0))} '
            'CPU(s)', '  uncontended lock+unlock         ns/op  x atomic  '
            'x rwsem']
    floor = _ns(figures, 'atomic_long_inc_dec')
    rwsem = _ns(figures, 'rwsem_down_up_read')
    for name in UNCONTENDED:
        ns = _ns(figures, name)
        if ns is None:
            continue
        rows.append(f'  {name:<30}{ns:7.2f}  {ns / floor if floor else 0:8.2f}'
                    f'  {ns / rwsem if rwsem else 0:7.2f}')
    rows.append('  contended, threads per state   add ops/s   block ops/s')
    for n in (1, 2, 4):
        add = figures.get(f'contended_{n}x{n}_add')
        block = figures.get(f'contended_{n}x{n}_block')
        if add and block:
            rows.append(f'  {n} + {n}{"":<24}{add["value"]:11.0f}'
                        f'   {block["value"]:11.0f}')
    return '\n'.join(rows)


def sizeof_cache_name(base: str, arch: str) -> str:
    """The cache file of the base's size, per base commit and ARCH."""
    return f'sizeof-{base[:12]}-{arch}.json'


def sizeof_address_space(tree: Path, out: Path, dot_config: Path) -> int:
    """sizeof(struct address_space) as compiled in tree, read from the debug
    information of fs/inode.o built with the benchmark's configuration, for
    its architecture."""
    arch = kbuild.config_arch(dot_config)
    out.mkdir(parents=True, exist_ok=True)
    (out / '.config').write_bytes(dot_config.read_bytes())
    make = ['make', '-s', f'ARCH={arch}', f'O={out}', '-C', str(tree)]
    for args in (['olddefconfig'], ['prepare'], ['KCFLAGS=-g', 'fs/inode.o']):
        proc = subprocess.run(make + args, capture_output=True, text=True)
        if proc.returncode != 0:
            raise PclError(Exit.BUILD_FAILED,
                           f'building fs/inode.o in {tree} failed',
                           proc.stderr[-2000:])
    proc = subprocess.run(['gdb', '-batch', '-ex',
                           'print sizeof(struct address_space)',
                           str(out / 'fs/inode.o')],
                          capture_output=True, text=True)
    m = re.search(r'\$1 = (\d+)', proc.stdout)
    if not m:
        raise PclError(Exit.INTERNAL,
                       'gdb could not read sizeof(struct address_space)',
                       (proc.stderr or proc.stdout)[-500:])
    return int(m.group(1))


def base_sizeof(tree: Path, dot_config: Path) -> int:
    """The same size on the base commit (pcl-base), from a worktree, for
    the architecture of dot_config; cached by base commit and ARCH."""
    base = gitutil.git(tree, 'rev-parse', config.BASE_TAG).strip()
    arch = kbuild.config_arch(dot_config)
    cache = config.build_root() / 'bench' / sizeof_cache_name(base, arch)
    if cache.exists():
        return int(json.loads(cache.read_text())['sizeof_address_space'])
    worktree = config.build_root() / 'linux-base'
    if not worktree.exists():
        with ui.step(f'Checking out {config.BASE_TAG} in {worktree}'):
            gitutil.git(tree, 'worktree', 'add', '--detach', str(worktree),
                        base)
    with ui.step('Measuring sizeof(struct address_space) on the base',
                 heartbeat=30):
        size = sizeof_address_space(worktree,
                                    config.out_dir(f'bench-base-{arch}'),
                                    dot_config)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({'sizeof_address_space': size}) + '\n')
    return size


def _module_files(tree: Path) -> e2e_run.RootFiles:
    """What a benchmark boot installs: the module, built against the
    variant's kernel."""
    def files(variant: Variant, kernel_out: Path) -> dict[str, Path]:
        return {benchmod.ROOT_PATH: benchmod.build(tree, kernel_out)}
    return files


def measure(tree: Path, machine: str) -> tuple[Figures, Variant]:
    """Boot the machine's benchmark kernel once, load the module, and
    return its figures."""
    variant = VARIANTS[f'bench-{machine}']
    runs = e2e_run.run_bench(tree, (variant.key,), LOCK_BENCH_PLAN,
                             files=_module_files(tree))
    where = variant.title
    if not runs:
        raise PclError(Exit.INTERNAL, f'{where}: not booted')
    r = runs[0]
    log = e2e_run.root_dir() / f'bench-{machine}-1' / 'console.log'
    if r.problem:
        raise PclError(Exit.KERNEL_CRASHED, f'{where}: {r.problem} (console: '
                       f'{log})')
    figures = parse(r.output.get(LOCK_PROGRAM, ''))
    if not figures:
        how = r.endings[LOCK_PROGRAM].how if LOCK_PROGRAM in r.endings \
            else '?'
        raise PclError(Exit.INTERNAL, f'{where}: no pcl-bench figures '
                       f'({LOCK_PROGRAM}: {how}; console: {log})')
    return figures, variant


def kernel_part(tree: Path, machines: list[str], result: dict[str, object],
                texts: list[str]) -> list[PclError]:
    """The in-kernel benchmark on each machine; a machine that fails is
    reported and the others still run."""
    failures: list[PclError] = []
    dot_config: Optional[Path] = None
    done: list[str] = []
    for machine in machines:
        try:
            deps.ensure(['gdb'] + (config.QEMU_PACKAGES if machine == 'smp'
                                   else []))
            figures, variant = measure(tree, machine)
        except PclError as e:
            failures.append(e)
            continue
        kernel_out = e2e_build.kernel_dir(tree, variant)
        result[machine] = {'figures': figures, 'ratios': ratios(figures)}
        texts.append(table(variant.title, figures))
        dot_config = dot_config or kernel_out / '.config'
        done.append(machine)

    first = result.get(done[0], {}) if done else {}
    after = first.get('figures', {}).get('sizeof_address_space') \
        if isinstance(first, dict) else None
    if after and dot_config:
        try:
            sizes = {'before': base_sizeof(tree, dot_config),
                     'after': int(after['value'])}
        except PclError as e:
            failures.append(e)
            return failures
        result['sizeof_address_space'] = sizes
        texts.append(f'sizeof(struct address_space), {done[0]} bench '
                     f'config: {sizes["before"]} bytes before, '
                     f'{sizes["after"]} after '
                     f'(+{sizes["after"] - sizes["before"]})')
    return failures


def dio_part(tree: Path, result: dict[str, object],
             texts: list[str]) -> list[PclError]:
    """O_DIRECT write throughput in UML, stock and series."""
    try:
        dio, text, problems = diobench.run(tree)
    except PclError as e:
        return [PclError(e.code, f'DIO benchmark: {e.message}', e.details)]
    result['dio'] = dio
    texts.append(text)
    return problems


def faults_part(tree: Path, machines: list[str], result: dict[str, object],
                texts: list[str]) -> list[PclError]:
    """The fault schemes on each machine, beside stock."""
    try:
        faults, text, problems = faultbench.run(tree, machines)
    except PclError as e:
        return [PclError(e.code, f'fault-scheme benchmark: {e.message}',
                         e.details)]
    if faults:
        result['faults'] = faults
    if text:
        texts.append(text)
    return [PclError(e.code, f'fault-scheme benchmark, {e.message}',
                     e.details) for e in problems]


def fio_part(tree: Path, rounds: int, runtime: int,
             result: dict[str, object], texts: list[str]) -> list[PclError]:
    """fio on ext4 and XFS in the QEMU guest: stock, series, invlock."""
    try:
        fio, text, problems = fiobench.run(tree, rounds, runtime)
    except PclError as e:
        return [PclError(e.code, f'fio benchmark: {e.message}', e.details)]
    result['fio'] = fio
    texts.append(text)
    return [PclError(e.code, f'fio benchmark, {e.message}', e.details)
            for e in problems]


def run(tree: Path, machines: list[str], json_path: Path,
        dio: bool = True,
        faults: Sequence[str] = faultbench.MACHINES,
        fio: Optional[tuple[int, int]] = (fiobench.ROUNDS, 5)) -> int:
    """Each part reports what it measured even when another failed; the
    exit code is the first failure's."""
    result: dict[str, object] = {}
    texts: list[str] = []
    failures = kernel_part(tree, machines, result, texts) if machines \
        else []
    if dio:
        failures += dio_part(tree, result, texts)
    if faults:
        failures += faults_part(tree, list(faults), result, texts)
    if fio:
        failures += fio_part(tree, fio[0], fio[1], result, texts)
    if failures:
        result['errors'] = [e.message.splitlines()[0] for e in failures]
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, indent=2, sort_keys=True) + '\n')
    if texts:
        print('\n\n'.join(texts))
    ui.info(f'figures written to {json_path}')
    for e in failures:
        ui.error(e.message)
        if e.details:
            print(e.details)
    return int(failures[0].code) if failures else 0


def add_parser(sub: 'argparse._SubParsersAction[argparse.ArgumentParser]',
               kernel_tree_opt: Callable[[argparse.ArgumentParser], None],
               prepare: Callable[[argparse.Namespace], Path]) -> None:
    sp = sub.add_parser('bench', help='run the in-kernel benchmark (UML and '
                        'QEMU SMP), the O_DIRECT write benchmark (UML, '
                        'stock and series), the fault-scheme comparison '
                        '(UML and QEMU SMP) and fio on ext4 and XFS (QEMU '
                        'SMP; stock, series, invalidate_lock) and print '
                        'their figures')
    kernel_tree_opt(sp)
    sp.add_argument('--machines', default='uml,smp',
                    help='the in-kernel benchmark: comma-separated subset '
                    'of uml,smp (empty: none)')
    sp.add_argument('--no-dio', action='store_true',
                    help='leave out the O_DIRECT write benchmark (UML, '
                    'stock and series)')
    sp.add_argument('--fault-machines', default=','.join(faultbench.MACHINES),
                    help='the fault-scheme comparison (stock and the series '
                    'with bench/patches): comma-separated subset of uml,smp '
                    '(empty: none)')
    sp.add_argument('--no-faults', action='store_true',
                    help='leave out the fault-scheme comparison (the same '
                    'as --fault-machines "")')
    sp.add_argument('--no-fio', action='store_true',
                    help='leave out the fio benchmark (ext4 and XFS, QEMU '
                    'SMP: stock, the series, invalidate_lock exclusive)')
    sp.add_argument('--fio-rounds', type=int, default=fiobench.ROUNDS,
                    metavar='N', help='boots of each fio kernel, in turn '
                    f'(default {fiobench.ROUNDS})')
    sp.add_argument('--fio-runtime', type=int, default=5, metavar='SECONDS',
                    help='seconds of each fio job (default 5)')
    sp.add_argument('--json', metavar='FILE',
                    help='where to write the figures (default '
                    'build/bench/bench.json)')

    def machine_list(option: str, value: str,
                     known: Sequence[str]) -> list[str]:
        names = [m for m in value.split(',') if m]
        unknown = [m for m in names if m not in known]
        if unknown:
            raise PclError(Exit.USAGE, f'{option}: unknown '
                           f'{",".join(unknown)}; choose from '
                           f'{",".join(known)}')
        return names

    def cmd(args: argparse.Namespace) -> int:
        machines = machine_list('--machines', args.machines,
                                list(layers.bench_layers()))
        faults = [] if args.no_faults else \
            machine_list('--fault-machines', args.fault_machines,
                         faultbench.MACHINES)
        if not machines and args.no_dio and not faults and args.no_fio:
            raise PclError(Exit.USAGE, 'nothing to run (no --machines, '
                           '--no-dio, no --fault-machines and --no-fio)')
        if not 1 <= args.fio_rounds <= 20 or \
                not 1 <= args.fio_runtime <= 600:
            raise PclError(Exit.USAGE, '--fio-rounds: 1 to 20, '
                           '--fio-runtime: 1 to 600 seconds')
        tree = prepare(args)
        path = Path(args.json) if args.json else \
            config.build_root() / 'bench' / 'bench.json'
        return run(tree, machines, path, dio=not args.no_dio, faults=faults,
                   fio=None if args.no_fio else
                   (args.fio_rounds, args.fio_runtime))
    sp.set_defaults(func=cmd)
