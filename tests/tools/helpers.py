"""Tiny git repositories and patch series for the tool tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'tools'))

ENV = {'GIT_AUTHOR_NAME': 'Test Author', 'GIT_AUTHOR_EMAIL': 'a@example.org',
       'GIT_COMMITTER_NAME': 'Test Committer',
       'GIT_COMMITTER_EMAIL': 'c@example.org',
       'GIT_AUTHOR_DATE': '1700000000 +0000',
       'GIT_COMMITTER_DATE': '1700000000 +0000',
       'GIT_CONFIG_GLOBAL': '/dev/null', 'GIT_CONFIG_NOSYSTEM': '1'}
os.environ.update(ENV)

DATA = Path(__file__).resolve().parent / 'data'
# kunit.py's `parse` where no kernel tree is around yet.
KTAP_PARSE = DATA / 'ktap_parse.py'


def kunit_py() -> Path:
    """A kunit.py to parse KTAP with: the kernel tree's (PCL_KUNIT_PY,
    set by make test, or the managed tree's), else the stand-in."""
    env = os.environ.get('PCL_KUNIT_PY')
    if env and Path(env).is_file():
        return Path(env)
    managed = Path(__file__).resolve().parents[2] / \
        'build/linux/tools/testing/kunit/kunit.py'
    return managed if managed.is_file() else KTAP_PARSE


def with_b4(case: unittest.TestCase) -> None:
    """The installed b4 (`b4 am`, `b4 prep`), which `tools/pcl deps`
    installs."""
    if not shutil.which('b4'):
        case.fail('b4 is not installed: `tools/pcl deps` installs it')


PCL = Path(__file__).resolve().parents[2] / 'tools/pcl'


def run_pcl(*args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """tools/pcl through its real entry point. Temporary trees only: it
    does not wait for the repository lock a real run may hold."""
    return subprocess.run([sys.executable, str(PCL), *args], text=True,
                          capture_output=True,
                          env={**os.environ, 'PCL_LOCK_HELD': '1',
                               **(env or {})})


def sh(cwd: Path, *args: str) -> str:
    return subprocess.run(args, cwd=cwd, check=True, text=True,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT).stdout


def make_kernel_like_repo(path: Path) -> Path:
    """A repo with a fake kunit.py, a Makefile and a C file, tagged base."""
    path.mkdir(parents=True, exist_ok=True)
    (path / 'tools/testing/kunit').mkdir(parents=True)
    (path / 'tools/testing/kunit/kunit.py').write_text('# fake\n')
    (path / 'Makefile').write_text('VERSION = 6\n')
    (path / 'mm').mkdir()
    (path / 'mm/filemap.c').write_text(''.join(f'line {i}\n'
                                               for i in range(20)))
    sh(path, 'git', 'init', '-q', '-b', 'main')
    sh(path, 'git', 'config', 'user.name', 'Test Committer')
    sh(path, 'git', 'config', 'user.email', 'c@example.org')
    sh(path, 'git', 'add', '-A')
    sh(path, 'git', 'commit', '-q', '-m', 'base')
    return path


def commit_change(repo: Path, rel: str, text: str, subject: str,
                  body: str = '') -> None:
    target = repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    sh(repo, 'git', 'add', rel)
    msg = subject + ('\n\n' + body if body else '')
    sh(repo, 'git', 'commit', '-q', '-m', msg)


def make_series(tmp: Path, n: int = 2) -> tuple[Path, Path]:
    """A source repo with n commits and patches/ made from them by
    git format-patch. Returns (source repo, patches dir)."""
    src = make_kernel_like_repo(tmp / 'src')
    base = sh(src, 'git', 'rev-parse', 'HEAD').strip()
    for i in range(1, n + 1):
        lines = (src / 'mm/filemap.c').read_text().splitlines(True)
        lines[i * 3] = f'changed by patch {i}\n'
        commit_change(src, 'mm/filemap.c', ''.join(lines),
                      f'mm: change {i}', f'Why change {i}.')
    commit_change(src, 'mm/pagecache_lock_kunit.c', '/* suite v1 */\n',
                  'mm: add the KUnit suite', 'Tests.')
    patches = tmp / 'patches'
    sh(src, 'git', 'format-patch', '-q', '-o', str(patches), '--zero-commit',
       '--no-signature', f'{base}..HEAD')
    names = sorted(p.name for p in patches.glob('0*.patch'))
    (patches / 'series').write_text(''.join(n + '\n' for n in names))
    return src, patches


class TmpTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)

    def tearDown(self) -> None:
        self._tmp.cleanup()


class RepoTestCase(TmpTestCase):
    """A test in a tiny git repository, self.repo (tmp/kernel): files
    written and committed one by one."""

    def setUp(self) -> None:
        super().setUp()
        self.repo = self.tmp / 'kernel'
        self.repo.mkdir()
        sh(self.repo, 'git', 'init', '-q', '-b', 'main')

    def write(self, rel: str, text: str) -> None:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def commit(self, subject: str, body: str = '') -> str:
        """Commit everything; the new commit's sha1."""
        sh(self.repo, 'git', 'add', '-A')
        sh(self.repo, 'git', 'commit', '-q', '-m', subject,
           *(['-m', body] if body else []))
        return sh(self.repo, 'git', 'rev-parse', 'HEAD').strip()
