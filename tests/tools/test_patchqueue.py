import filecmp
import unittest
from pathlib import Path
from unittest import mock

from .helpers import TmpTestCase, make_kernel_like_repo, make_series, sh
from pcltools import config, deps, patchqueue, series, ui
from pcltools.errors import Exit, PclError

quiet = mock.patch.multiple(ui, info=lambda m: None, warn=lambda m: None)
no_deps = mock.patch.object(deps, 'ensure', lambda *a, **k: None)

COVER = '''\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Cover Author <cover@example.org>
Date: Tue, 14 Nov 2023 22:13:20 +0100
Subject: [RFC PATCH v2 0/3] mm: a generic page cache lock with a long
 subject that git folds

The blurb, first paragraph.

Second paragraph.

Someone Else (1):
  stale shortlog

 nothing | 1 +
'''


@quiet
@no_deps
class RoundTripTest(TmpTestCase):
    def setUp(self) -> None:
        super().setUp()
        _, self.patches = make_series(self.tmp)
        (self.patches / series.COVER_LETTER).write_text(COVER)
        self.overlay = self.tmp / 'kunit'
        self.tree = make_kernel_like_repo(self.tmp / 'linux')

    def prepare(self) -> None:
        patchqueue.prepare(self.tree, series.read(self.patches), self.overlay)

    def export(self) -> list[str]:
        return patchqueue.export(self.tree, self.patches, self.overlay)

    def snapshot(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in self.patches.iterdir()}

    def test_prepare_sets_tag_and_description(self) -> None:
        self.prepare()
        self.assertEqual(sh(self.tree, 'git', 'rev-parse', 'pcl-base'),
                         sh(self.tree, 'git', 'rev-parse', 'HEAD~3'))
        desc = sh(self.tree, 'git', 'config',
                  f'branch.{config.QUEUE_BRANCH}.description')
        self.assertTrue(desc.startswith(
            'mm: a generic page cache lock with a long subject that git '
            'folds\n\nThe blurb, first paragraph.\n\nSecond paragraph.'))
        self.assertNotIn('stale shortlog', desc)

    def test_round_trip_is_byte_stable(self) -> None:
        self.prepare()
        self.export()                       # normalise the hand-made files
        first = self.snapshot()
        cover = first[series.COVER_LETTER].decode()
        self.assertIn('Subject: [RFC PATCH v2 0/3] mm: a generic page cache',
                      cover)
        self.assertIn('Date: Tue, 14 Nov 2023 22:13:20 +0100', cover)
        self.assertIn('From: Cover Author <cover@example.org>', cover)
        self.assertIn('Second paragraph.', cover)
        self.assertNotIn('stale shortlog', cover)
        self.assertIn('Test Author (3):', cover)

        # A fresh tree, prepare and export again: no byte changes.
        self.tree = make_kernel_like_repo(self.tmp / 'linux2')
        self.prepare()
        self.assertEqual(self.export(), [])
        self.assertEqual(first, self.snapshot())
        for data in first.values():
            self.assertNotIn(b'\n-- \n', data)      # no git version line

    def test_export_writes_new_commit_and_drops_removed(self) -> None:
        self.prepare()
        self.export()
        sh(self.tree, 'git', 'reset', '-q', '--hard', 'HEAD~1')
        (self.tree / 'new.c').write_text('new\n')
        sh(self.tree, 'git', 'add', 'new.c')
        sh(self.tree, 'git', 'commit', '-q', '-m', 'mm: another one')
        changed = self.export()
        names = (self.patches / 'series').read_text().split()
        self.assertEqual(names[-1], '0003-mm-another-one.patch')
        self.assertFalse((self.patches / '0003-mm-add-the-KUnit-suite.patch'
                          ).exists())
        self.assertIn('0003-mm-add-the-KUnit-suite.patch', changed)

    def test_overlay_must_be_committed(self) -> None:
        self.prepare()
        (self.overlay / 'mm').mkdir(parents=True)
        (self.overlay / 'mm/pagecache_lock_kunit.c').write_text('/* v2 */\n')
        before = self.snapshot()
        with self.assertRaises(PclError) as cm:
            self.export()
        self.assertEqual(cm.exception.code, Exit.EXPORT_REFUSED)
        self.assertIn('kunit/mm/pagecache_lock_kunit.c', cm.exception.message)
        self.assertIn('commit', cm.exception.message)
        self.assertEqual(before, self.snapshot())
        # Committing it into the tree makes the export go through.
        (self.tree / 'mm/pagecache_lock_kunit.c').write_text('/* v2 */\n')
        sh(self.tree, 'git', 'commit', '-q', '--amend', '--no-edit', '-a')
        self.export()
        self.assertIn(b'+/* v2 */', (self.patches /
                      '0003-mm-add-the-KUnit-suite.patch').read_bytes())

    def test_export_without_base_tag(self) -> None:
        with self.assertRaises(PclError) as cm:
            self.export()
        self.assertEqual(cm.exception.code, Exit.USAGE)

    def test_empty_series_round_trip(self) -> None:
        for p in self.patches.glob('000[1-9]*.patch'):
            p.unlink()
        (self.patches / 'series').write_text('')
        self.prepare()
        self.assertEqual(self.export(), [])
        self.assertEqual((self.patches / 'series').read_text(), '')
        self.assertTrue((self.patches / series.COVER_LETTER).exists())


class CoverParseTest(unittest.TestCase):
    def test_prefix_and_subject(self) -> None:
        c = patchqueue.parse_cover(COVER.encode())
        self.assertEqual(c.prefix, 'RFC PATCH v2')
        self.assertTrue(c.subject.startswith('mm: a generic page cache lock'))
        self.assertEqual(c.blurb, 'The blurb, first paragraph.\n\n'
                         'Second paragraph.')


if __name__ == '__main__':
    unittest.main()
