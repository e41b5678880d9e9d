import contextlib
import io
import os
import shutil
import unittest
from pathlib import Path
from unittest import mock

from .helpers import DATA, TmpTestCase
from pcltools import config, kunitrun, layers, ui
from pcltools.errors import Exit


class FakeKunitTest(TmpTestCase):
    """kunitrun.run() against a fake kunit.py: classification of outcomes."""

    def setUp(self) -> None:
        super().setUp()
        self.tree = self.tmp / 'build/linux'      # the managed tree
        kdir = self.tree / 'tools/testing/kunit'
        kdir.mkdir(parents=True)
        shutil.copy(DATA / 'fake_kunit.py', kdir / 'kunit.py')
        for name in ('passing.log', 'crash.log', 'build-error.log'):
            shutil.copy(DATA / name, kdir / name)
        for p in (mock.patch.object(config, 'build_root',
                                    lambda: self.tmp / 'build'),
                  mock.patch.object(ui, 'info', lambda m: None)):
            p.start()
            self.addCleanup(p.stop)
        self.layer = layers.Layer('uml', 'KUnit', [self.tmp / '.kunitconfig'])

    def run_mode(self, mode: str) -> tuple[kunitrun.Outcome, str]:
        out = io.StringIO()
        with mock.patch.dict(os.environ, {'FAKE_KUNIT_MODE': mode}), \
                contextlib.redirect_stdout(out):
            outcome = kunitrun.run(self.tree, self.layer, [])
        return outcome, out.getvalue()

    def test_pass(self) -> None:
        outcome, out = self.run_mode('pass')
        self.assertEqual(outcome.code, Exit.OK)
        self.assertEqual(outcome.counts.closing_line(),
                         '2 passed, 0 failed, 1 skipped')
        self.assertIn('ok 1 add_add_shared', out)        # streamed

    def test_failing_case(self) -> None:
        outcome, _ = self.run_mode('fail')
        self.assertEqual(outcome.code, Exit.TESTS_FAILED)

    def test_crash(self) -> None:
        outcome, _ = self.run_mode('crash')
        self.assertEqual(outcome.code, Exit.KERNEL_CRASHED)
        self.assertIn('crashed', outcome.message)

    def test_build_error_shows_first_errors_only(self) -> None:
        outcome, out = self.run_mode('build-error')
        self.assertEqual(outcome.code, Exit.BUILD_FAILED)
        self.assertIn('wake_up_varr', outcome.message)
        self.assertLess(len(outcome.message.splitlines()), 25)
        self.assertNotIn('warning: noise', out + outcome.message)
        log = self.tmp / 'build/out/uml/build-error.log'
        self.assertIn('warning: noise', log.read_text())

    def test_config_error(self) -> None:
        outcome, _ = self.run_mode('config-error')
        self.assertEqual(outcome.code, Exit.BUILD_FAILED)
        self.assertIn('Missing: CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y',
                      outcome.message)

    def test_command_line(self) -> None:
        cmd = kunitrun.command(self.tree, self.layer, 'run', ['suite*'],
                               ['-accel', 'tcg'])
        self.assertIn(f'--build_dir={self.tmp}/build/out/uml', cmd)
        self.assertIn(f'--kunitconfig={self.tmp}/.kunitconfig', cmd)
        self.assertEqual(cmd[-1], 'suite*')
        self.assertNotIn('--qemu_args=-accel tcg', cmd)
        other = kunitrun.build_dir(self.tmp / 'mine', self.layer)
        self.assertRegex(other.name, r'^uml-[0-9a-f]{8}$')
        smp = layers.Layer('smp', 'SMP', [], qemu_config=Path('/q.py'))
        cmd = kunitrun.command(self.tree, smp, 'run', [], ['-accel', 'tcg'])
        self.assertIn('--qemu_config=/q.py', cmd)
        self.assertIn('--qemu_args=-accel tcg', cmd)


if __name__ == '__main__':
    unittest.main()
