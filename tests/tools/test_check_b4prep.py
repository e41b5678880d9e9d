"""check/b4prep.py: b4 prep takes the applied series as a branch whose
description is the cover letter and gives the series back, with the
real b4 in a tiny git repository; controls: a patch whose diff is not
the commit's, a subject that is not the commit's, a cover letter whose
text b4 does not give back (its last line indented), b4 missing."""

from __future__ import annotations

import os
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
        self.commits = [self.commit('mm: add b', 'Why b.')]
        self.write('mm/c.c', 'int c;\n')
        self.commits.append(self.commit('mm: add c', 'Why c.'))
        self.out = self.tmp / 'series'
        sh(self.repo, 'git', 'format-patch', '-q', '--cover-letter',
           '-o', str(self.out), f'{self.base}..{self.commits[-1]}')
        self.cover = self.with_text(COVER_TEXT)
        self.report = self.tmp / 'report/b4'

    def with_text(self, text: str) -> Path:
        """The series' cover letter, with text as its blurb."""
        cover = self.out / '0000-cover-letter.patch'
        path = self.tmp / f'cover-{len(list(self.tmp.glob("cover-*")))}.patch'
        path.write_text(cover.read_text()
                        .replace('*** SUBJECT HERE ***', 'mm: b and c')
                        .replace('*** BLURB HERE ***', text))
        return path

    def patches(self) -> list[mbox.Patch]:
        files = sorted(self.out.glob('000[1-9]-*.patch'))
        return [mbox.read_patch(p, i, len(files))
                for i, p in enumerate(files, 1)]

    def run_check(self, patches: list[mbox.Patch] | None = None,
                  cover: Path | None = None,
                  commits: list[str] | None = None) -> model.Check:
        return b4prep.run(self.repo, commits or self.commits,
                          patches or self.patches(), cover or self.cover,
                          self.report)

    def test_the_series_comes_back(self) -> None:
        check = self.run_check()
        self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertRegex(check.checked, r'^b4 \S+ prep -e, -p: 2 patches and '
                         'the cover letter$')
        log = (self.report / 'prep.txt').read_text()
        self.assertIn('$ b4 prep -e pcl-b4-base', log)
        self.assertIn('$ b4 prep -p', log)
        self.assertEqual(len(list((self.report / 'patches').glob('*.patch'))),
                         3)

    def test_the_tree_is_left_as_it_was(self) -> None:
        before = sh(self.repo, 'git', 'config', '--list', '--local')
        branches = sh(self.repo, 'git', 'branch', '--list')
        self.run_check()
        self.assertEqual(sh(self.repo, 'git', 'config', '--list', '--local'),
                         before)
        self.assertEqual(sh(self.repo, 'git', 'branch', '--list'), branches)

    def test_the_users_git_configuration_does_not_count(self) -> None:
        gitconfig = self.tmp / 'gitconfig'
        gitconfig.write_text('[diff]\n\tnoprefix = true\n'
                             '\talgorithm = histogram\n'
                             '[b4]\n\tprep-cover-template = /nonexistent\n')
        with mock.patch.dict('os.environ',
                             {'GIT_CONFIG_GLOBAL': str(gitconfig)}):
            check = self.run_check()
        self.assertEqual(check.outcome, 'pass', check.findings)

    def test_encoded_patches_are_the_same_patches(self) -> None:
        # As a mail client sends them: quoted-printable, a soft line
        # break in a line of the diff. What counts is the commits.
        patches = self.patches()
        qp = self.tmp / 'qp.patch'
        qp.write_text(patches[0].path.read_text().replace(
            'Subject:', 'Content-Transfer-Encoding: quoted-printable\n'
            'Subject:', 1).replace('+int b;', '+int =\nb;'))
        patches[0].path = qp
        check = self.run_check(patches)
        self.assertEqual(check.outcome, 'pass', check.findings)

    def test_a_patch_that_gives_another_tree(self) -> None:
        # Injected: b4 is given the branch of the first series while the
        # check compares with a second one whose 2/2 differs.
        sh(self.repo, 'git', 'checkout', '-q', '-b', 'other', self.commits[0])
        self.write('mm/c.c', 'int d;\n')
        other = self.commit('mm: add c', 'Why c.')
        enrol = b4prep._Clone.enrol

        def first_series(clone: b4prep._Clone, base: str, tip: str,
                         cover: object) -> None:
            enrol(clone, base, self.commits[1], cover)  # type: ignore
        with mock.patch.object(b4prep._Clone, 'enrol', first_series):
            check = self.run_check(commits=[self.commits[0], other])
        self.assertEqual(check.outcome, 'fail')
        self.assertEqual([f.message for f in check.findings],
                         ["2/2: b4's patch gives another tree than the "
                          "series' commit (applied onto the series' commit "
                          'below it)'])

    def test_a_subject_that_is_not_the_commits(self) -> None:
        patches = self.patches()
        patches[0].title = 'mm: add bb'
        check = self.run_check(patches)
        self.assertEqual([f.message for f in check.findings],
                         ['1/2: b4\'s subject is "mm: add b", not '
                          '"mm: add bb"'])
        self.assertTrue(check.findings[0].where.startswith('b4/patches/0001-'))

    def test_a_cover_letter_ending_indented(self) -> None:
        # b4 0.12 strips the indentation of the first line of the
        # description's last paragraph: a cover letter ending in a
        # command is not given back (one ending in an indented line of a
        # paragraph is).
        cover = self.with_text(COVER_TEXT.replace(
            'The end.', 'The end:\n  make check'))
        self.assertEqual(self.run_check(cover=cover).outcome, 'pass')
        cover = self.with_text(COVER_TEXT.replace(
            'The end.', 'To reproduce:\n\n  make check'))
        check = self.run_check(cover=cover)
        self.assertEqual(check.outcome, 'fail')
        self.assertEqual([f.message for f in check.findings],
                         ['the cover letter\'s text differs from line 7: '
                          '"make check" where the series has "  make check": '
                          'b4 strips the indentation of the first line of a '
                          'branch description\'s last paragraph; start that '
                          'paragraph unindented'])

    def test_a_cover_letter_with_a_comment_line(self) -> None:
        cover = self.with_text(COVER_TEXT.replace(
            'The end.', '# echo 3 > /proc/sys/vm/drop_caches\n\nThe end.'))
        check = self.run_check(cover=cover)
        self.assertEqual(check.outcome, 'fail')
        self.assertIn('b4 drops the lines of a branch description that '
                      'start with "#"', check.findings[0].message)

    def test_blank_lines_b4_collapses_do_not_count(self) -> None:
        cover = self.with_text(COVER_TEXT.replace('The end.',
                                                  '\n\nThe end.'))
        check = self.run_check(cover=cover)
        self.assertEqual(check.outcome, 'pass', check.findings)

    def test_one_patch_needs_no_cover_letter(self) -> None:
        check = b4prep.run(self.repo, self.commits[:1], self.patches()[:1],
                           None, self.report)
        self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertRegex(check.checked, r': 1 patches$')

    def test_without_a_cover_letter(self) -> None:
        check = b4prep.run(self.repo, self.commits, self.patches(), None,
                           self.report)
        self.assertEqual(check.outcome, 'not run')
        self.assertIn('no cover letter', check.note)

    def test_without_b4(self) -> None:
        with mock.patch.object(b4prep, '_version', return_value=''):
            check = self.run_check()
        self.assertEqual(check.outcome, 'broken')
        self.assertIn('b4 is not installed (Debian package b4', check.problem)

    def test_b4_failing_is_a_problem_not_a_finding(self) -> None:
        fake = self.tmp / 'bin/b4'
        fake.parent.mkdir()
        fake.write_text('#!/bin/sh\n[ "$1" = --version ] && echo 0.12.0 && '
                        'exit 0\necho "CRITICAL: something broke"\nexit 1\n')
        fake.chmod(0o755)
        with mock.patch.dict('os.environ', {
                'PATH': f'{fake.parent}:{os.environ["PATH"]}'}):
            check = self.run_check()
        self.assertEqual(check.outcome, 'broken')
        self.assertIn('b4 prep failed: CRITICAL: something broke',
                      check.problem)


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
