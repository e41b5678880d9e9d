"""Bad input through the real entry point: one-line error, distinct exit
code, no traceback."""

import subprocess
import unittest
from pathlib import Path

from .helpers import TmpTestCase, make_kernel_like_repo, run_pcl
from pcltools.errors import Exit


class CliTest(TmpTestCase):
    def pcl(self, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        return run_pcl(*args, env=env)

    def assertClean(self, proc: subprocess.CompletedProcess[str],
                    code: int) -> None:
        self.assertEqual(proc.returncode, code, proc.stderr)
        self.assertNotIn('Traceback', proc.stderr + proc.stdout)

    def test_unknown_layer(self) -> None:
        self.assertClean(self.pcl('run', '--layer', 'nope'), 2)

    def test_scan_missing_file(self) -> None:
        proc = self.pcl('scan', str(self.tmp / 'missing.log'))
        self.assertClean(proc, Exit.USAGE)
        self.assertIn('no such file', proc.stderr)

    def test_scan_reports_exit_code(self) -> None:
        log = Path(__file__).parent / 'data/kernlog.log'
        self.assertClean(self.pcl('scan', str(log)), Exit.KERNEL_REPORTS)

    def test_junit_bad_json(self) -> None:
        bad = self.tmp / 'bad.json'
        bad.write_text('{')
        proc = self.pcl('junit', str(bad), '-o', str(self.tmp / 'x.xml'))
        self.assertClean(proc, Exit.USAGE)

    def test_junit_conversion(self) -> None:
        out = self.tmp / 'r.xml'
        data = Path(__file__).parent / 'data/kunit_results.json'
        self.assertClean(self.pcl('junit', str(data), '-o', str(out)), 0)
        self.assertIn('<testsuites>', out.read_text())

    def test_dirty_kernel_tree(self) -> None:
        tree = make_kernel_like_repo(self.tmp / 'linux')
        (tree / 'Makefile').write_text('dirty\n')
        proc = self.pcl('tree', env={'KERNEL_TREE': str(tree)})
        # deps may be satisfied or not on the test machine: either way the
        # user's tree must be untouched.
        self.assertIn(proc.returncode, (Exit.DIRTY_TREE, Exit.MISSING_PACKAGES))
        self.assertNotIn('Traceback', proc.stderr)
        self.assertEqual((tree / 'Makefile').read_text(), 'dirty\n')

    def test_kernel_tree_not_git(self) -> None:
        (self.tmp / 'plain').mkdir()
        proc = self.pcl('tree', '--kernel-tree', str(self.tmp / 'plain'))
        self.assertIn(proc.returncode, (Exit.USAGE, Exit.MISSING_PACKAGES))
        self.assertNotIn('Traceback', proc.stderr)

    def test_export_without_tag(self) -> None:
        tree = make_kernel_like_repo(self.tmp / 'linux')
        proc = self.pcl('queue', 'export', str(tree))
        self.assertClean(proc, Exit.USAGE)
        self.assertIn('pcl-base', proc.stderr)


if __name__ == '__main__':
    unittest.main()
