"""The end-to-end layer's test disk (e2e/disk.py) with the real tools:
an image of each filesystem is made and checked clean, a damaged one is
found damaged (the checker's control), and bad input is refused; the
fsck case it adds to a variant's KTAP."""

from __future__ import annotations

import subprocess
from pathlib import Path
from unittest import mock

from .helpers import TmpTestCase
from pcltools.e2e import disk, outcome
from pcltools.e2e.machine import Boot
from pcltools.e2e.plan import VARIANTS, Program
from pcltools.errors import Exit, PclError

# Damage that each checker must report: the root directory made a
# regular file.
DAMAGE = {
    'ext2': ['debugfs', '-w', '-R', 'clri <2>'],
    'ext4': ['debugfs', '-w', '-R', 'clri <2>'],
    'xfs': ['xfs_db', '-x', '-c', 'inode 128', '-c',
            'write core.mode 0100644'],
}


class DiskTest(TmpTestCase):
    def test_each_filesystem_is_made_and_checked_clean(self) -> None:
        for fs in disk.FILESYSTEMS:
            with self.subTest(fs=fs):
                image = self.tmp / f'{fs}.img'
                disk.make(image, fs)
                self.assertEqual(image.stat().st_size,
                                 disk._bytes(disk.SIZE[fs]))
                got = disk.check(image, fs)
                self.assertTrue(got.ok, got.output)
                self.assertIn(disk.TOOLS[fs][1], got.command)

    def test_a_damaged_image_is_found_damaged(self) -> None:
        for fs in disk.FILESYSTEMS:
            with self.subTest(fs=fs):
                image = self.tmp / f'{fs}.img'
                disk.make(image, fs)
                damage = DAMAGE[fs]
                subprocess.run([disk.find_tool(damage[0]), *damage[1:],
                                str(image)], check=True,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                got = disk.check(image, fs)
                self.assertFalse(got.ok)
                self.assertTrue(got.output.strip())

    def test_bad_input(self) -> None:
        with self.assertRaises(PclError) as cm:
            disk.make(self.tmp / 'x.img', 'btrfs')
        self.assertEqual(cm.exception.code, Exit.USAGE)
        self.assertIn('ext2, ext4, xfs', cm.exception.message)
        with mock.patch('shutil.which', return_value=None), \
                self.assertRaises(PclError) as cm:
            disk.make(self.tmp / 'x.img', 'xfs')
        self.assertEqual(cm.exception.code, Exit.MISSING_PACKAGES)
        self.assertIn('xfsprogs', cm.exception.message)
        self.assertFalse((self.tmp / 'x.img').exists())
        # mkfs failing leaves no image behind.
        with mock.patch.dict(disk.SIZE, {'xfs': '16M'}), \
                self.assertRaises(PclError) as cm:
            disk.make(self.tmp / 'x.img', 'xfs')
        self.assertIn('mkfs.xfs', cm.exception.message)
        self.assertFalse((self.tmp / 'x.img').exists())


class FsckCaseTest(TmpTestCase):
    def ktap(self, check: disk.Check) -> tuple[list[str], bool]:
        prog = Program('p', 10, ('p',))
        out = self.tmp / 'out'
        out.mkdir(exist_ok=True)
        (out / 'p.ktap').write_text('KTAP version 1\n1..1\nok 1 case\n')
        return outcome.variant_ktap(
            VARIANTS['xfs-on'], [prog], out,
            {'p': outcome.Ending('exit=0', 1.0)},
            Boot('', 1.0, False, 0), 100, check)

    def test_a_clean_disk_is_a_passing_case(self) -> None:
        lines, ok = self.ktap(disk.Check(True, 'xfs_repair -n -f d', ''))
        self.assertTrue(ok)
        self.assertEqual(lines[2], '1..2')
        self.assertEqual(lines[-1], 'ok 2 fsck')

    def test_a_damaged_disk_fails_the_variant_with_the_checkers_words(
            self) -> None:
        output = '\n'.join(f'line {i}' for i in range(30))
        lines, ok = self.ktap(disk.Check(False, 'e2fsck -f -n d', output))
        self.assertFalse(ok)
        self.assertEqual(lines[-1], 'not ok 2 fsck # e2fsck -f -n d found '
                         'errors')
        self.assertIn('# fsck: e2fsck -f -n d: line 29', lines)
        self.assertNotIn('# fsck: e2fsck -f -n d: line 9', lines)
