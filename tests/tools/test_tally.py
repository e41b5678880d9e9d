import json
import os
import unittest
import xml.etree.ElementTree as ET

from pathlib import Path

from .helpers import DATA, TmpTestCase, kunit_py
from pcltools import buildlog, config, junit, kernlog, ktap, kunitrun, tally


class KunitJsonTest(unittest.TestCase):
    def setUp(self) -> None:
        obj = json.loads((DATA / 'kunit_results.json').read_text())
        self.counts = tally.from_kunit_json(obj, 'uml')

    def test_counts_leaves(self) -> None:
        c = self.counts
        self.assertEqual((c.passed, c.failed, c.skipped, c.crashed),
                         (3, 1, 1, 1))
        self.assertEqual(c.total, 6)
        groups = {case.group for case in c.cases}
        self.assertIn('uml.pagecache_lock_fault.param_case', groups)

    def test_closing_line(self) -> None:
        self.assertEqual(self.counts.closing_line(),
                         '3 passed, 2 failed, 1 skipped')
        self.assertEqual(tally.Counts(passed=4).closing_line(),
                         '4 passed, 0 failed')

    def test_empty_json(self) -> None:
        self.assertEqual(tally.from_kunit_json({}).total, 0)


class JunitTest(unittest.TestCase):
    def test_conversion(self) -> None:
        obj = json.loads((DATA / 'kunit_results.json').read_text())
        xml = junit.to_xml({'uml': tally.from_kunit_json(obj, 'uml')})
        root = ET.fromstring(xml)
        suites = {s.get('name'): s for s in root.iter('testsuite')}
        s = suites['uml.pagecache_lock']
        self.assertEqual((s.get('tests'), s.get('failures'), s.get('skipped')),
                         ('3', '1', '1'))
        fault = suites['uml.pagecache_lock_fault']
        self.assertEqual(fault.get('errors'), '1')
        self.assertIsNotNone(fault.find('testcase/error'))
        self.assertEqual(len(list(root.iter('testcase'))), 6)


class CrashTest(unittest.TestCase):
    def test_panic_is_a_crash(self) -> None:
        why = kunitrun.crashed((DATA / 'crash.log').read_text(), '',
                               tally.Counts())
        self.assertIn('the kernel crashed: BUG: kernel NULL pointer', why)

    def test_timeout_is_a_crash(self) -> None:
        why = kunitrun.crashed('', "Command '['linux']' timed out after 300 "
                               'seconds\n', tally.Counts())
        self.assertIn('timed out after 300 seconds', why)

    def test_crashed_cases(self) -> None:
        counts = tally.Counts()
        counts.add_case(tally.Case('s', 'c', 'ERROR'))
        self.assertIn('did not complete', kunitrun.crashed('', '', counts))

    def test_clean_run_is_not_a_crash(self) -> None:
        self.assertEqual(kunitrun.crashed((DATA / 'passing.log').read_text(),
                                          '', tally.Counts(passed=2)), '')


class BuildLogTest(unittest.TestCase):
    def test_first_errors_with_context(self) -> None:
        text = (DATA / 'build-error.log').read_text()
        out = buildlog.first_errors(text)
        lines = out.splitlines()
        self.assertIn("In function 'pagecache_lock_add'", lines[0])
        self.assertIn('error: implicit declaration', lines[1])
        self.assertIn('wake_up_varr(&mapping', out)
        self.assertIn("error: expected ';'", out)
        self.assertNotIn('warning: no previous prototype', out)
        self.assertLess(len(lines), 20)
        self.assertEqual(buildlog.count_errors(text), 2)

    def test_linker_error(self) -> None:
        out = buildlog.first_errors(
            'ld: mm/pagecache_lock_kunit.o: in function `t\':\n'
            'pagecache_lock_kunit.c:(.text+0x1): undefined reference to '
            '`pagecache_lock_add\'\ncollect2: error: ld returned 1\n')
        self.assertIn('undefined reference', out)

    def test_config_problem(self) -> None:
        self.assertEqual(buildlog.config_problem('ERROR:root:other\n'), '')
        text = ('ERROR:root:Not all Kconfig options selected in kunitconfig '
                'were in the generated .config.\nThis is probably due to '
                'unsatisfied dependencies.\nMissing: '
                'CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y\n')
        self.assertIn('Missing: CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y',
                      buildlog.config_problem(text))


class ReportScanTest(unittest.TestCase):
    def setUp(self) -> None:
        self.scan = kernlog.scan((DATA / 'kernlog.log').read_text())
        self.by_line = {r.line: r for r in self.scan.reports}

    def verdicts(self) -> list[tuple[str, str]]:
        return [(r.title.split(' at ')[0][:40], r.verdict)
                for r in self.scan.reports]

    def test_baseline_virt_pci(self) -> None:
        r = self.scan.reports[0]
        self.assertEqual(r.verdict, 'baseline: virt-pci: no virtio device ID')
        self.assertEqual(r.case, '')        # boot: before any case
        self.assertEqual(r.line, 3)

    def test_expected_report_in_its_case(self) -> None:
        r = self.scan.reports[1]
        self.assertIn('circular locking', r.title)
        self.assertEqual((r.case, r.verdict), ('abba_reported', 'expected'))

    def test_rcu_baseline(self) -> None:
        r = self.scan.reports[2]
        self.assertEqual(r.verdict, 'baseline: maple tree: suspicious RCU usage')

    def test_wrong_signature_is_unexpected(self) -> None:
        r = self.scan.reports[3]
        self.assertEqual((r.case, r.verdict), ('unbalanced_put', 'unexpected'))

    def test_report_outside_cases_is_unexpected(self) -> None:
        r = self.scan.reports[4]
        self.assertIn('blocked for more than', r.title)
        self.assertEqual(r.verdict, 'unexpected')
        self.assertEqual(len(self.scan.unexpected), 2)
        self.assertIn('2 unexpected, 1 expected', self.scan.summary())

    def test_clean_log(self) -> None:
        self.assertEqual(kernlog.scan((DATA / 'passing.log').read_text())
                         .reports, [])


if __name__ == '__main__':
    unittest.main()


class KtapParseTest(TmpTestCase):
    """KTAP counting through `kunit.py parse` (the kernel tree's, or its
    stand-in before there is one)."""

    def count(self, name: str) -> tally.Counts:
        obj = ktap.parse(kunit_py(), DATA / name, self.tmp / 'r.json')
        return tally.from_kunit_json(obj, 'uml')

    def test_passing_with_skip(self) -> None:
        c = self.count('passing.log')
        self.assertEqual((c.passed, c.failed, c.skipped, c.crashed),
                         (2, 0, 1, 0))

    def test_crash_counts_missing_case(self) -> None:
        c = self.count('crash.log')
        self.assertEqual(c.passed, 2)
        self.assertGreaterEqual(c.crashed, 1)
