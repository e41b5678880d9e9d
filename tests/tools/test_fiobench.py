"""make bench's fio part: reading fio's JSON reports, the rounds' medians
and spreads, the ratios and goals, the table, what counts as a problem,
what the guest's root gets (fio, its loader and libraries, the job
files), and the invalidate_lock kernel's variants."""

import json
import unittest
from pathlib import Path
from unittest import mock

from .helpers import TmpTestCase
from pcltools import fiobench, kbuild, schemetree
from pcltools.e2e import build as e2e_build
from pcltools.e2e import outcome as e2e_outcome
from pcltools.e2e import plan as e2e_plan
from pcltools.e2e import run as e2e_run
from pcltools.errors import Exit, PclError


def report(write_iops: float, read_iops: float = 0.0, readers: bool = False,
           error: int = 0) -> str:
    jobs: list[dict[str, object]] = [
        {'jobname': 'writers', 'error': error, 'write': {'iops': write_iops},
         'read': {'iops': 0.0}}]
    if readers:
        jobs += [{'jobname': name, 'error': 0, 'write': {'iops': 0.0},
                  'read': {'iops': read_iops / 2}}
                 for name in ('buffered-reader', 'mmap-reader')]
    # fio may print notes before the JSON document.
    return 'note: both iodepth >= 1 and synchronous I/O engine\n' + \
        json.dumps({'fio version': 'fio-3.33', 'jobs': jobs})


class ReportTest(unittest.TestCase):
    def test_writers_and_readers(self) -> None:
        self.assertEqual(fiobench.parse_report(report(100.5)),
                         {'write_iops': 100.5})
        self.assertEqual(fiobench.parse_report(report(10, 40, True)),
                         {'write_iops': 10, 'read_iops': 40})

    def test_not_a_report(self) -> None:
        for text in ('', 'fio: no such file', '{"jobs": []}',
                     '{"jobs": [{"jobname": "writers"}]}',
                     report(100, error=5)):
            with self.subTest(text=text):
                self.assertIsNone(fiobench.parse_report(text))


def figs_of(values: dict[tuple[str, str, str], list[float]]
            ) -> dict[str, dict[str, float]]:
    return fiobench.figures({k: [{'write_iops': v} for v in vs]
                             for k, vs in values.items()})


class FiguresTest(unittest.TestCase):
    def test_median_spread_ratios_and_goals(self) -> None:
        figs = figs_of({('ext4', 'stock', 'w4'): [100, 90, 110],
                        ('ext4', 'on', 'w4'): [99, 98, 100],
                        ('ext4', 'invlock', 'w4'): [40, 50, 45],
                        ('ext4', 'stock', 'w1'): [100],
                        ('ext4', 'on', 'w1'): [90],
                        ('ext4', 'invlock', 'w1'): [95]})
        self.assertEqual(figs['ext4/stock/w4']['write_iops'], 100)
        self.assertEqual(figs['ext4/stock/w4']['write_spread'], 20)
        ratio = fiobench.ratios(figs)
        self.assertAlmostEqual(ratio['ext4/w4/on:stock'], 0.99)
        self.assertAlmostEqual(ratio['ext4/w4/on:invlock'], 99 / 45)
        goals = fiobench.goals(ratio)
        self.assertEqual(len(goals), 3)    # no invlock goal at 1 writer
        self.assertIn('ext4 w1 on:stock: 0.90 (goal >= 0.97): NOT met',
                      goals[0])
        self.assertIn('ext4 w4 on:invlock: 2.20 (goal >= 2): met',
                      goals[1])
        self.assertIn('ext4 w4 on:stock: 0.99 (goal >= 0.97): met',
                      goals[2])

    def test_table_has_a_row_per_job_and_dashes_where_missing(self) -> None:
        figs = figs_of({('xfs', 'on', 'w1r'): [10], ('xfs', 'stock',
                                                    'w1r'): [20]})
        text = fiobench.table(figs, fiobench.ratios(figs), 5)
        self.assertIn('5 s per job', text.splitlines()[0])
        row = next(x for x in text.splitlines()
                   if '1 writer, buffered and mmap readers' in x and
                   'xfs' not in x and x.count('(') == 2)
        self.assertIn('0.50', row)
        self.assertIn('-', row)
        self.assertIn('goals (not asserted)', text)


def run_of(key: str, out: Path, problem: str = '', how: str = 'exit=0',
           number: int = 1) -> e2e_run.ProgramRun:
    return e2e_run.ProgramRun(
        e2e_plan.VARIANTS[key], number, {},
        {fiobench.PROGRAM: e2e_outcome.Ending(how, 3.0)}, 20.0, problem, out)


class CollectTest(TmpTestCase):
    def out(self, name: str, jobs: dict[str, str]) -> Path:
        d = self.tmp / name
        d.mkdir()
        for job, text in jobs.items():
            (d / f'fio-{job}.json').write_text(text)
        return d

    def test_rounds_by_filesystem_kernel_and_job(self) -> None:
        full = {job: report(100 + i) for i, job in enumerate(fiobench.JOBS)}
        runs = [run_of('fio-ext4-stock', self.out('a', full)),
                run_of('fio-xfs-invlock', self.out('b', full), number=2)]
        rounds, problems = fiobench.collect(runs)
        self.assertEqual(problems, [])
        self.assertEqual(rounds[('ext4', 'stock', 'w4')],
                         [{'write_iops': 101}])
        self.assertIn(('xfs', 'invlock', 'w4r'), rounds)

    def test_a_hang_and_a_missing_report_are_problems(self) -> None:
        part = {'w1': report(1), 'w4': 'garbage'}
        runs = [run_of('fio-ext4-on', self.out('a', {}), 'hang in fio',
                       'running'),
                run_of('fio-xfs-on', self.out('b', part), how='exit=1')]
        rounds, problems = fiobench.collect(runs)
        self.assertEqual([e.code for e in problems],
                         [Exit.KERNEL_CRASHED, Exit.INTERNAL])
        self.assertIn('xfs: series, benchmark configuration, boot 1: no fio '
                      'figures (fio: exit=1)', problems[1].message)
        self.assertEqual(list(rounds), [('xfs', 'on', 'w1')])


class RootFilesTest(TmpTestCase):
    LDD = ('\tlinux-vdso.so.1 (0x00007ffd)\n'
           '\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f1b)\n'
           '\t/lib64/ld-linux-x86-64.so.2 (0x00007f1b)\n')

    def ldd(self, text: str, rc: int = 0) -> mock.MagicMock:
        return mock.MagicMock(returncode=rc, stdout=text)

    def test_fio_its_loader_libraries_and_jobs(self) -> None:
        jobs = self.tmp / 'jobs'
        jobs.mkdir()
        for job in fiobench.JOBS:
            (jobs / f'{job}.fio').write_text('[writers]\n')
        with mock.patch('subprocess.run', return_value=self.ldd(self.LDD)):
            files = fiobench.root_files(Path('/usr/bin/fio'), jobs)
        self.assertEqual(files['fio/fio'], Path('/usr/bin/fio'))
        self.assertEqual(files['fio/ld.so'],
                         Path('/lib64/ld-linux-x86-64.so.2').resolve())
        self.assertIn('fio/lib/libz.so.1', files)
        self.assertEqual(files['fio/w4r.fio'], jobs / 'w4r.fio')
        self.assertNotIn('fio/lib/linux-vdso.so.1', files)

    def test_a_missing_library_or_job_is_named(self) -> None:
        with mock.patch('subprocess.run', return_value=self.ldd(
                '\tlibrbd.so.1 => not found\n' + self.LDD)), \
                self.assertRaises(PclError) as cm:
            fiobench.libraries(Path('/usr/bin/fio'))
        self.assertEqual(cm.exception.code, Exit.MISSING_PACKAGES)
        self.assertIn('librbd.so.1', cm.exception.message)
        with mock.patch('subprocess.run', return_value=self.ldd(self.LDD)), \
                self.assertRaises(PclError) as cm:
            fiobench.root_files(Path('/usr/bin/fio'), self.tmp)
        self.assertIn('w1.fio: no such job file', cm.exception.message)

    def test_the_real_fio_and_job_files(self) -> None:
        """Debian's fio (a package of the tool tests): every library
        resolved, every job file of the repository present."""
        fio = Path('/usr/bin/fio')
        jobs = Path(__file__).resolve().parents[2] / 'tests/e2e/fio'
        files = fiobench.root_files(fio, jobs)
        self.assertTrue(all(p.is_file() for p in files.values()))


class VariantTest(unittest.TestCase):
    def test_three_kernels_on_two_filesystems_in_turn(self) -> None:
        order = fiobench.order(2)
        self.assertEqual(order[:3], ('fio-ext4-stock', 'fio-ext4-on',
                                     'fio-ext4-invlock'))
        self.assertEqual(len(order), 12)
        for key in set(order):
            v = e2e_plan.VARIANTS[key]
            with self.subTest(variant=key):
                self.assertTrue(v.bench and v.smp)
                self.assertIn(e2e_plan.FS_PARAM + v.fs, v.boot_args)
        inv = e2e_plan.VARIANTS['fio-xfs-invlock']
        self.assertTrue(inv.stock)
        self.assertEqual(inv.patched, 'invlock')
        self.assertTrue(schemetree.KINDS['invlock'].on_stock)
        tree = Path('/tree')
        suffix = kbuild.tree_suffix(tree)
        dirs = {e2e_build.kernel_dir(tree, e2e_plan.VARIANTS[k]).name
                .removesuffix(suffix) for k in ('fio-ext4-stock', 'fio-ext4-on',
                          'fio-ext4-invlock', 'fio-xfs-invlock')}
        self.assertEqual(dirs, {'stock-bench-qemu-x86_64-smp',
                                'bench-qemu-x86_64-smp',
                                'invlock-bench-qemu-x86_64-smp'})

    def test_boots_with_the_plan_files_and_runtime(self) -> None:
        with mock.patch.object(fiobench.deps, 'ensure'), \
                mock.patch.object(e2e_run, 'run_bench',
                                  return_value=[]) as rb, \
                mock.patch.object(fiobench.ui, 'info'), \
                mock.patch.object(Path, 'is_file', return_value=True):
            result, text, problems = fiobench.run(Path('/tree'), 1, 7)
        self.assertEqual(rb.call_args.kwargs['plan'], e2e_plan.FIO_PLAN)
        self.assertEqual(rb.call_args.kwargs['boot_args'],
                         ('pcl_fio.runtime=7',))
        self.assertEqual(rb.call_args.args[1], fiobench.order(1))
        self.assertEqual(result['runtime_seconds'], 7)
        self.assertIn('no ratios', text)


if __name__ == '__main__':
    unittest.main()
