"""The scratch tree, build/validate/linux: a local `git clone` of the
managed tree (objects hard-linked) on the branch pcl-validate, where the
series is applied; the user's trees are only read. The commits of the
last run stay, so an unchanged patch is not applied again; and the keys
of the results cached beside it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
from pathlib import Path
from typing import Iterator, Optional

from .. import config, gitutil, overlay
from ..ui import Progress
from .model import Context

BRANCH = 'pcl-validate'


def cache_key(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b'\0')
    return h.hexdigest()[:24]


@contextlib.contextmanager
def locked(state: Path, progress: Progress) -> Iterator[None]:
    """One check/validate at a time per scratch tree."""
    state.mkdir(parents=True, exist_ok=True)
    with open(state / 'lock', 'w') as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress.say(f'waiting for another check/validate using {state}')
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def ensure_scratch(ctx: Context, progress: Progress) -> str:
    """Clone the source into the scratch tree when missing or stale;
    return the base commit."""
    base = gitutil.git(ctx.source, 'rev-parse', '--verify',
                       f'{ctx.base_ref}^{{commit}}').strip()
    scratch = ctx.scratch
    usable = gitutil.is_repo(scratch) and gitutil.git_ok(
        scratch, 'cat-file', '-e', f'{base}^{{commit}}') and \
        gitutil.git_ok(scratch, 'rev-parse', '-q', '--verify', 'HEAD')
    if usable:
        if gitutil.operation_in_progress(scratch):
            gitutil.git(scratch, 'am', '--abort', check=False)
        return base
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.parent.mkdir(parents=True, exist_ok=True)
    # A local clone hard-links the objects: cheap, and independent of
    # the source repository afterwards.
    with progress.stage(f'creating the scratch tree {scratch} '
                        f'(git clone {ctx.source})'):
        gitutil.git(scratch.parent, 'clone', '-q', '--no-checkout',
                    str(ctx.source), scratch.name)
        for key, value in (('user.name', config.QUEUE_IDENT_NAME),
                           ('user.email', config.QUEUE_IDENT_EMAIL),
                           ('gc.auto', '0'), ('core.abbrev', '12'),
                           ('advice.detachedHead', 'false')):
            gitutil.git(scratch, 'config', key, value)
        gitutil.git(scratch, 'checkout', '-q', '-f', '-B', BRANCH, base)
    return base


def patch_id(tree: Path, data: bytes) -> Optional[str]:
    out = gitutil.git(tree, 'patch-id', '--stable', input=data)
    ids = [line.split()[0] for line in out.splitlines() if line.strip()]
    return ids[0] if len(ids) == 1 else None


def existing_commits(tree: Path, base: str) -> list[tuple[str, Optional[str]]]:
    """(commit, patch-id) of the scratch branch above base, oldest first."""
    if not gitutil.git_ok(tree, 'rev-parse', '-q', '--verify',
                          f'refs/heads/{BRANCH}') or \
            not gitutil.git_ok(tree, 'merge-base', '--is-ancestor', base,
                               BRANCH):
        return []
    commits = gitutil.git(tree, 'rev-list', '--reverse', '--first-parent',
                          f'{base}..{BRANCH}').split()
    log = gitutil.git(tree, 'log', '-p', '--reverse', '--first-parent',
                      '--format=commit %H', f'{base}..{BRANCH}')
    ids = {}
    for line in gitutil.git(tree, 'patch-id', '--stable',
                            input=log.encode()).splitlines():
        pid, commit = line.split()
        ids[commit] = pid
    return [(c, ids.get(c)) for c in commits]


def move_to(tree: Path, commit: str) -> None:
    """Make the scratch branch point at commit; files that do not change
    keep their mtime, so the build stays incremental."""
    gitutil.git(tree, 'checkout', '-q', '-f', '-B', BRANCH, commit)
    gitutil.git(tree, 'clean', '-q', '-f', '-d', '-x')


def tree_id(tree: Path) -> str:
    return gitutil.git(tree, 'rev-parse', 'HEAD^{tree}').strip()


def commit_tree(tree: Path, commit: str) -> str:
    return gitutil.git(tree, 'rev-parse', f'{commit}^{{tree}}').strip()


def same_content(tree: Path, other: Optional[Path]) -> bool:
    """Whether other (a prepared tree) builds the same kernel as tree:
    same committed content, no changes to tracked files, and the same
    kunit/ overlay files."""
    if other is None or not gitutil.is_repo(other):
        return False
    if tree_id(other) != tree_id(tree) or gitutil.changed_tracked_files(other):
        return False
    return not any(overlay.differs(other, tree, rel) for rel in
                   overlay.files(config.overlay_dir())
                   if (other / rel).exists())


def touched(tree: Path) -> list[str]:
    return gitutil.git(tree, 'diff', '--name-only', 'HEAD~1', 'HEAD'
                       ).split()
