"""check/subject.py: a subsystem prefix, at most 75 characters, no
trailing period; and the note when the prefix is not one the touched
files' history uses."""

from __future__ import annotations

from .helpers import TmpTestCase, sh
from pcltools.check import model, subject


class SubjectTest(TmpTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.repo = self.tmp / 'kernel'
        self.repo.mkdir()
        sh(self.repo, 'git', 'init', '-q', '-b', 'main')
        self.commit('mm/filemap.c', 'Linux 6.12')        # no prefix
        self.commit('mm/filemap.c', 'mm/filemap: first')
        self.commit('mm/filemap.c', 'mm: second')
        self.commit('fs/ext2/inode.c', 'ext2: third')
        self.head = sh(self.repo, 'git', 'rev-parse', 'HEAD').strip()

    def commit(self, rel: str, message: str) -> None:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, 'a') as f:
            f.write(message + '\n')
        sh(self.repo, 'git', 'add', rel)
        sh(self.repo, 'git', 'commit', '-q', '-m', message)

    def check(self, title: str, paths: tuple[str, ...] = ('mm/filemap.c',)
              ) -> model.Check:
        return subject.check(title, self.repo, self.head, list(paths))

    def errors(self, title: str) -> list[str]:
        return [f.message for f in self.check(title).findings
                if f.level == 'ERROR']

    def test_good_subjects(self) -> None:
        for title in ('mm: add a two-state page cache lock',
                      'mm/filemap: honour the lock',
                      'fs/ext2: opt in', 'KVM: x86: mm: fix it',
                      'bpf, sockmap: fix it',
                      'mm: add pagecache_lock_fault() for filesystems',
                      'mm: wait...',
                      'Revert "mm: add a two-state page cache lock"',
                      'mm: ' + 'x' * 71):
            with self.subTest(title=title):
                check = self.check(title, ())
                self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertEqual(self.check('mm: fix').checked,
                         '"mm: fix" (7 characters)')

    def test_no_prefix(self) -> None:
        for title in ('add a two-state page cache lock', 'Fix the lock',
                      'mm:add it', 'mm fix: no', 'Revert "add it"', 'mm:'):
            with self.subTest(title=title):
                errs = self.errors(title)
                self.assertEqual(len(errs), 1, errs)
                self.assertIn('no subsystem prefix', errs[0])

    def test_too_long(self) -> None:
        title = 'mm: ' + 'x' * 72
        self.assertEqual(len(title), 76)
        errs = self.errors(title)
        self.assertEqual(errs, ['76 characters, more than 75 '
                                '(submitting-patches.rst: no more than '
                                '70-75)'])

    def test_trailing_period(self) -> None:
        self.assertEqual(self.errors('mm: fix the lock.'),
                         ['the subject ends with a period'])

    def test_all_at_once(self) -> None:
        check = self.check('Fix the lock and ' + 'x' * 60 + '.')
        self.assertEqual(check.outcome, 'fail')
        self.assertEqual(check.errors, 3)

    def test_prefix_from_the_history(self) -> None:
        check = self.check('fs: change filemap', ('mm/filemap.c',))
        self.assertEqual(check.outcome, 'note')
        f = check.findings[0]
        self.assertEqual(f.level, 'CHECK')
        self.assertIn('the prefix "fs:" is not one the touched files\' '
                      'history uses', f.message)
        self.assertIn('"mm/filemap:"', f.message)
        self.assertIn('"mm:"', f.message)
        for title in ('mm: change filemap', 'mm/filemap: change',
                      'filemap: change'):
            self.assertEqual(self.check(title).outcome, 'pass', title)
        both = ('mm/filemap.c', 'fs/ext2/inode.c')
        self.assertEqual(self.check('ext2: change', both).outcome, 'pass')

    def test_no_history_no_note(self) -> None:
        for paths in ((), ('mm/new.c',)):
            self.assertEqual(self.check('fs: new', paths).outcome, 'pass')
        sh(self.repo, 'git', 'checkout', '-q', 'HEAD~3')   # 'Linux 6.12'
        self.head = 'HEAD'
        self.assertEqual(self.check('fs: change').outcome, 'pass')

    def test_prefix(self) -> None:
        self.assertEqual(subject.prefix('KVM: x86: fix'), 'KVM: x86')
        self.assertEqual(subject.prefix('mm: a: b'), 'mm: a')
        self.assertEqual(subject.prefix('add foo: bar'), '')
        self.assertEqual(subject.words('fs/ext2'), {'fs', 'ext2'})
