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

from pcltools import bench, kunitrun
from pcltools.errors import Exit, PclError

LOG = '''\
[    1.0] KTAP version 1
    # pagecache_lock_bench_sizes: pcl-bench: {"name": "sizeof_address_space", "unit": "bytes", "value": 208}
    # pagecache_lock_bench_sizes: pcl-bench: {"name": "nr_cpus", "unit": "cpus", "value": 2}
    # x: pcl-bench: {"name": "atomic_long_inc_dec", "unit": "ps/op", "value": 10000}
    # x: pcl-bench: {"name": "pagecache_add_get_put", "unit": "ps/op", "value": 12000}
    # x: pcl-bench: {"name": "rwsem_down_up_read", "unit": "ps/op", "value": 20000}
    # x: pcl-bench: {"name": "contended_1x1_add", "unit": "ops/s", "value": 1000}
    # x: pcl-bench: {"name": "contended_1x1_block", "unit": "ops/s", "value": 900}
    # x: pcl-bench: {"name": "broken", "unit": "ps/op", "value": }
    ok 1 pagecache_lock_bench_sizes
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
        self.assertAlmostEqual(r['pagecache_add_get_put/atomic'], 1.2)
        self.assertAlmostEqual(r['pagecache_add_get_put/rwsem'], 0.6)
        self.assertNotIn('pagecache_block_get_put/atomic', r)

    def test_table_shows_nanoseconds_and_contended_rows(self) -> None:
        text = bench.table('UML', self.figures)
        self.assertIn('2 CPU(s)', text)
        self.assertRegex(text, r'pagecache_add_get_put\s+12\.00\s+1\.20\s+0\.60')
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

    def outcome(self, code: Exit) -> mock.Mock:
        return mock.Mock(code=code, message='kernel crashed',
                         build_dir=self.tmp, accel='')

    def run_bench(self, kernel: Exit, dio: object,
                  machines: tuple[str, ...] = ('uml',)) -> tuple[int, str]:
        dio_mock = mock.Mock(side_effect=dio) if isinstance(dio, Exception) \
            else mock.Mock(return_value=dio)
        out = io.StringIO()
        with mock.patch.object(kunitrun, 'run',
                               return_value=self.outcome(kernel)), \
                mock.patch.object(bench, 'base_sizeof', return_value=200), \
                mock.patch.object(bench.diobench, 'run', dio_mock), \
                redirect_stdout(out):
            code = bench.run(Path('/tree'), list(machines), self.json)
        return code, out.getvalue()

    def test_both_parts(self) -> None:
        code, out = self.run_bench(Exit.OK, ({'on': {}}, 'DIO TABLE', []))
        self.assertEqual(code, 0)
        self.assertIn('uncontended get+put', out)
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
        self.assertIn('uncontended get+put', out)
        data = json.loads(self.json.read_text())
        self.assertIn('uml', data)
        self.assertEqual(data['errors'],
                         ['DIO benchmark: programs do not build'])

    def test_no_dio(self) -> None:
        out = io.StringIO()
        with mock.patch.object(kunitrun, 'run',
                               return_value=self.outcome(Exit.OK)), \
                mock.patch.object(bench, 'base_sizeof', return_value=200), \
                mock.patch.object(bench.diobench, 'run') as dio, \
                redirect_stdout(out):
            code = bench.run(Path('/tree'), ['uml'], self.json, dio=False)
        self.assertEqual(code, 0)
        dio.assert_not_called()
        self.assertNotIn('dio', json.loads(self.json.read_text()))

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


class BenchCliTest(unittest.TestCase):
    """Bad input is refused before the tree is touched (no lock needed)."""

    def test_bad_input(self) -> None:
        pcl = Path(__file__).resolve().parents[2] / 'tools/pcl'
        for args in (['--machines', 'uml,vax'],
                     ['--machines', '', '--no-dio']):
            with self.subTest(args=args):
                proc = subprocess.run([sys.executable, str(pcl), 'bench',
                                       *args], text=True, capture_output=True,
                                      env={**os.environ,
                                           'PCL_LOCK_HELD': '1'})
                self.assertEqual(proc.returncode, Exit.USAGE, proc.stderr)


if __name__ == '__main__':
    unittest.main()
