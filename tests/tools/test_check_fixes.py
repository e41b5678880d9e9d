"""check/fixes.py: the Fixes: tags of a patch mail, in the form
submitting-patches.rst gives and naming a commit below the patch with
that subject; in a tiny git repository with history, and in one without
(a tree made from a tarball)."""

from __future__ import annotations

import subprocess
from unittest import mock

from .helpers import TmpTestCase, sh
from pcltools.check import checkpatch, fixes, model

DIFF = '''---
 mm/a.c | 1 +
 1 file changed, 1 insertion(+)

diff --git a/mm/a.c b/mm/a.c
--- a/mm/a.c
+++ b/mm/a.c
@@ -1 +1,2 @@
 int a;
+Fixes: this line is in the diff, not a tag
'''


def mail(*body: str) -> str:
    """A patch mail whose commit message is body (its lines)."""
    return ('From 0000000000000000000000000000000000000000 Mon Sep 17 '
            '00:00:00 2001\nFrom: A U Thor <a@example.org>\n'
            'Date: Tue, 14 Nov 2023 22:13:20 +0000\n'
            'Subject: [PATCH] mm: fix the helper\n\n' +
            ''.join(line + '\n' for line in body) + DIFF)


FIRST_LINE = 6                  # of the message, in mail()


class FixesTestCase(TmpTestCase):
    history = True              # commits below the base

    def setUp(self) -> None:
        super().setUp()
        self.repo = self.tmp / 'kernel'
        self.repo.mkdir()
        sh(self.repo, 'git', 'init', '-q', '-b', 'main')
        if self.history:
            self.helper = self.commit('mm/a.c', 'int a;\n',
                                      'mm: add the helper')
        self.base = self.commit('mm/b.c', 'int b;\n', 'mm: add b')
        if not self.history:
            self.helper = self.base
        sh(self.repo, 'git', 'checkout', '-q', '-b', 'other')
        self.elsewhere = self.commit('mm/c.c', 'int c;\n', 'mm: elsewhere')
        sh(self.repo, 'git', 'checkout', '-q', 'main')

    def commit(self, rel: str, text: str, subject: str) -> str:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        sh(self.repo, 'git', 'add', rel)
        sh(self.repo, 'git', 'commit', '-q', '-m', subject)
        return sh(self.repo, 'git', 'rev-parse', 'HEAD').strip()

    def check(self, *body: str, cp: model.Checkpatch | None = None
              ) -> model.Check:
        return fixes.check(mail(*body), self.repo, self.base,
                           fixes.has_history(self.repo, self.base),
                           cp or model.Checkpatch(ran=True),
                           '0002-mm-fix.patch')

    def tag(self, sha: str, subject: str) -> str:
        return f'Fixes: {sha} ("{subject}")'


class WithHistoryTest(FixesTestCase):
    def test_history(self) -> None:
        self.assertTrue(fixes.has_history(self.repo, self.base))

    def test_the_right_form_passes(self) -> None:
        check = self.check('Fix it.', '',
                           self.tag(self.helper[:12], 'mm: add the helper'),
                           self.tag(self.base, 'mm: add b'),
                           'Signed-off-by: A U Thor <a@example.org>')
        self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertEqual(check.checked, '2 tags')

    def test_no_tag(self) -> None:
        check = self.check('This fixes a bug in 1234567 and friends.',
                           'Fixes a crash.')
        self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertEqual(check.checked, 'no tag')

    def only(self, check: model.Check) -> model.Finding:
        self.assertEqual(len(check.findings), 1, check.findings)
        return check.findings[0]

    def test_short_sha(self) -> None:
        f = self.only(self.check('Fix it.', '',
                                 self.tag(self.helper[:7],
                                          'mm: add the helper')))
        self.assertEqual(f.level, 'ERROR')
        self.assertIn(f'the sha1 {self.helper[:7]} has 7 digits, at least 12 '
                      'are needed', f.message)
        self.assertIn(f'it should read: Fixes: {self.helper[:12]} ("mm: add '
                      'the helper")', f.message)
        self.assertEqual(f.where, f'0002-mm-fix.patch:{FIRST_LINE + 2}')
        self.assertEqual(f.line, FIRST_LINE + 2)

    def test_missing_quotes(self) -> None:
        f = self.only(self.check(f'Fixes: {self.helper[:12]} (mm: add the '
                                 'helper)'))
        self.assertEqual(f.level, 'ERROR')
        self.assertIn('the subject is not in double quotes', f.message)
        self.assertNotIn(', not "', f.message)      # the subject matches

    def test_wrapped_line(self) -> None:
        check = self.check(f'Fixes: {self.helper[:12]} ("mm: add',
                           'the helper")',
                           'Signed-off-by: A U Thor <a@example.org>')
        f = self.only(check)
        self.assertEqual(f.level, 'ERROR')
        self.assertIn('wrapped onto the next line; it stays on one line',
                      f.message)
        self.assertTrue(f.message.startswith(
            f'"Fixes: {self.helper[:12]} ("mm: add": '), f.message)
        self.assertNotIn(', not "', f.message)      # the subject matches
        self.assertEqual(f.line, FIRST_LINE)

    def test_nonexistent_commit(self) -> None:
        f = self.only(self.check(self.tag('0123456789ab', 'mm: add the '
                                          'helper')))
        self.assertEqual(f.level, 'ERROR')
        self.assertIn('no commit 0123456789ab in the tree', f.message)

    def test_subject_mismatch(self) -> None:
        f = self.only(self.check(self.tag(self.helper[:12],
                                          'mm: add a helper')))
        self.assertEqual(f.level, 'ERROR')
        self.assertIn(f'commit {self.helper[:12]} is "mm: add the helper", '
                      'not "mm: add a helper"', f.message)

    def test_a_commit_not_below_the_patch(self) -> None:
        f = self.only(self.check(self.tag(self.elsewhere[:12],
                                          'mm: elsewhere')))
        self.assertIn('is not in the history below this patch', f.message)

    def test_spelling_and_spacing(self) -> None:
        sha = self.helper[:12]
        for line, said in (
                (f'fixes: {sha} ("mm: add the helper")', 'write "Fixes:"'),
                (f'Fixes {sha} ("mm: add the helper")', 'write "Fixes:"'),
                (f'Fixes:  {sha} ("mm: add the helper")', 'one space'),
                (f'Fixes: commit {sha} ("mm: add the helper")',
                 'no "commit"'),
                (f'Fixes: {sha.upper()} ("mm: add the helper")',
                 'upper case'),
                (f'Fixes: {sha}', 'no ("<subject>")'),
                (f'Fixes: {sha} "mm: add the helper"', 'in parentheses'),
                (f'Fixes: {sha} ("mm: add the helper)', 'a pair of double'),
                ('Fixes: the helper', 'no commit sha1'),
                (f'Fixes: {sha} ("mm: add the helper") and more',
                 'nothing after it'),
                (f'  Fixes: {sha} ("mm: add the helper")', 'indented')):
            with self.subTest(line=line):
                f = self.only(self.check(line))
                self.assertEqual(f.level, 'ERROR')
                self.assertIn(said, f.message)

    def test_checkpatch_named_beside(self) -> None:
        line = FIRST_LINE
        cp = model.Checkpatch(ran=True, warnings=1, findings=[
            model.Finding('WARNING', 'Please use correct Fixes: style', '',
                          'BAD_FIXES_TAG', line),
            model.Finding('WARNING', 'other', 'mm/a.c:1', 'LONG_LINE', 12)])
        f = self.only(self.check(f'Fixes: {self.helper[:7]} ("mm: add the '
                                 'helper")', cp=cp))
        self.assertTrue(f.message.endswith('(checkpatch.pl: BAD_FIXES_TAG)'),
                        f.message)

    def test_ambiguous(self) -> None:
        said = b'error: short object ID 0123456789ab is ambiguous\n'
        failed = subprocess.CompletedProcess([], 128, b'', said)
        with mock.patch.object(fixes.gitutil, 'run', return_value=failed):
            self.assertEqual(fixes.resolve(self.repo, '0123456789ab'),
                             (None, 'ambiguous'))
        with mock.patch.object(fixes, 'resolve',
                               return_value=(None, 'ambiguous')):
            f = self.only(self.check(self.tag('0123456789ab', 'mm: x')))
        self.assertIn('the sha1 0123456789ab is ambiguous in the tree: give '
                      'more digits', f.message)

    def test_message_ends_at_the_diff(self) -> None:
        lines = fixes.message_lines(mail('Body.', '', 'Signed-off-by: x'))
        self.assertEqual([t for _, t in lines],
                         ['Body.', '', 'Signed-off-by: x'])
        self.assertEqual(lines[0][0], FIRST_LINE)


class WithoutHistoryTest(FixesTestCase):
    history = False             # a base made from a tarball: one commit

    def test_history(self) -> None:
        self.assertFalse(fixes.has_history(self.repo, self.base))

    def test_an_unknown_commit_is_not_verified(self) -> None:
        check = self.check(self.tag('0123456789ab', 'mm: an old commit'))
        self.assertEqual(check.outcome, 'note')
        f = check.findings[0]
        self.assertEqual(f.level, 'CHECK')
        self.assertIn('not verified: commit 0123456789ab is not in the tree, '
                      'which has no history below its base', f.message)

    def test_the_form_is_still_an_error(self) -> None:
        check = self.check('Fixes: 0123456 (mm: an old commit)')
        self.assertEqual(check.outcome, 'fail')
        self.assertIn('7 digits', check.findings[0].message)
        self.assertIn('not verified', check.findings[0].message)

    def test_a_commit_the_tree_has_is_verified(self) -> None:
        check = self.check(self.tag(self.base[:12], 'mm: add c'))
        self.assertEqual(check.outcome, 'fail')
        self.assertIn('is "mm: add b", not "mm: add c"',
                      check.findings[0].message)
        check = self.check(self.tag(self.base[:12], 'mm: add b'))
        self.assertEqual(check.outcome, 'pass', check.findings)



class CheckpatchLinesTest(TmpTestCase):
    """checkpatch.pl's findings on commit message lines keep their type
    and line (its '#8: ' marker), so that the Fixes: check can name
    them."""

    def test_type_and_line(self) -> None:
        text = (
            "WARNING:BAD_FIXES_TAG: Please use correct Fixes: style 'Fixes: "
            "<12 chars of sha1> (\"<title line>\")' - ie: 'Fixes:  (\"mm: "
            "base thing\")'\n#8: \nFixes: abc1234 (mm: base thing)\n\n"
            "WARNING:LONG_LINE: line length of 101 exceeds 100 columns\n"
            "#20: FILE: mm/a.c:3:\n+x\n\n"
            "total: 0 errors, 2 warnings, 0 checks, 22 lines checked\n")
        cp = checkpatch.parse(text)
        self.assertEqual([(f.type, f.line, f.where) for f in cp.findings],
                         [('BAD_FIXES_TAG', 8, ''),
                          ('LONG_LINE', 20, 'mm/a.c:3')])
