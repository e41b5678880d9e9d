"""make bench's fault-scheme part: reading dio_faults' figures, merging
the boots, the table, what counts as a problem; and the schemes kernel's
tree (the series with bench/patches applied)."""

import json
import unittest
from pathlib import Path
from unittest import mock

from .helpers import TmpTestCase, make_kernel_like_repo, sh
from pcltools import config, faultbench, gitutil, schemetree
from pcltools.e2e import outcome as e2e_outcome
from pcltools.e2e import plan as e2e_plan
from pcltools.e2e import run as e2e_run
from pcltools.errors import Exit, PclError


def figure(scheme: str, scenario: str, writes: int = 100, p50: float = 50,
           data_ok: bool = True, **counts: int) -> str:
    item: dict[str, object] = {
        'scheme': scheme, 'scenario': scenario, 'writers': 1, 'pages': 16,
        'seconds': 2.0, 'writes': writes, 'ok': writes, 'short': 0,
        'efault': 0, 'errors': 0, 'us_p50': p50, 'us_p99': 2 * p50,
        'data_ok': data_ok}
    item.update(counts)
    return '    # fault-bench: ' + json.dumps(item)


SCHEMES = '\n'.join([
    'KTAP version 1', '1..13',
    figure('pin', 'same_pages', p50=40),
    figure('marker', 'same_pages', writes=200, efault=200, self_faults=200,
           retries=0, drops=50, fallbacks=0),
    figure('nofault', 'same_pages', retries=100, fallbacks=0,
           self_faults=0),
    '# fault-bench: {"scheme": "pin"}',          # no scenario: left out
    '# fault-bench: {not json}',
    'ok 1 faults_data_check_sees_a_misplaced_page'])
STOCK = figure('stock', 'same_pages', p50=30)


class ParseMergeTest(unittest.TestCase):
    def test_figures_by_scheme_and_scenario(self) -> None:
        rows = faultbench.parse(SCHEMES)
        self.assertEqual(sorted(rows), [('marker', 'same_pages'),
                                        ('nofault', 'same_pages'),
                                        ('pin', 'same_pages')])
        self.assertEqual(rows[('marker', 'same_pages')]['efault'], 200)
        self.assertIs(rows[('pin', 'same_pages')]['data_ok'], True)

    def test_boots_merge_counts_summed_latency_median(self) -> None:
        one = faultbench.parse(figure('nofault', 'abba', p50=10,
                                      retries=4))
        two = faultbench.parse(figure('nofault', 'abba', p50=30,
                                      retries=6, data_ok=False))
        three = faultbench.parse(figure('nofault', 'abba', p50=20))
        row = faultbench.merge([one, two, three])[('nofault', 'abba')]
        self.assertEqual(row['boots'], 3)
        self.assertEqual(row['writes'], 300)
        self.assertEqual(row['us_p50'], 20)
        self.assertEqual(row['us_p50_spread'], 100)     # (30 - 10) / 20
        self.assertNotIn('retries', row)    # missing from one boot
        self.assertIs(row['data_ok'], False)


class TableTest(unittest.TestCase):
    def test_a_column_per_scheme_with_retries_and_failures(self) -> None:
        rows = faultbench.merge([faultbench.parse(SCHEMES),
                                 faultbench.parse(STOCK)])
        text = faultbench.table(rows)
        lines = text.splitlines()
        self.assertIn('16 pages per write, 2 s per cell', lines[0])
        self.assertEqual(lines[1].split(), ['stock', 'pin', 'marker',
                                            'nofault'])
        median = next(x for x in lines if 'us per write, median' in x)
        self.assertEqual(median.split()[-4:], ['30', '40', '50', '50'])
        retries = next(x for x in lines if 'retries per write' in x)
        self.assertEqual(retries.split()[-4:], ['-', '-', '0.00', '1.00'])
        drops = next(x for x in lines if 'block dropped per write' in x)
        self.assertEqual(drops.split()[-4:], ['-', '-', '0.25', '-'])
        failed = next(x for x in lines if 'failed (EFAULT)' in x)
        self.assertEqual(failed.split()[-4:], ['0.0', '0.0', '100.0',
                                               '0.0'])
        self.assertNotIn('other_file', text)
        self.assertNotIn('!', text)

    def test_wrong_data_is_marked(self) -> None:
        rows = faultbench.merge([faultbench.parse(
            figure('marker', 'abba', data_ok=False))])
        text = faultbench.table(rows)
        self.assertIn('data wrong after: marker  !', text)


def run_of(key: str, text: str, problem: str = '', how: str = 'exit=0',
           number: int = 1) -> e2e_run.ProgramRun:
    return e2e_run.ProgramRun(
        e2e_plan.VARIANTS[key], number,
        {faultbench.PROGRAM: text} if text else {},
        {faultbench.PROGRAM: e2e_outcome.Ending(how, 3.0)}, 20.0, problem)


class ProblemRunTest(unittest.TestCase):
    def test_hang_no_figures_and_wrong_data(self) -> None:
        runs = [run_of('stock', '', 'hang in dio_faults', 'running'),
                run_of('schemes', '', how='exit=1'),
                run_of('schemes', figure('pin', 'abba', data_ok=False),
                       number=2)]
        got = faultbench.problems(runs, [faultbench.parse(
            r.output.get(faultbench.PROGRAM, '')) for r in runs])
        self.assertEqual([e.code for e in got], [
            Exit.KERNEL_CRASHED, Exit.INTERNAL, Exit.TESTS_FAILED])
        self.assertIn('boot 1: hang in dio_faults', got[0].message)
        self.assertIn('no fault-bench figures (dio_faults: exit=1)',
                      got[1].message)
        self.assertIn('boot 2: wrong data after pin abba', got[2].message)

    def test_boots_stock_and_schemes_in_turn_on_each_machine(self) -> None:
        smp = [run_of('smp-stock', STOCK), run_of('smp-schemes', SCHEMES)]
        with mock.patch.object(e2e_run, 'run_bench', side_effect=[
                [run_of('stock', STOCK), run_of('schemes', SCHEMES)],
                smp]) as rb, mock.patch.object(faultbench.ui, 'info'):
            result, text, problems = faultbench.run(Path('/tree'))
        self.assertEqual([c.args[1][:2] for c in rb.call_args_list],
                         [('stock', 'schemes'), ('smp-stock', 'smp-schemes')])
        self.assertEqual(rb.call_args.kwargs['plan'],
                         e2e_plan.FAULT_BENCH_PLAN)
        self.assertEqual(sorted(result), ['smp', 'uml'])
        uml = result['uml']
        assert isinstance(uml, dict)
        self.assertEqual(sorted(uml['rows']), ['marker/same_pages',
                                               'nofault/same_pages',
                                               'pin/same_pages',
                                               'stock/same_pages'])
        self.assertIn('same_pages: from a mapping of the range written',
                      text)
        self.assertIn('ext2 in UML from', text)
        self.assertIn('ext2 in QEMU x86_64 SMP', text)
        self.assertEqual(problems, [])

    def test_a_machine_that_does_not_build_does_not_stop_the_next(
            self) -> None:
        with mock.patch.object(e2e_run, 'run_bench', side_effect=[
                PclError(Exit.BUILD_FAILED, 'kernel does not build'),
                [run_of('smp-stock', STOCK)]]), \
                mock.patch.object(faultbench.ui, 'info'):
            result, text, problems = faultbench.run(Path('/tree'))
        self.assertEqual(list(result), ['smp'])
        self.assertIn('QEMU x86_64 SMP', text)
        self.assertEqual([(e.code, e.message) for e in problems],
                         [(Exit.BUILD_FAILED,
                           'UML: kernel does not build')])


PATCH_FILE = 'mm/filemap.c'


class SchemeTreeTest(TmpTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.tree = make_kernel_like_repo(self.tmp / 'linux')
        self.patches = self.tmp / 'patches'
        self.patches.mkdir()
        build = self.tmp / 'build'
        patcher = mock.patch.object(config, 'build_root', lambda: build)
        patcher.start()
        self.addCleanup(patcher.stop)

    def patch(self, name: str, old: str, new: str) -> Path:
        """A git format-patch file changing old to new in PATCH_FILE,
        made in a scratch clone of the tree."""
        scratch = self.tmp / 'scratch'
        if not scratch.exists():
            sh(self.tmp, 'git', 'clone', '-q', str(self.tree), str(scratch))
        f = scratch / PATCH_FILE
        f.write_text(f.read_text().replace(old, new))
        sh(scratch, 'git', 'commit', '-qam', f'bench: {name}')
        out = self.patches / f'{name}.patch'
        out.write_text(sh(scratch, 'git', 'format-patch', '-1',
                          '--stdout'))
        sh(scratch, 'git', 'reset', '-q', '--hard', 'HEAD~1')
        return out

    def test_the_series_with_the_patches_made_again_when_they_change(
            self) -> None:
        self.patch('switch', 'line 3\n', 'line 3 switched\n')
        dest = schemetree.ensure(self.tree, self.patches)
        self.assertIn('line 3 switched', (dest / PATCH_FILE).read_text())
        self.assertNotIn('switched', (self.tree / PATCH_FILE).read_text())
        self.assertEqual(gitutil.output(dest, 'log', '-1', '--format=%s')[1]
                         .strip(), 'bench: switch')
        self.assertEqual(schemetree.ensure(self.tree, self.patches), dest)
        # The series moves on: the worktree follows it.
        (self.tree / 'Makefile').write_text('VERSION = 7\n')
        sh(self.tree, 'git', 'commit', '-qam', 'series moves')
        again = schemetree.ensure(self.tree, self.patches)
        self.assertEqual((again / 'Makefile').read_text(), 'VERSION = 7\n')
        self.assertIn('line 3 switched', (again / PATCH_FILE).read_text())

    def test_a_patch_that_does_not_apply_is_named_and_nothing_left(
            self) -> None:
        self.patch('good', 'line 3\n', 'line 3 good\n')
        bad = self.patch('later', 'line 9\n', 'line 9 later\n')
        bad.write_text(bad.read_text().replace('-line 9', '-line nine'))
        with self.assertRaises(PclError) as cm:
            schemetree.ensure(self.tree, self.patches)
        self.assertEqual(cm.exception.code, Exit.USAGE)
        self.assertIn('"bench: later" does not apply on the series',
                      cm.exception.message)
        self.assertFalse(schemetree.path(self.tree).exists())
        self.assertNotIn('linux-schemes',
                         sh(self.tree, 'git', 'worktree', 'list'))

    def test_no_patches_is_a_clear_error(self) -> None:
        with self.assertRaises(PclError) as cm:
            schemetree.ensure(self.tree, self.patches)
        self.assertEqual(cm.exception.code, Exit.USAGE)
        self.assertIn('no patches', cm.exception.message)


if __name__ == '__main__':
    unittest.main()
