import os
import unittest

from .helpers import TmpTestCase
from pcltools import overlay


class OverlayTest(TmpTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.src = self.tmp / 'kunit'
        self.tree = self.tmp / 'linux'
        (self.src / 'mm').mkdir(parents=True)
        (self.tree / 'mm').mkdir(parents=True)
        (self.src / 'mm/a_kunit.c').write_text('a\n')
        (self.src / 'mm/b_kunit.c').write_text('b\n')
        (self.src / 'mm/.hidden.swp').write_text('x')

    def test_install_copies_new_and_changed_only(self) -> None:
        (self.tree / 'mm/a_kunit.c').write_text('a\n')
        old = 1_000_000_000
        os.utime(self.tree / 'mm/a_kunit.c', (old, old))
        written = overlay.install(self.src, self.tree)
        self.assertEqual(written, ['mm/b_kunit.c'])
        self.assertEqual((self.tree / 'mm/a_kunit.c').stat().st_mtime, old)
        self.assertEqual((self.tree / 'mm/b_kunit.c').read_text(), 'b\n')
        self.assertFalse((self.tree / 'mm/.hidden.swp').exists())
        # Nothing changed: nothing written, mtimes kept.
        os.utime(self.tree / 'mm/b_kunit.c', (old, old))
        self.assertEqual(overlay.install(self.src, self.tree), [])
        self.assertEqual((self.tree / 'mm/b_kunit.c').stat().st_mtime, old)
        # One file edited: only it is written.
        (self.src / 'mm/b_kunit.c').write_text('b2\n')
        self.assertEqual(overlay.install(self.src, self.tree), ['mm/b_kunit.c'])
        self.assertEqual((self.tree / 'mm/a_kunit.c').stat().st_mtime, old)
        self.assertEqual((self.tree / 'mm/b_kunit.c').read_text(), 'b2\n')

    def test_creates_directories(self) -> None:
        (self.src / 'lib/sub').mkdir(parents=True)
        (self.src / 'lib/sub/c.c').write_text('c')
        overlay.install(self.src, self.tree)
        self.assertEqual((self.tree / 'lib/sub/c.c').read_text(), 'c')

    def test_missing_overlay(self) -> None:
        self.assertEqual(overlay.install(self.tmp / 'none', self.tree), [])


if __name__ == '__main__':
    unittest.main()
