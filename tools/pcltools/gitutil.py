"""Thin helpers around the git command line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Mapping, Optional, Sequence

from . import config
from .errors import Exit, PclError


class GitError(PclError):
    def __init__(self, args: Sequence[str], output: str) -> None:
        super().__init__(Exit.INTERNAL,
                         f'git {" ".join(args)} failed', output.strip())
        self.output = output


def run(tree: Path, *args: str, env: Optional[Mapping[str, str]] = None,
        input: Optional[bytes] = None, merged: bool = False
        ) -> subprocess.CompletedProcess[bytes]:
    """The one way the tools run git: in tree, with a stable locale and no
    pager; stderr apart, or merged into stdout (merged=True) where git's
    messages are shown in the order it wrote them."""
    full_env = dict(os.environ)
    full_env.update({'LC_ALL': 'C', 'GIT_PAGER': 'cat'})
    if env:
        full_env.update(env)
    return subprocess.run(['git', '-C', str(tree), *args], env=full_env,
                          input=input, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merged
                          else subprocess.PIPE)


def git(tree: Path, *args: str, env: Optional[Mapping[str, str]] = None,
        input: Optional[bytes] = None, check: bool = True) -> str:
    """Run git in tree; return stdout. Raise GitError on failure."""
    proc = run(tree, *args, env=env, input=input)
    out = proc.stdout.decode(errors='replace')
    if check and proc.returncode != 0:
        raise GitError(args, proc.stderr.decode(errors='replace') + out)
    return out


def output(tree: Path, *args: str, env: Optional[Mapping[str, str]] = None,
           input: Optional[bytes] = None) -> tuple[int, str]:
    """(exit status, stdout and stderr as git wrote them), never raising:
    for commands whose failure is a finding (git am, git apply)."""
    proc = run(tree, *args, env=env, input=input, merged=True)
    return proc.returncode, proc.stdout.decode(errors='replace')


def git_bytes(tree: Path, *args: str) -> Optional[bytes]:
    """stdout of a git command as bytes, or None when it fails."""
    proc = run(tree, *args)
    return proc.stdout if proc.returncode == 0 else None


def git_ok(tree: Path, *args: str) -> bool:
    return run(tree, *args).returncode == 0


def is_repo(tree: Path) -> bool:
    return tree.is_dir() and git_ok(tree, 'rev-parse', '--git-dir')


def git_dir(tree: Path) -> Path:
    return Path(git(tree, 'rev-parse', '--absolute-git-dir').strip())


def head(tree: Path) -> str:
    return git(tree, 'rev-parse', 'HEAD').strip()


def current_branch(tree: Path) -> Optional[str]:
    """Branch name, or None on a detached HEAD."""
    out = git(tree, 'symbolic-ref', '-q', '--short', 'HEAD', check=False)
    return out.strip() or None


def changed_tracked_files(tree: Path) -> list[str]:
    """Tracked files with staged or unstaged changes."""
    out = git(tree, 'status', '--porcelain=v1', '-z',
              '--untracked-files=no', '--ignore-submodules')
    files = []
    entries = out.split('\0')
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if not entry:
            continue
        status, path = entry[:2], entry[3:]
        if 'R' in status or 'C' in status:
            i += 1                  # skip the rename source
        files.append(path)
    return files


def operation_in_progress(tree: Path) -> Optional[str]:
    """Name of an unfinished am/rebase/merge/cherry-pick, if any."""
    gd = git_dir(tree)
    for name, what in (('rebase-apply', 'git am or rebase'),
                       ('rebase-merge', 'git rebase'),
                       ('MERGE_HEAD', 'git merge'),
                       ('CHERRY_PICK_HEAD', 'git cherry-pick')):
        if (gd / name).exists():
            return what
    return None


def has_identity(tree: Path) -> bool:
    return bool(git(tree, 'config', 'user.email', check=False).strip())


def queue_ident_env(tree: Path) -> dict[str, str]:
    """Committer identity for git am when the user has none configured."""
    if has_identity(tree):
        return {}
    return {'GIT_COMMITTER_NAME': config.QUEUE_IDENT_NAME,
            'GIT_COMMITTER_EMAIL': config.QUEUE_IDENT_EMAIL}
