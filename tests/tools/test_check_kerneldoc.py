"""check/kerneldoc.py: the kernel-doc warnings a patch introduces, with
the real scripts/kernel-doc (a copy of Linux 6.12's) in a tiny git
repository: a function whose comment misses a parameter, a new file, a
renamed file, -Wall's notes, the cache."""

from __future__ import annotations

import hashlib
from unittest import mock

from . import kernel_fixture as kf
from . import results
from .helpers import RepoTestCase, TmpTestCase, sh
from pcltools.check import kerneldoc, model, report, verdict

DOCUMENTED = '''/**
 * old_add() - Add two numbers.
 * @a: the first
 * @b: the second
 *
 * Return: the sum.
 */
int old_add(int a, int b)
{
	return a + b;
}
'''

# A warning the base already has: 'b' is not described.
OLD_WARNING = '''/**
 * old_sub() - Subtract.
 * @a: the first
 *
 * Return: the difference.
 */
int old_sub(int a, int b)
{
	return a - b;
}
'''

MISSING_PARAM = '''/**
 * new_mul() - Multiply.
 * @x: the first
 *
 * Return: the product.
 */
int new_mul(int x, int y)
{
	return x * y;
}
'''

COMPLETE = '''/**
 * new_div() - Divide.
 * @x: the dividend
 * @y: the divisor
 *
 * Return: the quotient.
 */
int new_div(int x, int y)
{
	return x / y;
}
'''

NO_RETURN = '''/**
 * new_neg() - Negate.
 * @x: the number
 */
int new_neg(int x)
{
	return -x;
}
'''


class KernelDocTest(RepoTestCase):
    def setUp(self) -> None:
        super().setUp()
        kf.write_exec(self.repo / 'scripts/kernel-doc',
                      kf.KERNEL_DOC.read_text())
        self.write('mm/calc.c', DOCUMENTED + OLD_WARNING)
        self.write('README', 'a tree\n')
        self.commit('base')
        self.ctx = model.Context(source=self.repo, base_ref='main',
                                 base_desc='a tree', state=self.tmp / 'state',
                                 kunitconfigs=[])
        self.log = self.tmp / 'report/kernel-doc/0001.txt'

    def run_check(self, commit: str) -> model.Check:
        return kerneldoc.run(self.ctx, self.repo, commit, self.log)

    def test_a_missing_parameter_is_a_new_warning(self) -> None:
        self.write('mm/calc.c', DOCUMENTED + OLD_WARNING + MISSING_PARAM)
        check = self.run_check(self.commit('mm: add new_mul'))
        self.assertTrue(check.ran, check.problem)
        self.assertEqual(check.outcome, 'warn')
        self.assertEqual((check.warnings, check.errors, check.checks),
                         (1, 0, 0))
        f = check.findings[0]
        self.assertEqual(f.level, 'WARNING')
        self.assertEqual(f.message, "Function parameter or struct member 'y' "
                         "not described in 'new_mul'")
        self.assertEqual(f.where, 'mm/calc.c:29')   # as kernel-doc says
        # old_sub's warning was there before: counted, not new.
        self.assertEqual((check.before, check.now), (1, 2))
        self.assertEqual(check.checked, 'mm/calc.c')
        log = self.log.read_text()
        self.assertIn('scripts/kernel-doc -none -Wall', log)
        self.assertIn('== mm/calc.c at the parent', log)
        self.assertIn("not described in 'old_sub'", log)

    def test_complete_comments_pass(self) -> None:
        self.write('mm/calc.c', DOCUMENTED + OLD_WARNING + COMPLETE)
        self.write('include/linux/calc.h', '/* no comments */\nint f(void);\n')
        check = self.run_check(self.commit('mm: add new_div'))
        self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertEqual(check.findings, [])
        self.assertEqual(check.checked, 'include/linux/calc.h, mm/calc.c')
        self.assertIn('== include/linux/calc.h at the patch\n(no warnings)\n',
                      self.log.read_text())

    def test_many_files_are_counted(self) -> None:
        for name in ('a', 'b', 'c', 'd'):
            self.write(f'mm/{name}.h', '/* nothing */\n')
        check = self.run_check(self.commit('mm: four headers'))
        self.assertEqual(check.checked, 'mm/a.h, mm/b.h, mm/c.h and 1 more')

    def test_a_new_file_counts_fully(self) -> None:
        self.write('mm/more.c', MISSING_PARAM + OLD_WARNING)
        check = self.run_check(self.commit('mm: add more.c'))
        self.assertEqual(check.warnings, 2)
        self.assertEqual({f.where.split(':')[0] for f in check.findings},
                         {'mm/more.c'})
        self.assertEqual((check.before, check.now), (0, 2))

    def test_a_moved_function_keeps_its_warnings(self) -> None:
        sh(self.repo, 'git', 'mv', 'mm/calc.c', 'mm/arith.c')
        check = self.run_check(self.commit('mm: rename calc.c'))
        self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertEqual((check.before, check.now), (1, 1))
        self.write('mm/arith.c', DOCUMENTED)
        self.write('mm/sub.c', OLD_WARNING)
        check = self.run_check(self.commit('mm: move old_sub to sub.c'))
        self.assertEqual(check.outcome, 'pass', check.findings)

    def test_fixing_one_and_adding_another_is_still_new(self) -> None:
        self.write('mm/calc.c', DOCUMENTED + MISSING_PARAM)
        check = self.run_check(self.commit('mm: swap a warning'))
        self.assertEqual((check.before, check.now), (1, 1))
        self.assertEqual(check.warnings, 1)
        self.assertIn("'new_mul'", check.findings[0].message)

    def test_wall_only_notes_are_checks(self) -> None:
        self.write('mm/calc.c', DOCUMENTED + OLD_WARNING + NO_RETURN)
        check = self.run_check(self.commit('mm: add new_neg'))
        self.assertEqual(check.outcome, 'note')
        self.assertEqual((check.warnings, check.checks), (0, 1))
        self.assertEqual(check.findings[0].level, 'CHECK')
        self.assertIn("No description found for return value of 'new_neg'",
                      check.findings[0].message)

    def test_no_c_or_h_file(self) -> None:
        self.write('README', 'changed\n')
        sh(self.repo, 'git', 'rm', '-q', 'mm/calc.c')
        check = self.run_check(self.commit('docs: drop calc.c'))
        self.assertEqual(check.outcome, 'pass')
        self.assertEqual(check.checked, 'no .c or .h file touched')

    def test_cached_by_script_and_contents(self) -> None:
        self.write('mm/calc.c', DOCUMENTED + OLD_WARNING + MISSING_PARAM)
        commit = self.commit('mm: add new_mul')
        first = self.run_check(commit)
        self.assertFalse(first.cached)
        with mock.patch.object(kerneldoc, '_run_one',
                               side_effect=AssertionError('ran again')):
            second = self.run_check(commit)
        self.assertTrue(second.cached)
        self.assertEqual(second.findings, first.findings)
        self.ctx.cache = False
        third = self.run_check(commit)
        self.assertFalse(third.cached)
        self.assertEqual(third.findings, first.findings)

    def test_the_environment_does_not_change_the_warnings(self) -> None:
        self.write('mm/calc.c', DOCUMENTED + OLD_WARNING + MISSING_PARAM)
        commit = self.commit('mm: add new_mul')
        self.ctx.cache = False
        with mock.patch.dict('os.environ', {'KDOC_WERROR': '1',
                                            'KBUILD_VERBOSE': '1'}):
            check = self.run_check(commit)
        self.assertEqual(check.problem, '')
        self.assertEqual(check.warnings, 1)

    def test_a_tree_without_the_script(self) -> None:
        sh(self.repo, 'git', 'rm', '-q', 'scripts/kernel-doc')
        check = self.run_check(self.commit('scripts: drop kernel-doc'))
        self.assertEqual(check.outcome, 'broken')
        self.assertIn('scripts/kernel-doc is not in the tree', check.problem)

    def test_a_script_that_fails_is_a_problem(self) -> None:
        kf.write_exec(self.repo / 'scripts/kernel-doc',
                      'die "kernel-doc: broken\\n";\n')
        self.write('mm/calc.c', DOCUMENTED)
        check = self.run_check(self.commit('scripts: break kernel-doc'))
        self.assertEqual(check.outcome, 'broken')
        self.assertIn('failed on mm/calc.c: kernel-doc: broken',
                      check.problem)

    def test_without_perl(self) -> None:
        self.write('mm/calc.c', DOCUMENTED + MISSING_PARAM)
        commit = self.commit('mm: add new_mul')
        self.ctx.cache = False
        with mock.patch.object(kerneldoc, 'PERL', 'no-such-perl'):
            check = self.run_check(commit)
        self.assertEqual(check.outcome, 'broken')
        self.assertIn('cannot run no-such-perl', check.problem)


class ParseTest(TmpTestCase):
    def test_continued_messages_and_errors(self) -> None:
        text = ('mm/a.c:3: warning: wrong kernel-doc identifier on line:\n'
                ' * foo bar\n'
                'mm/a.c:9: error: Cannot parse struct or union!\n'
                "mm/a.c:20: warning: No description found for return value "
                "of 'f'\n")
        found = kerneldoc.parse(text)
        self.assertEqual([(w.path, w.line, w.level) for w in found],
                         [('mm/a.c', 3, 'WARNING'), ('mm/a.c', 9, 'WARNING'),
                          ('mm/a.c', 20, 'CHECK')])
        self.assertEqual(found[0].message, 'wrong kernel-doc identifier on '
                         'line: * foo bar')
        self.assertEqual(found[1].message, 'error: Cannot parse struct or '
                         'union!')

    def test_the_copy_is_the_kernels(self) -> None:
        """The tests' copy is Linux 6.12's script, unchanged."""
        digest = hashlib.sha256(kf.KERNEL_DOC.read_bytes()).hexdigest()
        self.assertEqual(digest, kf.KERNEL_DOC_SHA256)


class VerdictTest(TmpTestCase):
    """New kernel-doc warnings are reported, not failed (as checkpatch's
    warnings); kernel-doc that did not run fails, as checkpatch's."""

    def test_warnings_pass(self) -> None:
        result = results.warnings_series()
        kd = result.steps[1].kerneldoc
        kd.add('WARNING', "Function parameter or struct member 'y' not "
               "described in 'f'", 'mm/filemap.c:10')
        kd.now = 1
        verdict.verdict(result)
        self.assertEqual((result.code, result.verdict), (0, 'PASS'))
        case = next(c for c in report.counts(result)['validate'].cases
                    if c.name == '02/3 p2: kernel-doc')
        self.assertEqual(case.status, 'PASS')
        self.assertIn("'y' not described in 'f' (mm/filemap.c:10)",
                      case.message)
        self.assertIn('2/3  ok     0/1/0             warn   warn  ok', report.text(
            result))

    def test_not_run_fails(self) -> None:
        result = results.warnings_series()
        result.steps[0].kerneldoc = model.Check(
            problem='scripts/kernel-doc is not in the tree at this patch')
        verdict.verdict(result)
        self.assertEqual(result.code, 1)
        self.assertEqual(result.verdict, 'FAIL: kernel-doc did not run on 1/3')
        self.assertIn('1/3  ok     0/0/0             ok     err   ok', report.text(
            result))
