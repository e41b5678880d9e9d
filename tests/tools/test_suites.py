"""Which KUnit suites cover a series (the nearest .kunitconfig above each
touched file), mail-client patches read as git am reads them, and the
verdict of a kunitconfig the tree does not satisfy."""

from __future__ import annotations

import unittest
from pathlib import Path

from .helpers import DATA, TmpTestCase
from pcltools import mbox
from pcltools.check import kunitdelta, model, plaintext, suites, verdict
from pcltools.errors import Exit

FOREIGN = DATA / 'foreign'

# The directories holding a .kunitconfig in the pinned 6.12.y base
# (`git ls-tree -r --name-only pcl-base | grep /.kunitconfig`).
BASE_DIRS = {
    'drivers/base/test', 'drivers/clk', 'drivers/firewire',
    'drivers/fpga/tests', 'drivers/gpu/drm/tests', 'drivers/gpu/drm/ttm/tests',
    'drivers/gpu/drm/vc4/tests', 'drivers/gpu/drm/xe', 'drivers/hid',
    'drivers/input/tests', 'drivers/of', 'fs/ext4', 'fs/fat', 'kernel/kcsan',
    'lib/kunit', 'mm/damon/tests', 'mm/kfence', 'net/handshake',
    'net/sunrpc', 'security/landlock', 'sound/core'}

DIFF = '''diff --git a/{0} b/{1}
index 1111111..2222222 100644
--- a/{0}
+++ b/{1}
@@ -1 +1 @@
-a
+b
'''


class TouchedPathsTest(unittest.TestCase):
    def test_both_sides_of_a_rename_in_order(self) -> None:
        text = DIFF.format('fs/ext4/old.c', 'fs/ext4/new.c') + \
            DIFF.format('mm/readahead.c', 'mm/readahead.c')
        self.assertEqual(suites.touched_paths([text]),
                         ['fs/ext4/old.c', 'fs/ext4/new.c', 'mm/readahead.c'])

    def test_plus_minus_lines_without_diff_git(self) -> None:
        text = ('--- a/lib/kunit/test.c\n+++ b/lib/kunit/test.c\n'
                '--- /dev/null\n+++ b/lib/kunit/new.c\n')
        self.assertEqual(suites.touched_paths([text]),
                         ['lib/kunit/test.c', 'lib/kunit/new.c'])

    def test_an_added_file_is_not_dev_null(self) -> None:
        text = DIFF.format('x', 'y').replace('a/x b/y', 'a/fs/fat/n.c b/fs/fat/n.c')
        self.assertNotIn('/dev/null', suites.touched_paths([text]))


class NearestTest(unittest.TestCase):
    def test_the_directory_itself(self) -> None:
        self.assertEqual(suites.nearest('fs/ext4/inode.c', BASE_DIRS),
                         'fs/ext4')

    def test_walks_up(self) -> None:
        self.assertEqual(suites.nearest('drivers/gpu/drm/xe/tests/x.c',
                                        BASE_DIRS), 'drivers/gpu/drm/xe')

    def test_nearest_wins_over_a_parent(self) -> None:
        dirs = {'mm', 'mm/damon/tests'}
        self.assertEqual(suites.nearest('mm/damon/tests/core.c', dirs),
                         'mm/damon/tests')
        self.assertEqual(suites.nearest('mm/damon/core.c', dirs), 'mm')

    def test_none_above(self) -> None:
        for path in ('mm/readahead.c', 'mm/damon/core.c', 'Makefile',
                     'include/linux/fs.h'):
            self.assertEqual(suites.nearest(path, BASE_DIRS), '', path)


class SelectTest(unittest.TestCase):
    def test_choices_and_why(self) -> None:
        chosen = suites.select(['fs/ext4/inode.c', 'mm/readahead.c',
                                'lib/kunit/test.c', 'fs/ext4/mballoc.c'],
                               BASE_DIRS)
        self.assertEqual([c.directory for c in chosen], ['fs/ext4', 'lib/kunit'])
        self.assertEqual(chosen[0].because, ['fs/ext4/inode.c',
                                             'fs/ext4/mballoc.c'])
        self.assertEqual(chosen[0].describe(), 'fs/ext4/.kunitconfig '
                         '(touched: fs/ext4/inode.c, fs/ext4/mballoc.c)')

    def test_many_files_are_summed_up(self) -> None:
        chosen = suites.select([f'fs/fat/f{i}.c' for i in range(5)],
                               BASE_DIRS)
        self.assertIn('and 2 more', chosen[0].describe())

    def test_nothing_covered(self) -> None:
        self.assertEqual(suites.select(['mm/readahead.c'], BASE_DIRS), [])

    def test_a_kunitconfig_the_series_adds(self) -> None:
        touched = ['drivers/new/.kunitconfig', 'drivers/new/x_kunit.c']
        dirs = BASE_DIRS | suites.added_dirs(touched)
        self.assertEqual([c.directory for c in suites.select(touched, dirs)],
                         ['drivers/new'])
        self.assertEqual(suites.added_dirs(['.kunitconfig']), set())


class KunitconfigDirsTest(TmpTestCase):
    def test_listed_from_the_commit(self) -> None:
        from .helpers import sh
        repo = self.tmp / 'r'
        for rel in ('fs/ext4/.kunitconfig', 'lib/kunit/.kunitconfig',
                    '.kunitconfig', 'mm/readahead.c'):
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text('x\n')
        sh(repo, 'git', 'init', '-q')
        sh(repo, 'git', 'add', '-A')
        sh(repo, 'git', 'commit', '-q', '-m', 'x')
        self.assertEqual(suites.kunitconfig_dirs(repo, 'HEAD'),
                         {'fs/ext4', 'lib/kunit'})


class ForeignFixturesTest(TmpTestCase):
    """The mail-client exports under tests/tools/data/foreign: read as
    a posted series, their patches choose the suites they should."""

    def read(self, name: str) -> mbox.Intake:
        return mbox.intake(FOREIGN / name, self.tmp / name)

    def touched(self, intake: mbox.Intake) -> list[str]:
        return suites.touched_paths(
            plaintext.decoded(p.path.read_bytes(), p.subject).decode()
            for p in intake.patches)

    def test_readahead_series_touches_no_suite(self) -> None:
        intake = self.read('readahead-mail-client.mbox')
        self.assertEqual(intake.problems, [])
        self.assertEqual([p.subject for p in intake.patches], [
            '[PATCH] mm/readahead: fix a plural in the overview comment',
            '[PATCH] mm/readahead: drop a double space in the overview '
            'comment'])                 # the folded Subject, unfolded
        self.assertEqual([p.msgid for p in intake.patches], ['', ''])
        self.assertIn('some patches have no k/M number: keeping the order of '
                      'the input', intake.notes)
        touched = self.touched(intake)
        self.assertEqual(touched, ['mm/readahead.c'])
        self.assertEqual(suites.select(touched, BASE_DIRS), [])

    def test_ext4_series_chooses_fs_ext4(self) -> None:
        intake = self.read('ext4-mail-client.mbox')
        self.assertEqual(intake.problems, [])
        self.assertEqual(len(intake.patches), 2)
        touched = self.touched(intake)
        self.assertEqual(touched, ['fs/ext4/inode.c', 'fs/ext4/mballoc.c'])
        chosen = suites.select(touched, BASE_DIRS)
        self.assertEqual([c.kunitconfig for c in chosen],
                         ['fs/ext4/.kunitconfig'])

    def test_quoted_printable_patch_is_decoded(self) -> None:
        intake = self.read('ext4-mail-client.mbox')
        first = intake.patches[0]
        raw = first.path.read_bytes()
        self.assertTrue(plaintext.is_encoded(raw))
        self.assertIn(b'struct inod=\n', raw)          # a soft line break
        plain = plaintext.decoded(raw, first.subject).decode()
        self.assertIn('struct inode *inode,', plain)
        self.assertIn('Signed-off-by: Jörg Müller <joerg@example.org>', plain)
        self.assertIn(f'Subject: {first.subject}\n', plain)
        self.assertIn('\n---\n fs/ext4/inode.c | 4 ++--\n', plain)
        self.assertNotIn('=20', plain)

    def test_plain_patch_is_left_as_it_is(self) -> None:
        intake = self.read('ext4-mail-client.mbox')
        second = intake.patches[1]               # 8bit, CRLF in the mbox
        raw = second.path.read_bytes()
        self.assertFalse(plaintext.is_encoded(raw))
        self.assertEqual(plaintext.decoded(raw, second.subject), raw)


KUNIT_PY_REFUSAL = (
    'kernel configuration failed:\nNot all Kconfig options selected in '
    'kunitconfig were in the generated .config.\nThis is probably due to '
    'unsatisfied dependencies.\nMissing: CONFIG_EXT4_KUNIT_TESTS=y, '
    'CONFIG_FOO=y')


class KunitconfigVerdictTest(unittest.TestCase):
    """kunit.py refusing a kunitconfig is its own verdict, exit 13, not
    'the KUnit kernel does not build' (7)."""

    def result(self, kr: model.KunitResult) -> model.Result:
        r = model.Result('validate', 'x.mbox', total=1, steps=[
            model.StepResult(1, 1, '[PATCH] x', 'x', 'x.patch',
                             applies=model.Applies.YES,
                             builds=model.Builds.YES)])
        r.kunit = kr
        verdict.verdict(r)
        return r

    def test_missing_options_parsed(self) -> None:
        self.assertEqual(kunitdelta.missing_options(KUNIT_PY_REFUSAL),
                         'CONFIG_EXT4_KUNIT_TESTS=y, CONFIG_FOO=y')
        self.assertEqual(kunitdelta.missing_options(
            'kernel build failed (1 error line(s)):\nx.c:1: error: y'), '')

    def test_config_refusal_is_exit_13(self) -> None:
        r = self.result(model.KunitResult(
            'tip', ran=True, code=int(Exit.BUILD_FAILED),
            message=KUNIT_PY_REFUSAL,
            config_problem='CONFIG_EXT4_KUNIT_TESTS=y, CONFIG_FOO=y'))
        self.assertEqual(r.code, Exit.KUNITCONFIG)
        self.assertEqual(r.verdict, 'FAIL: kunitconfig options the tree at the '
                         'tip does not have: CONFIG_EXT4_KUNIT_TESTS=y, '
                         'CONFIG_FOO=y')
        self.assertNotIn('does not build', r.verdict)

    def test_a_real_build_failure_stays_exit_7(self) -> None:
        r = self.result(model.KunitResult(
            'tip', ran=True, code=int(Exit.BUILD_FAILED),
            message='kernel build failed'))
        self.assertEqual(r.code, Exit.BUILD_FAILED)
        self.assertEqual(r.verdict, 'FAIL: the KUnit kernel does not build')

    def test_no_suite_is_not_a_failure(self) -> None:
        r = self.result(model.KunitResult(
            'tip', note='not run: no KUnit suite covers the touched files'))
        self.assertEqual((r.code, r.verdict), (0, 'PASS'))


if __name__ == '__main__':
    unittest.main()


class CheckpatchOnEncodedMailTest(TmpTestCase):
    """checkpatch.pl reads the patch as git am applies it: a marker split
    by a quoted-printable soft line break is found once decoded."""

    def test_quoted_printable_mail_is_checked_decoded(self) -> None:
        from . import kernel_fixture as kf
        from pcltools.check import checkpatch
        tree = kf.make_base(self.tmp / 'kernel')
        mail = (b'From: =?UTF-8?q?J=C3=B6rg?= <j@example.org>\n'
                b'Subject: [PATCH] mm: add p1\n'
                b'Content-Type: text/plain; charset="UTF-8"\n'
                b'Content-Transfer-Encoding: quoted-printable\n\n'
                b'Add p1.\n\nSigned-off-by: J=C3=B6rg <j@example.org>\n---\n'
                b'diff --git a/src/p1.c b/src/p1.c\nnew file mode 100644\n'
                b'--- /dev/null\n+++ b/src/p1.c\n@@ -0,0 +1 @@\n'
                b'+int p1(void); /* CHECKPATCH_WAR=\nNING */\n')
        patch = self.tmp / '0001.patch'
        patch.write_bytes(mail)
        ctx = model.Context(source=tree, base_ref='pcl-base', base_desc='',
                            state=self.tmp / 'state', kunitconfigs=[])
        log = self.tmp / 'out/checkpatch/0001.txt'
        cp = checkpatch.run(ctx, tree, patch, 'base', log,
                            '[PATCH] mm: add p1')
        self.assertEqual((cp.errors, cp.warnings), (0, 1), log.read_text())
        self.assertEqual(cp.findings[0].where, 'src/p1.c:1')
        self.assertIn(b'CHECKPATCH_WARNING',
                      log.with_suffix('.patch').read_bytes())


class ContextTest(TmpTestCase):
    """validate onto the base gets its own scratch tree and fitted KUnit;
    check and --onto-series keep theirs."""

    def test_fit_only_onto_the_base(self) -> None:
        from unittest import mock
        from pcltools import layers
        from pcltools.check import cli as check_cli
        with mock.patch.object(check_cli, 'ensure_base',
                               lambda: (self.tmp, 'the base')):
            fitted = check_cli.context(check_cli.Options(), [], fit=True)
            plain = check_cli.context(check_cli.Options(),
                                      [self.tmp / 'x.patch'])
        self.assertEqual((fitted.scratch.name, fitted.select_suites),
                         ('linux-base', True))
        self.assertEqual(fitted.default_kunitconfigs,
                         layers.all_layers()['uml'].kunitconfigs)
        self.assertEqual((plain.scratch.name, plain.select_suites),
                         ('linux', False))

    def test_validate_fits_unless_onto_series(self) -> None:
        from unittest import mock
        from pcltools import cli
        from pcltools.check import cli as check_cli
        seen: list[bool] = []

        def fake_context(args: object, onto: list[Path],
                         fit: bool = False) -> None:
            seen.append(fit)

        def fake_validate(source: str, out: Path, make_context: object,
                          onto: list[Path]) -> model.Result:
            make_context(onto)  # type: ignore[operator]
            return model.Result('validate', source)

        patches = self.tmp / 'patches'
        patches.mkdir()
        (patches / '0001-x.patch').write_text('x\n')
        (patches / 'series').write_text('0001-x.patch\n')
        for argv in (['validate', 'x.mbox'],
                     ['validate', 'x.mbox', '--onto-series']):
            args = cli.parser().parse_args(argv + ['-o', str(self.tmp / 'o')])
            with mock.patch.object(check_cli, 'context', fake_context), \
                    mock.patch.object(check_cli, 'validate_mbox',
                                      fake_validate), \
                    mock.patch.object(check_cli, 'finish',
                                      lambda *a: 0), \
                    mock.patch.object(check_cli.config, 'patches_dir',
                                      lambda: patches):
                check_cli.cmd_validate(args)
        self.assertEqual(seen, [True, False])
