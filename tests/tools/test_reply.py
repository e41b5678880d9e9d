"""report.txt's per-patch warning deltas (before: N, this patch: M, as
NIPA reports them) and its reply for the list (the kernel test robot's
shape)."""

from __future__ import annotations

import re
import unittest

from . import results
from pcltools.check import model, reply, report, stepdelta


class DeltaTest(unittest.TestCase):
    def test_a_patch_that_adds_warnings_is_named_though_the_tip_builds(
            self) -> None:
        r = results.warnings_series()
        self.assertEqual(r.steps[-1].builds, model.Builds.YES)
        [adds] = stepdelta.adding(r)
        self.assertEqual(adds.label, '2/3')
        self.assertEqual(adds.build.text(), 'before: 0, this patch: 2')
        self.assertEqual(adds.checkpatch.text(), 'before: 0, this patch: 1')
        text = report.text(r)
        self.assertIn('  2/3 p2 -- ADDS WARNINGS\n'
                      '    build:      before: 0, this patch: 2\n'
                      '    checkpatch: before: 0, this patch: 1', text)
        self.assertIn('  3/3 p3\n    build:      before: 2, this patch: 0',
                      text)

    def test_first_patch_and_unbuilt_patches(self) -> None:
        r = results.build_break_series()
        d = stepdelta.deltas(r)
        self.assertEqual(d[0].build.text(), 'before: -, this patch: 0')
        self.assertEqual(d[2].build.text(), 'before: -, this patch: -')
        self.assertFalse(d[2].build.adds)
        self.assertTrue(d[3].checkpatch.adds)   # 0 -> 2 (1 error, 1 warning)
        r.steps[0].warnings = ['mm/a.c:1: warning: x']
        self.assertTrue(stepdelta.deltas(r)[0].build.adds)   # on the base

    def test_no_warnings(self) -> None:
        text = report.text(results.project_series())
        self.assertIn('Warnings per patch: none', text)
        self.assertIn('  failing cases: before (the base): 0, with the '
                      'series (the tip): 0', text)

    def test_kunit_failing_before_and_with_the_series(self) -> None:
        r = results.project_series()
        assert r.kunit is not None
        r.kunit.cases[0].status = 'FAIL'
        r.kunit.cases[1].status = 'ERROR'
        count = stepdelta.kunit_failing(r)
        assert count is not None
        self.assertEqual((count.before, count.now, count.adds), (0, 2, True))
        r.kunit_base = None
        self.assertIsNone(stepdelta.kunit_failing(r))


class ReplyTest(unittest.TestCase):
    def reply(self, r: model.Result) -> str:
        text = '\n'.join(reply.lines(r))
        full = report.text(r)
        self.assertIn('Reply for the list:\n' + text, full)
        return text

    def assertShort(self, text: str) -> None:
        lines = text.splitlines()
        self.assertLessEqual(len(lines), 40, text)
        self.assertEqual(lines[0], reply.CUT)
        self.assertEqual(lines[-1], reply.CUT)

    def test_build_break(self) -> None:
        text = self.reply(results.build_break_series())
        self.assertShort(text)
        for line in ('series:    [PATCH v2 0/4] mm: a lock',
                     f'base:      {results.BASE_DESC}',
                     'config:    UML, kunit.py arch_uml.config + .kunitconfig',
                     'make validate MBOX=break.mbox',
                     '# or: tools/pcl validate break.mbox',
                     '| Reported-by: pagecache-lock validation '
                     '<queue@pagecache-lock>',
                     '  2/4 mm: use the lock, broken\n    build error:\n'
                     ">>    mm/pagecache_lock.c:41:9: error: 'holder' "
                     'undeclared (first use in this function)',
                     '  4/4 mm: a style slip\n    checkpatch error:\n'
                     '>>    ERROR: code indent should use tabs where '
                     'possible (mm/pagecache_lock.c:30)',
                     'KUnit at the tip: not run: the tip does not build'):
            self.assertIn(line, text)
        self.assertNotIn('1/4', text)          # nothing wrong with it

    def test_no_person_is_named(self) -> None:
        r = results.build_break_series()
        text = self.reply(r)
        for tag in re.findall(r'^\| (\S+-by): (.*)$', text, re.M):
            self.assertEqual(tag, ('Reported-by', reply.REPORTER))
        for addr in r.to + r.cc:
            self.assertNotIn(addr, text)

    def test_passing_series(self) -> None:
        text = self.reply(results.project_series())
        self.assertShort(text)
        self.assertIn('found no problem.', text)
        self.assertIn('make check', text)
        self.assertNotIn('Reported-by', text)
        self.assertNotIn('>>', text)

    def test_new_warnings_on_a_passing_series(self) -> None:
        text = self.reply(results.warnings_series())
        self.assertIn('found no error, but\nnew warnings', text)
        self.assertIn('build: adds warnings (before: 0, this patch: 2):\n'
                      ">>    mm/filemap.c:10: warning: unused variable 'x'",
                      text)
        self.assertIn('Reported-by', text)

    def test_kunit_failures_and_follow_up_series(self) -> None:
        r = results.project_series()
        r.kind, r.source, r.code = 'validate', 'fix.mbox', 1
        r.onto_sha256 = ['0' * 64]
        assert r.kunit is not None
        r.kunit.code = 1
        r.kunit.cases[0].status = 'FAIL'
        r.delta.newly_failing = [r.kunit.cases[0].full_name]
        text = self.reply(r)
        self.assertIn('make validate MBOX=fix.mbox ONTO=series', text)
        self.assertIn('tools/pcl validate fix.mbox --onto-series', text)
        self.assertIn('>>    newly failing: pagecache_lock.add_shared', text)


if __name__ == '__main__':
    unittest.main()
