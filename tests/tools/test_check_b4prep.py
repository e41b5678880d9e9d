"""check/b4prep.py: b4 prep takes the applied series as a branch whose
description is the cover letter and gives the series back, with the
real b4 in a tiny git repository; controls: a patch whose diff is not
the commit's, a subject that is not the commit's, a cover letter whose
text b4 does not give back (its last line indented), b4 missing."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

from . import results
from .helpers import RepoTestCase, TmpTestCase, sh, with_b4
from pcltools import mbox
from pcltools.check import b4prep, model, report, verdict

COVER_TEXT = '''The page cache lock, in two patches.

  an indented line, kept as it is

The end.'''


class B4PrepTest(RepoTestCase):
    def setUp(self) -> None:
        super().setUp()
        with_b4(self)
        self.write('mm/a.c', 'int a;\n')
        self.base = self.commit('base')
        self.write('mm/a.c', 'int a;\nint b;\n')
        self.commit('mm: add b', 'Why b.')
        self.write('mm/c.c', 'int c;\n')
        self.tip = self.commit('mm: add c', 'Why c.')
        self.out = self.tmp / 'series'
        sh(self.repo, 'git', 'format-patch', '-q', '--cover-letter',
           '-o', str(self.out), f'{self.base}..{self.tip}')
        cover = self.out / '0000-cover-letter.patch'
        cover.write_text(cover.read_text()
                         .replace('*** SUBJECT HERE ***', 'mm: b and c')
                         .replace('*** BLURB HERE ***', COVER_TEXT))
        self.cover = cover
        self.log = self.tmp / 'report/b4/prep.txt'

    def patches(self) -> list[mbox.Patch]:
        files = sorted(self.out.glob('000[1-9]-*.patch'))
        return [mbox.read_patch(p, i, len(files))
                for i, p in enumerate(files, 1)]

    def run_check(self, patches: list[mbox.Patch],
                  cover: Path | None = None) -> model.Check:
        return b4prep.run(self.repo, self.base, self.tip, patches,
                          cover or self.cover, self.log)

    def test_the_series_comes_back(self) -> None:
        check = self.run_check(self.patches())
        self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertRegex(check.checked, r'^b4 \S+ prep -e, -p: 2 patches and '
                         'the cover letter$')
        log = self.log.read_text()
        self.assertIn('$ b4 prep -e pcl-b4-base', log)
        self.assertIn('$ b4 prep -p', log)

    def test_the_tree_is_left_as_it_was(self) -> None:
        before = sh(self.repo, 'git', 'config', '--list', '--local')
        branches = sh(self.repo, 'git', 'branch', '--list')
        self.run_check(self.patches())
        self.assertEqual(sh(self.repo, 'git', 'config', '--list', '--local'),
                         before)
        self.assertEqual(sh(self.repo, 'git', 'branch', '--list'), branches)

    def test_a_diff_that_is_not_the_commits(self) -> None:
        patches = self.patches()
        wrong = self.tmp / 'wrong.patch'
        wrong.write_text(patches[1].path.read_text()
                         .replace('+int c;', '+int d;'))
        patches[1].path = wrong
        check = self.run_check(patches)
        self.assertEqual(check.outcome, 'fail')
        self.assertEqual([f.message for f in check.findings],
                         ["2/2: b4's diff is not the series' (git patch-id "
                          '--stable differs)'])

    def test_a_subject_that_is_not_the_commits(self) -> None:
        patches = self.patches()
        patches[0].title = 'mm: add bb'
        check = self.run_check(patches)
        self.assertEqual([f.message for f in check.findings],
                         ['1/2: b4\'s subject is "mm: add b", not '
                          '"mm: add bb"'])

    def test_a_cover_letter_b4_does_not_give_back(self) -> None:
        # b4 0.12 strips the indentation of the description's last line:
        # a cover letter ending in a command is not given back.
        other = self.tmp / 'cover.patch'
        other.write_text(self.cover.read_text().replace(
            'The end.', 'To reproduce:\n\n  make check'))
        check = self.run_check(self.patches(), other)
        self.assertEqual(check.outcome, 'fail')
        self.assertEqual([f.message for f in check.findings],
                         ['the cover letter\'s text differs from line 7: '
                          '"make check" where the series has "  make check"'])

    def test_without_a_cover_letter(self) -> None:
        check = b4prep.run(self.repo, self.base, self.tip, self.patches(),
                           None, self.log)
        self.assertEqual(check.outcome, 'not run')
        self.assertIn('no cover letter', check.note)

    def test_without_b4(self) -> None:
        with mock.patch.object(b4prep, '_version', return_value=''):
            check = self.run_check(self.patches())
        self.assertEqual(check.outcome, 'broken')
        self.assertIn('b4 is not installed (Debian package b4', check.problem)


class VerdictTest(TmpTestCase):
    def test_errors_fail(self) -> None:
        result = results.warnings_series()
        result.b4 = model.Check(ran=True, checked='b4 0.12.0 prep -e, -p')
        result.b4.add('ERROR', "2/3: b4's diff is not the series'")
        verdict.verdict(result)
        self.assertEqual(result.code, 1)
        self.assertEqual(result.verdict,
                         'FAIL: b4 prep does not give the series back')
        text = report.text(result)
        self.assertIn('b4 prep: fail: b4 0.12.0 prep -e, -p: 1 errors', text)
        self.assertIn("  ERROR: 2/3: b4's diff is not the series'", text)
        case = next(c for c in report.counts(result)['validate'].cases
                    if c.name == 'b4 prep')
        self.assertEqual(case.status, 'FAIL')

    def test_not_run_fails(self) -> None:
        result = results.warnings_series()
        result.b4 = model.Check(problem='b4 is not installed')
        verdict.verdict(result)
        self.assertEqual(result.verdict, 'FAIL: b4 prep did not run')
