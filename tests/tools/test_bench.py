import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout
from pathlib import Path
from unittest import mock

from pcltools import bench, benchmod
from pcltools.e2e import run as e2e_run
from pcltools.e2e.outcome import Ending
from pcltools.e2e.plan import VARIANTS
from pcltools.errors import Exit, PclError

LOG = '''\
KTAP version 1
# modload: mechanism on, directory /mnt/lock_bench
1..1
# pcl-bench: {"name": "sizeof_address_space", "unit": "bytes", "value": 208}
# pcl-bench: {"name": "nr_cpus", "unit": "cpus", "value": 2}
# pcl-bench: {"name": "atomic_long_inc_dec", "unit": "ps/op", "value": 10000}
# pcl-bench: {"name": "pagecache_add_lock_unlock", "unit": "ps/op", "value": 12000}
# pcl-bench: {"name": "rwsem_down_up_read", "unit": "ps/op", "value": 20000}
# pcl-bench: {"name": "contended_1x1_add", "unit": "ops/s", "value": 1000}
# pcl-bench: {"name": "contended_1x1_block", "unit": "ops/s", "value": 900}
# pcl-bench: {"name": "broken", "unit": "ps/op", "value": }
ok 1 module_loads # pagecache_lock_bench.ko loaded in 3.2 s
'''


class BenchParseTest(unittest.TestCase):
    def setUp(self) -> None:
        self.figures = bench.parse(LOG)

    def test_reads_every_well_formed_figure(self) -> None:
        self.assertEqual(self.figures['sizeof_address_space']['value'], 208)
        self.assertEqual(self.figures['contended_1x1_block']['unit'], 'ops/s')
        self.assertNotIn('broken', self.figures)

    def test_ratios_against_the_floor_and_rwsem(self) -> None:
        r = bench.ratios(self.figures)
        self.assertAlmostEqual(r['pagecache_add_lock_unlock/atomic'], 1.2)
        self.assertAlmostEqual(r['pagecache_add_lock_unlock/rwsem'], 0.6)
        self.assertNotIn('pagecache_block_lock_unlock/atomic', r)

    def test_table_shows_nanoseconds_and_contended_rows(self) -> None:
        text = bench.table('UML', self.figures)
        self.assertIn('2 CPU(s)', text)
        self.assertRegex(text, r'pagecache_add_lock_unlock\s+12\.00\s+1\.20\s+0\.60')
        self.assertRegex(text, r'1 \+ 1\s+1000\s+900')

    def test_no_figures_in_a_log_without_them(self) -> None:
        self.assertEqual(bench.parse('ok 1 foo\n'), {})


class BenchPartsTest(unittest.TestCase):
    """Each part reports what it measured when the other fails."""

    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = Path(tmp.name)
        (self.tmp / 'test.log').write_text(LOG)
        self.json = self.tmp / 'bench.json'
        for target in ('deps.ensure', 'ui.info', 'ui.error'):
            patcher = mock.patch(f'pcltools.bench.{target}')
            patcher.start()
            self.addCleanup(patcher.stop)

    def measured(self, kernel: Exit) -> mock.Mock:
        if kernel != Exit.OK:
            return mock.Mock(side_effect=PclError(kernel, 'kernel crashed'))
        return mock.Mock(return_value=(bench.parse(LOG),
                                       VARIANTS['bench-uml']))

    def run_bench(self, kernel: Exit, dio: object,
                  machines: tuple[str, ...] = ('uml',),
                  faults: object = ({}, 'FAULT TABLE', []),
                  fio: object = ({}, 'FIO TABLE', [])
                  ) -> tuple[int, str]:
        def part(result: object) -> mock.Mock:
            return mock.Mock(side_effect=result) \
                if isinstance(result, Exception) \
                else mock.Mock(return_value=result)
        out = io.StringIO()
        with mock.patch.object(bench, 'measure', self.measured(kernel)), \
                mock.patch.object(bench, 'base_sizeof', return_value=200), \
                mock.patch.object(bench.diobench, 'run', part(dio)), \
                mock.patch.object(bench.faultbench, 'run', part(faults)), \
                mock.patch.object(bench.fiobench, 'run', part(fio)), \
                redirect_stdout(out):
            code = bench.run(Path('/tree'), list(machines), self.json)
        return code, out.getvalue()

    def test_both_parts(self) -> None:
        code, out = self.run_bench(Exit.OK, ({'on': {}}, 'DIO TABLE', []))
        self.assertEqual(code, 0)
        self.assertIn('uncontended lock+unlock', out)
        self.assertIn('DIO TABLE', out)
        self.assertIn('208 after (+8)', out)
        data = json.loads(self.json.read_text())
        self.assertEqual(data['dio'], {'on': {}})
        self.assertNotIn('errors', data)

    def test_dio_reports_when_the_kernel_part_fails(self) -> None:
        code, out = self.run_bench(Exit.KERNEL_CRASHED,
                                   ({'on': {}}, 'DIO TABLE', []))
        self.assertEqual(code, Exit.KERNEL_CRASHED)
        self.assertIn('DIO TABLE', out)
        data = json.loads(self.json.read_text())
        self.assertIn('dio', data)
        self.assertNotIn('uml', data)
        self.assertIn('kernel crashed', data['errors'][0])

    def test_kernel_part_reports_when_dio_fails(self) -> None:
        code, out = self.run_bench(
            Exit.OK, PclError(Exit.BUILD_FAILED, 'programs do not build'))
        self.assertEqual(code, Exit.BUILD_FAILED)
        self.assertIn('uncontended lock+unlock', out)
        data = json.loads(self.json.read_text())
        self.assertIn('uml', data)
        self.assertEqual(data['errors'],
                         ['DIO benchmark: programs do not build'])

    def test_no_dio_and_no_faults(self) -> None:
        out = io.StringIO()
        with mock.patch.object(bench, 'measure', self.measured(Exit.OK)), \
                mock.patch.object(bench, 'base_sizeof', return_value=200), \
                mock.patch.object(bench.diobench, 'run') as dio, \
                mock.patch.object(bench.faultbench, 'run') as faults, \
                mock.patch.object(bench.fiobench, 'run') as fio, \
                redirect_stdout(out):
            code = bench.run(Path('/tree'), ['uml'], self.json, dio=False,
                             faults=[], fio=None)
        self.assertEqual(code, 0)
        dio.assert_not_called()
        faults.assert_not_called()
        fio.assert_not_called()
        data = json.loads(self.json.read_text())
        self.assertNotIn('dio', data)
        self.assertNotIn('faults', data)

    def test_the_fault_schemes_report_when_the_other_parts_fail(self) -> None:
        code, out = self.run_bench(
            Exit.KERNEL_CRASHED, PclError(Exit.BUILD_FAILED, 'no build'),
            faults=({'rows': {}}, 'FAULT TABLE', []))
        self.assertEqual(code, Exit.KERNEL_CRASHED)
        self.assertIn('FAULT TABLE', out)
        data = json.loads(self.json.read_text())
        self.assertEqual(data['faults'], {'rows': {}})
        self.assertEqual(len(data['errors']), 2)

    def test_a_fault_scheme_failure_is_named_and_sets_the_code(self) -> None:
        code, out = self.run_bench(
            Exit.OK, ({'on': {}}, 'DIO TABLE', []),
            faults=PclError(Exit.USAGE, 'bench/patches: no patches'))
        self.assertEqual(code, Exit.USAGE)
        self.assertIn('DIO TABLE', out)
        self.assertEqual(json.loads(self.json.read_text())['errors'],
                         ['fault-scheme benchmark: bench/patches: no '
                          'patches'])

    def test_fio_reports_its_figures_and_its_problems_named(self) -> None:
        code, out = self.run_bench(
            Exit.OK, ({'on': {}}, 'DIO TABLE', []),
            fio=({'ratios': {}}, 'FIO TABLE', [PclError(
                Exit.KERNEL_CRASHED, 'ext4: series, boot 2: hang in fio')]))
        self.assertEqual(code, Exit.KERNEL_CRASHED)
        self.assertIn('FIO TABLE', out)
        data = json.loads(self.json.read_text())
        self.assertEqual(data['fio'], {'ratios': {}})
        self.assertEqual(data['errors'], ['fio benchmark, ext4: series, '
                                          'boot 2: hang in fio'])
        code, out = self.run_bench(
            Exit.OK, ({'on': {}}, 'DIO TABLE', []),
            fio=PclError(Exit.MISSING_PACKAGES, 'fio not found'))
        self.assertEqual(code, Exit.MISSING_PACKAGES)
        self.assertIn('DIO TABLE', out)
        self.assertEqual(json.loads(self.json.read_text())['errors'],
                         ['fio benchmark: fio not found'])

    def test_dio_problems_set_the_exit_code(self) -> None:
        problem = PclError(Exit.TESTS_FAILED, 'writes failed')
        code, out = self.run_bench(Exit.OK, ({}, 'DIO TABLE', [problem]),
                                   machines=())
        self.assertEqual(code, Exit.TESTS_FAILED)
        self.assertNotIn('uncontended', out)
        self.assertIn('DIO TABLE', out)


class SizeofTest(unittest.TestCase):
    """The base's size is compiled for the architecture of the benchmark's
    own configuration: a QEMU x86_64 .config is not built as UML."""

    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = Path(tmp.name)

    def measure(self, config_text: str) -> list[list[str]]:
        dot_config = self.tmp / 'config'
        dot_config.write_text(config_text)
        calls: list[list[str]] = []

        def fake_run(cmd: list[str], **_: object) -> mock.Mock:
            calls.append(cmd)
            out = '$1 = 176\n' if cmd[0] == 'gdb' else ''
            return mock.Mock(returncode=0, stdout=out, stderr='')

        with mock.patch.object(bench.subprocess, 'run', fake_run):
            size = bench.sizeof_address_space(Path('/tree'),
                                              self.tmp / 'out', dot_config)
        self.assertEqual(size, 176)
        return [c for c in calls if c[0] == 'make']

    def test_an_x86_64_config_is_built_for_x86_64(self) -> None:
        makes = self.measure('CONFIG_X86_64=y\nCONFIG_SMP=y\n')
        self.assertTrue(makes)
        for cmd in makes:
            self.assertIn('ARCH=x86_64', cmd)

    def test_a_uml_config_is_built_for_uml(self) -> None:
        for cmd in self.measure('CONFIG_UML=y\nCONFIG_64BIT=y\n'):
            self.assertIn('ARCH=um', cmd)

    def test_a_config_of_no_known_architecture_is_refused(self) -> None:
        with self.assertRaises(PclError) as cm:
            self.measure('CONFIG_ARM64=y\n')
        self.assertIn('architecture', cm.exception.message)

    def test_the_cache_is_kept_per_architecture(self) -> None:
        self.assertNotEqual(bench.sizeof_cache_name('0123456789abcdef', 'um'),
                            bench.sizeof_cache_name('0123456789abcdef',
                                                    'x86_64'))


class MeasureTest(unittest.TestCase):
    """One boot of the benchmark kernel: its figures, or why there are
    none."""

    def measure(self, output: str, problem: str = '',
                how: str = 'exit=0') -> tuple[dict[str, object], str]:
        run = e2e_run.ProgramRun(VARIANTS['bench-uml'], 1,
                                 {'lock_bench': output} if output else {},
                                 {'lock_bench': Ending(how, 1.0)}, 5.0,
                                 problem)
        with mock.patch.object(bench.e2e_run, 'run_bench',
                               return_value=[run]) as boot:
            figures, variant = bench.measure(Path('/tree'), 'uml')
        order = boot.call_args.args[1]
        self.assertEqual(order, ('bench-uml',))
        self.assertIsNotNone(boot.call_args.kwargs['files'])
        return dict(figures), variant.key

    def test_the_figures_are_read_from_the_loader_output(self) -> None:
        figures, key = self.measure(LOG)
        self.assertEqual(key, 'bench-uml')
        self.assertIn('pagecache_add_lock_unlock', figures)

    def test_a_hung_boot_is_a_crash(self) -> None:
        with self.assertRaises(PclError) as cm:
            self.measure(LOG, problem='hang')
        self.assertEqual(cm.exception.code, Exit.KERNEL_CRASHED)

    def test_a_module_that_printed_nothing_is_an_error(self) -> None:
        with self.assertRaises(PclError) as cm:
            self.measure('KTAP version 1\nnot ok 1 module_loads # '
                         'finit_module: Invalid argument\n', how='exit=1')
        self.assertEqual(cm.exception.code, Exit.INTERNAL)
        self.assertIn('lock_bench: exit=1', cm.exception.message)


class ModuleBuildTest(unittest.TestCase):
    """bench/ is built as an external module against the kernel's build
    directory, for that kernel's architecture, outside the repository."""

    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.out = Path(tmp.name) / 'bench-uml'
        self.out.mkdir()
        (self.out / '.config').write_text('CONFIG_UML=y\n')

    def build(self, makes_ko: bool) -> tuple[Path, list[str]]:
        calls: list[list[str]] = []

        def fake(cmd: list[str], cwd: Path, log: Path, what: str,
                 env: object = None) -> int:
            calls.append(cmd)
            log.write_text('mod.c:1:1: error: broken\n')
            if makes_ko:
                (self.out / 'pcl-bench-module' /
                 'pagecache_lock_bench.ko').write_text('')
            return 0 if makes_ko else 2

        with mock.patch.object(benchmod.e2e_build, 'run_logged', fake):
            return benchmod.build(Path('/tree'), self.out), calls[0]

    def test_make_m_for_the_kernel_s_architecture(self) -> None:
        ko, cmd = self.build(True)
        work = self.out / 'pcl-bench-module'
        self.assertEqual(ko, work / 'pagecache_lock_bench.ko')
        self.assertIn(f'M={work}', cmd)
        self.assertIn('ARCH=um', cmd)
        self.assertIn(f'O={self.out}', cmd)
        self.assertTrue((work / 'pagecache_lock_bench.c').is_file())
        self.assertTrue((work / 'Kbuild').is_file())

    def test_a_module_that_does_not_build_names_the_error(self) -> None:
        with self.assertRaises(PclError) as cm:
            self.build(False)
        self.assertEqual(cm.exception.code, Exit.BUILD_FAILED)
        self.assertIn('error: broken', cm.exception.message)


class BenchCliTest(unittest.TestCase):
    """Bad input is refused before the tree is touched (no lock needed)."""

    def test_bad_input(self) -> None:
        pcl = Path(__file__).resolve().parents[2] / 'tools/pcl'
        for args in (['--machines', 'uml,vax'],
                     ['--machines', '', '--no-dio', '--no-faults',
                      '--no-fio'],
                     ['--machines', '', '--no-dio', '--fault-machines', '',
                      '--no-fio'],
                     ['--fault-machines', 'uml,vax'],
                     ['--fio-rounds', '0'], ['--fio-runtime', '601'],
                     ['--fio-rounds', 'three']):
            with self.subTest(args=args):
                proc = subprocess.run([sys.executable, str(pcl), 'bench',
                                       *args], text=True, capture_output=True,
                                      env={**os.environ,
                                           'PCL_LOCK_HELD': '1'})
                self.assertEqual(proc.returncode, Exit.USAGE, proc.stderr)


if __name__ == '__main__':
    unittest.main()
