"""The stock baseline: its tree (a worktree at pcl-base, made again when
it was changed) and the series' configuration cut to what it knows; the
case-by-kernel table; the variants the command line chooses."""

import argparse
from pathlib import Path
from typing import Optional
from unittest import mock

from .helpers import TmpTestCase, make_kernel_like_repo, sh
from pcltools import config, gitutil, stocktree
from pcltools.e2e import cli as e2e_cli
from pcltools.e2e import machine as e2e_machine
from pcltools.e2e import plan as e2e_plan
from pcltools.e2e import qemumachine
from pcltools.e2e import table
from pcltools.errors import Exit, PclError


class StockTreeTest(TmpTestCase):
    def test_worktree_at_the_base_made_again_when_changed(self) -> None:
        tree = make_kernel_like_repo(self.tmp / 'linux')
        sh(tree, 'git', 'tag', config.BASE_TAG)
        base = gitutil.head(tree)
        (tree / 'mm/filemap.c').write_text('the series\n')
        sh(tree, 'git', 'commit', '-qam', 'series')
        with mock.patch.object(config, 'build_root',
                               lambda: self.tmp / 'build'):
            stock = stocktree.ensure(tree)
            self.assertEqual(gitutil.head(stock), base)
            self.assertNotEqual((stock / 'mm/filemap.c').read_text(),
                                'the series\n')
            (stock / 'mm/filemap.c').write_text('changed by hand\n')
            again = stocktree.ensure(tree)
            self.assertEqual(again, stock)
            self.assertEqual(gitutil.changed_tracked_files(stock), [])

    def test_a_tree_without_the_base_tag_is_a_clear_error(self) -> None:
        tree = make_kernel_like_repo(self.tmp / 'linux')
        with self.assertRaises(PclError) as cm:
            stocktree.ensure(tree)
        self.assertEqual(cm.exception.code, Exit.USAGE)
        self.assertIn('no tag pcl-base', cm.exception.message)

    def test_options_the_tree_does_not_know_are_left_out(self) -> None:
        tree = make_kernel_like_repo(self.tmp / 'linux')
        (tree / 'Kconfig').write_text('config EXT2_FS\n\tbool "ext2"\n'
                                      'menuconfig KUNIT\n\tbool "kunit"\n')
        sh(tree, 'git', 'add', 'Kconfig')
        sh(tree, 'git', 'commit', '-qm', 'kconfig')
        frag = self.tmp / 'a.config'
        frag.write_text('# comment\nCONFIG_KUNIT=y\nCONFIG_EXT2_FS=y\n'
                        'CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y\n'
                        '# CONFIG_EXT2_FS_XATTR is not set\n')
        text, dropped = stocktree.cut_config(
            [frag], stocktree.known_symbols(tree))
        self.assertEqual(text, 'CONFIG_KUNIT=y\nCONFIG_EXT2_FS=y\n')
        self.assertEqual(dropped, ['CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y',
                                   '# CONFIG_EXT2_FS_XATTR is not set'])


VARIANT_KTAP = [
    'KTAP version 1', '# Subtest: e2e_stock', '1..2',
    '    KTAP version 1', '    # Subtest: dio_dirty', '    1..1',
    '    # figures: fsync_errors=1 lost_pages_on_disk=1',
    '    # stale_reads mode=stock total=1 (dirtied during the write)',
    '    ok 1 write_over_a_page_dirtied_during_the_write # expected',
    'ok 1 dio_dirty',
    'not ok 2 coherency # not run: an earlier program hung',
]
CONSOLE = ('e2e: start dio_dirty (limit 60 s)\n'
           'Page cache invalidation failure on direct I/O.  Possible data '
           'corruption due to collision with buffered I/O!\n'
           'e2e: dio_dirty: exit 0 in 1.00 s\n')


class TableTest(TmpTestCase):
    def test_cases_and_figures_of_a_variant(self) -> None:
        col = table.column('stock', VARIANT_KTAP, CONSOLE)
        self.assertEqual(col.cases, {
            'dio_dirty.write_over_a_page_dirtied_during_the_write': 'ok',
            'coherency.(program)': 'not run'})
        self.assertEqual(col.figures, {
            'dio_dirty.fsync_errors': '1',
            'dio_dirty.lost_pages_on_disk': '1',
            'dio_dirty.stale_reads': '1',
            'dio_dirty.invalidation_failure_messages': '1'})

    def test_render_puts_kernels_side_by_side(self) -> None:
        stock = table.column('stock', VARIANT_KTAP, CONSOLE)
        on = table.column('on', [
            l.replace('total=1', 'total=0').replace('=1 ', '=0 ')
            .replace('disk=1', 'disk=0') for l in VARIANT_KTAP[:-1]], '')
        lines = table.render([stock, on])
        self.assertEqual(lines[0], 'End-to-end, case by kernel: stock, on')
        row = [l for l in lines if l.startswith('dio_dirty.stale_reads')]
        self.assertEqual(row[0].split(), ['dio_dirty.stale_reads', '1', '0'])
        msgs = [l for l in lines if 'invalidation_failure' in l]
        self.assertEqual(msgs[0].split()[1:], ['1', '0'])
        notrun = [l for l in lines if l.startswith('coherency')]
        self.assertEqual(notrun[0].split()[1:], ['not', 'run', '-'])


class VariantChoiceTest(TmpTestCase):
    def test_only_the_stock_kernels_are_booted_as_stock(self) -> None:
        """init tells the programs which kernel they run by STOCK_PARAM
        alone: the stock variants pass it, no other does, and init looks
        for that very string."""
        for key, v in e2e_plan.VARIANTS.items():
            with self.subTest(variant=key):
                self.assertEqual(e2e_plan.STOCK_PARAM in v.boot_args,
                                 v.stock)
        init = (Path(__file__).resolve().parents[2] / 'tests/e2e/init.c')
        self.assertIn(f'#define STOCK_PARAM\t"{e2e_plan.STOCK_PARAM}"',
                      init.read_text())

    def choose(self, fs: Optional[str] = None, **flags: bool) -> list[str]:
        names = ('all', 'stock', 'on', 'smp', 'uml')
        args = argparse.Namespace(fs=fs, **{n: flags.get(n, False)
                                             for n in names})
        return [v.key for v in e2e_cli._variants(args)]

    def test_kernels_and_machines(self) -> None:
        self.assertEqual(self.choose(), ['on'])
        self.assertEqual(self.choose(stock=True, on=True),
                         ['stock', 'on'])
        self.assertEqual(self.choose(smp=True, stock=True),
                         ['smp-stock'])
        self.assertEqual(self.choose(smp=True, uml=True),
                         ['on', 'smp-on'])
        self.assertEqual(self.choose(stock=True, on=True, smp=True,
                                     uml=True),
                         ['stock', 'on', 'smp-stock', 'smp-on'])

    def test_filesystems(self) -> None:
        self.assertEqual(self.choose(all=True),
                         ['stock', 'on', 'ext4-stock', 'ext4-on',
                          'xfs-stock', 'xfs-on', 'smp-stock', 'smp-on',
                          'smp-ext4-stock', 'smp-ext4-on', 'smp-xfs-stock',
                          'smp-xfs-on'])
        self.assertEqual(self.choose(fs='xfs', all=True),
                         ['xfs-stock', 'xfs-on', 'smp-xfs-stock',
                          'smp-xfs-on'])
        self.assertEqual(self.choose(fs='ext4,xfs', stock=True, smp=True),
                         ['smp-ext4-stock', 'smp-xfs-stock'])
        self.assertEqual(self.choose(fs=''), ['on'])
        self.assertEqual(self.choose(fs='ext4,'), ['ext4-on'])
        for bad in ('btrfs', 'ext4,ntfs', ','):
            with self.subTest(fs=bad):
                with self.assertRaises(PclError) as cm:
                    self.choose(fs=bad)
                self.assertEqual(cm.exception.code, Exit.USAGE)

    def test_every_variant_tells_init_its_filesystem(self) -> None:
        """The test layers' variants pass FS_PARAM with their filesystem,
        and init reads that very parameter."""
        for key in e2e_plan.ALL_VARIANTS:
            v = e2e_plan.VARIANTS[key]
            with self.subTest(variant=key):
                self.assertIn(e2e_plan.FS_PARAM + v.fs, v.boot_args)
        init = (Path(__file__).resolve().parents[2] / 'tests/e2e/init.c')
        self.assertIn(f'#define FS_PARAM\t"{e2e_plan.FS_PARAM}"',
                      init.read_text())


class QemuMachineTest(TmpTestCase):
    def test_command_boots_the_root_image_with_the_test_disk(self) -> None:
        cmd = qemumachine.command(Path('/k/bzImage'), Path('/r/root.img'),
                                  Path('/r/disk.img'), ['-accel', 'tcg'],
                                  ('pcl_e2e.stock=1',))
        self.assertEqual(cmd[cmd.index('-smp') + 1], '2')
        drives = [cmd[i + 1] for i, a in enumerate(cmd) if a == '-drive']
        self.assertEqual(drives, ['file=/r/root.img,format=raw,if=virtio',
                                  'file=/r/disk.img,format=raw,if=virtio'])
        append = cmd[cmd.index('-append') + 1].split()
        for arg in ('root=/dev/vda', 'init=/init', 'pcl_e2e.disk=vdb',
                    'pcl_e2e.exit=reboot', 'kunit.enable=0',
                    'pcl_e2e.stock=1'):
            self.assertIn(arg, append)

    def test_out_is_copied_back_from_the_root_image(self) -> None:
        root = self.tmp / 'root'
        (root / 'out').mkdir(parents=True)
        (root / 'out/status').write_text('start a\nend a exit=0 1.0\n')
        (root / 'out/a.ktap').write_text('KTAP version 1\n1..0\n')
        image = self.tmp / 'root.img'
        e2e_machine.make_image(image, 'pcl-root', root)
        for f in (root / 'out').iterdir():
            f.unlink()
        (root / 'out/stale').write_text('from an earlier boot\n')
        qemumachine.copy_out(image, root)
        self.assertEqual(sorted(p.name for p in (root / 'out').iterdir()),
                         ['a.ktap', 'status'])
        self.assertEqual((root / 'out/status').read_text(),
                         'start a\nend a exit=0 1.0\n')

    def test_an_image_without_out_leaves_an_empty_out(self) -> None:
        empty = self.tmp / 'empty'
        empty.mkdir()
        image = self.tmp / 'root.img'
        e2e_machine.make_image(image, 'pcl-root', empty)
        qemumachine.copy_out(image, self.tmp / 'root')
        self.assertEqual(list((self.tmp / 'root/out').iterdir()), [])


class InjectedFiguresTest(TmpTestCase):
    def test_a_control_run_is_its_own_figure(self) -> None:
        col = table.column('on', [
            '    # Subtest: coherency',
            '    # stale_reads mode=on total=0 pread=0',
            '    ok 1 coherency_no_stale_reads',
            '    # stale_reads mode=injected total=1443215 pread=228340',
            '    ok 2 checker_detects_injected_stale_reads',
            'ok 1 coherency'], '')
        self.assertEqual(col.figures, {
            'coherency.stale_reads': '0',
            'coherency.stale_reads_injected': '1443215'})
