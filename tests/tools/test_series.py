import unittest
from unittest import mock

from .helpers import TmpTestCase, make_kernel_like_repo, make_series, sh
from pcltools import series, ui
from pcltools.errors import Exit, PclError


class ReadTest(TmpTestCase):
    def test_missing_directory_is_empty_series(self) -> None:
        self.assertEqual(len(series.read(self.tmp / 'patches')), 0)

    def test_empty_series_file(self) -> None:
        (self.tmp / 'series').write_text('\n# nothing yet\n')
        self.assertEqual(len(series.read(self.tmp)), 0)

    def test_series_names_missing_file(self) -> None:
        (self.tmp / 'series').write_text('0001-gone.patch\n')
        with self.assertRaises(PclError) as cm:
            series.read(self.tmp)
        self.assertEqual(cm.exception.code, Exit.USAGE)
        self.assertIn('0001-gone.patch', cm.exception.message)

    def test_patches_without_series_file(self) -> None:
        (self.tmp / '0001-x.patch').write_text('x')
        with self.assertRaises(PclError):
            series.read(self.tmp)

    def test_hash_ignores_cover_letter(self) -> None:
        _, patches = make_series(self.tmp)
        before = series.content_hash(series.read(patches))
        (patches / series.COVER_LETTER).write_text('cover')
        self.assertEqual(before, series.content_hash(series.read(patches)))
        p = series.read(patches).patches[0]
        p.write_text(p.read_text() + '\n')
        self.assertNotEqual(before, series.content_hash(series.read(patches)))


@mock.patch.object(ui, 'info', lambda msg: None)
class ApplyTest(TmpTestCase):
    def setUp(self) -> None:
        super().setUp()
        _, self.patches = make_series(self.tmp)
        self.tree = make_kernel_like_repo(self.tmp / 'tree')

    def test_good_series_applies(self) -> None:
        queue = series.read(self.patches)
        series.apply(self.tree, queue)
        log = sh(self.tree, 'git', 'log', '--format=%s').splitlines()
        self.assertEqual(log[:3], ['mm: add the KUnit suite', 'mm: change 2',
                                   'mm: change 1'])
        self.assertIsNotNone(series.applied_base(self.tree, queue))

    def test_empty_series(self) -> None:
        head = sh(self.tree, 'git', 'rev-parse', 'HEAD')
        series.apply(self.tree, series.Series(self.patches, []))
        self.assertEqual(head, sh(self.tree, 'git', 'rev-parse', 'HEAD'))

    def test_failing_patch_is_named_and_tree_untouched(self) -> None:
        # Make the second patch's context disappear.
        lines = (self.tree / 'mm/filemap.c').read_text().splitlines(True)
        lines[9] = 'conflicting line\n'
        (self.tree / 'mm/filemap.c').write_text(''.join(lines))
        sh(self.tree, 'git', 'commit', '-q', '-am', 'conflict')
        head = sh(self.tree, 'git', 'rev-parse', 'HEAD')
        with self.assertRaises(PclError) as cm:
            series.apply(self.tree, series.read(self.patches))
        err = cm.exception
        self.assertEqual(err.code, Exit.PATCH_FAILED)
        self.assertIn('0002-mm-change-2.patch', err.message)
        self.assertIn('"mm: change 2"', err.message)
        self.assertIn('patch does not apply', err.details)
        self.assertEqual(head, sh(self.tree, 'git', 'rev-parse', 'HEAD'))
        self.assertEqual(sh(self.tree, 'git', 'status', '--porcelain'), '')
        self.assertFalse((self.tree / '.git/rebase-apply').exists())

    def test_applied_base_detects_other_commits(self) -> None:
        queue = series.read(self.patches)
        self.assertIsNone(series.applied_base(self.tree, queue))
        series.apply(self.tree, queue)
        base = series.applied_base(self.tree, queue)
        self.assertEqual(base, sh(self.tree, 'git', 'rev-parse',
                                  'HEAD~3').strip())
        (self.tree / 'x').write_text('x')
        sh(self.tree, 'git', 'add', 'x')
        sh(self.tree, 'git', 'commit', '-q', '-m', 'local')
        self.assertIsNone(series.applied_base(self.tree, queue))


if __name__ == '__main__':
    unittest.main()
