import os
import shutil
import subprocess
import time
import unittest
from pathlib import Path
from unittest import mock

from .helpers import (TmpTestCase, make_kernel_like_repo, make_series, sh)
from pcltools import config, deps, series, tree, ui
from pcltools.errors import Exit, PclError

quiet = mock.patch.multiple(ui, info=lambda m: None, warn=lambda m: None)
no_deps = mock.patch.object(deps, 'ensure', lambda *a, **k: '6.12.1-1')


@quiet
@no_deps
class UserTreeTest(TmpTestCase):
    def setUp(self) -> None:
        super().setUp()
        _, self.patches = make_series(self.tmp)
        self.queue = series.read(self.patches)
        self.overlay = self.tmp / 'kunit'
        self.tree = make_kernel_like_repo(self.tmp / 'linux')

    def branches(self) -> list[str]:
        return sh(self.tree, 'git', 'branch', '--format=%(refname:short)'
                  ).split()

    def test_applies_on_new_branch(self) -> None:
        base = tree.prepare_user(self.tree, self.queue, self.overlay)
        self.assertEqual(sh(self.tree, 'git', 'rev-parse', 'HEAD~3').strip(),
                         base)
        self.assertEqual(sh(self.tree, 'git', 'branch', '--show-current'
                            ).strip(), config.QUEUE_BRANCH)
        # Second time: already applied, nothing new.
        tree.prepare_user(self.tree, self.queue, self.overlay)
        self.assertEqual(sorted(self.branches()),
                         sorted(['main', config.QUEUE_BRANCH]))

    def test_dirty_tree_refused(self) -> None:
        (self.tree / 'Makefile').write_text('VERSION = 7\n')
        with self.assertRaises(PclError) as cm:
            tree.prepare_user(self.tree, self.queue, self.overlay)
        self.assertEqual(cm.exception.code, Exit.DIRTY_TREE)
        self.assertIn('Makefile', cm.exception.message)
        self.assertEqual((self.tree / 'Makefile').read_text(), 'VERSION = 7\n')
        self.assertEqual(self.branches(), ['main'])

    def test_staged_change_refused(self) -> None:
        (self.tree / 'new.c').write_text('x')
        sh(self.tree, 'git', 'add', 'new.c')
        with self.assertRaises(PclError) as cm:
            tree.prepare_user(self.tree, self.queue, self.overlay)
        self.assertEqual(cm.exception.code, Exit.DIRTY_TREE)

    def test_overlay_copy_is_not_dirt(self) -> None:
        tree.prepare_user(self.tree, self.queue, self.overlay)
        (self.overlay / 'mm').mkdir(parents=True)
        (self.overlay / 'mm/pagecache_lock_kunit.c').write_text('/* v2 */\n')
        shutil.copy(self.overlay / 'mm/pagecache_lock_kunit.c',
                    self.tree / 'mm/pagecache_lock_kunit.c')
        tree.prepare_user(self.tree, self.queue, self.overlay)  # no error
        (self.tree / 'mm/pagecache_lock_kunit.c').write_text('/* mine */\n')
        with self.assertRaises(PclError):
            tree.prepare_user(self.tree, self.queue, self.overlay)

    def test_failing_patch_restores_branch(self) -> None:
        lines = (self.tree / 'mm/filemap.c').read_text().splitlines(True)
        lines[9] = 'conflicting line\n'
        (self.tree / 'mm/filemap.c').write_text(''.join(lines))
        sh(self.tree, 'git', 'commit', '-q', '-am', 'local work')
        head = sh(self.tree, 'git', 'rev-parse', 'HEAD')
        with self.assertRaises(PclError) as cm:
            tree.prepare_user(self.tree, self.queue, self.overlay)
        self.assertEqual(cm.exception.code, Exit.PATCH_FAILED)
        self.assertEqual(sh(self.tree, 'git', 'branch', '--show-current'
                            ).strip(), 'main')
        self.assertEqual(head, sh(self.tree, 'git', 'rev-parse', 'HEAD'))
        self.assertEqual(self.branches(), ['main'])
        self.assertEqual(sh(self.tree, 'git', 'status', '--porcelain'), '')

    def test_not_a_git_tree(self) -> None:
        with self.assertRaises(PclError) as cm:
            tree.prepare_user(self.tmp / 'nowhere', self.queue, self.overlay)
        self.assertEqual(cm.exception.code, Exit.USAGE)

    def test_am_in_progress_refused(self) -> None:
        (self.tree / '.git/rebase-apply').mkdir()
        with self.assertRaises(PclError) as cm:
            tree.prepare_user(self.tree, self.queue, self.overlay)
        self.assertEqual(cm.exception.code, Exit.DIRTY_TREE)


def make_tarball(tmp: Path) -> Path:
    src = tmp / 'tarsrc' / config.BASE_TOPDIR
    src.mkdir(parents=True)
    make = make_kernel_like_repo(tmp / 'plain')
    shutil.rmtree(make / '.git')
    shutil.copytree(make, src, dirs_exist_ok=True)
    (src / '.gitignore').write_text('/*\n!/debian/\n')   # as Debian's
    tarball = tmp / 'linux-source.tar.xz'
    subprocess.run(['tar', '-cJf', str(tarball), '-C', str(tmp / 'tarsrc'),
                    config.BASE_TOPDIR], check=True)
    return tarball


@quiet
@no_deps
class ManagedTreeTest(TmpTestCase):
    def setUp(self) -> None:
        super().setUp()
        _, self.patches = make_series(self.tmp)
        self.overlay = self.tmp / 'kunit'
        self.dest = self.tmp / 'build/linux'
        patcher = mock.patch.object(config, 'BASE_TARBALL',
                                    make_tarball(self.tmp))
        patcher.start()
        self.addCleanup(patcher.stop)

    def prepare(self, **kw) -> Path:  # type: ignore[no-untyped-def]
        return tree.prepare_managed(series.read(self.patches), self.overlay,
                                    tree=self.dest, **kw)

    def test_base_commit_is_deterministic(self) -> None:
        self.prepare()
        base = sh(self.dest, 'git', 'rev-parse', config.BASE_TAG).strip()
        msg = sh(self.dest, 'git', 'log', '-1', '--format=%an <%ae> %ad %s',
                 '--date=iso', config.BASE_TAG).strip()
        self.assertEqual(msg, 'pagecache-lock <base@pagecache-lock> '
                         '2000-01-01 00:00:00 +0000 Linux 6.12.1 (Debian '
                         'linux-source-6.12 6.12.1-1)')
        # Everything was added despite the .gitignore ignoring it all.
        self.assertIn('mm/filemap.c', sh(self.dest, 'git', 'ls-files'))
        shutil.rmtree(self.dest)
        self.prepare()
        self.assertEqual(base, sh(self.dest, 'git', 'rev-parse',
                                  config.BASE_TAG).strip())

    def test_no_change_does_nothing(self) -> None:
        self.prepare()
        head = sh(self.dest, 'git', 'rev-parse', 'HEAD')
        f = self.dest / 'mm/filemap.c'
        old = time.time() - 1000
        os.utime(f, (old, old))
        self.prepare()
        self.assertEqual(head, sh(self.dest, 'git', 'rev-parse', 'HEAD'))
        self.assertEqual(f.stat().st_mtime, old)

    def test_changed_patches_reapplied(self) -> None:
        self.prepare()
        last = series.read(self.patches).patches[-1]
        (self.patches / 'series').write_text(
            ''.join(p.name + '\n' for p in series.read(self.patches).patches
                    if p != last))
        self.prepare()
        self.assertFalse((self.dest / 'mm/pagecache_lock_kunit.c').exists()
                         and 'pagecache_lock_kunit.c' in
                         sh(self.dest, 'git', 'ls-files', 'mm'))
        self.assertEqual(sh(self.dest, 'git', 'rev-list', '--count',
                            f'{config.BASE_TAG}..HEAD').strip(), '2')

    def test_unexported_commits_protected(self) -> None:
        self.prepare()
        (self.dest / 'Makefile').write_text('VERSION = 7\n')
        sh(self.dest, 'git', 'commit', '-q', '-am', 'local')
        self.prepare()      # patches/ unchanged: keeps the commit
        (self.patches / 'series').write_text('')
        with self.assertRaises(PclError) as cm:
            self.prepare()
        self.assertEqual(cm.exception.code, Exit.DIRTY_TREE)
        self.prepare(reset=True)
        self.assertEqual(sh(self.dest, 'git', 'rev-list', '--count',
                            f'{config.BASE_TAG}..HEAD').strip(), '0')

    def test_failing_series_leaves_base(self) -> None:
        p = series.read(self.patches).patches[1]
        p.write_text(p.read_text().replace('line 9', 'line nine'))
        with self.assertRaises(PclError) as cm:
            self.prepare()
        self.assertEqual(cm.exception.code, Exit.PATCH_FAILED)
        self.assertEqual(sh(self.dest, 'git', 'rev-parse', 'HEAD'),
                         sh(self.dest, 'git', 'rev-parse', config.BASE_TAG))
        self.assertFalse((self.dest / '.git/rebase-apply').exists())


if __name__ == '__main__':
    unittest.main()
