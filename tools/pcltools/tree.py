"""Kernel trees with the series applied: the managed tree (build/linux)
and a user's own checkout (KERNEL_TREE)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from . import basetree, config, deps, gitutil, overlay, series, ui
from .errors import Exit, PclError

# Files in the managed tree's .git recording what it was built from.
STATE_HASH = 'pcl-series-hash'
STATE_HEAD = 'pcl-series-head'


def _state(tree: Path, name: str) -> str:
    path = gitutil.git_dir(tree) / name
    return path.read_text().strip() if path.exists() else ''


def record_state(tree: Path, queue: series.Series) -> None:
    gd = gitutil.git_dir(tree)
    (gd / STATE_HASH).write_text(series.content_hash(queue) + '\n')
    (gd / STATE_HEAD).write_text(gitutil.head(tree) + '\n')


def _clear_state(tree: Path) -> None:
    for name in (STATE_HASH, STATE_HEAD):
        (gitutil.git_dir(tree) / name).unlink(missing_ok=True)


def foreign_changes(tree: Path, overlay_dir: Path) -> list[str]:
    """Tracked files changed in tree, except overlay files whose content
    is exactly the overlay's (those were installed by the tools)."""
    ours = set(overlay.files(overlay_dir))
    return [f for f in gitutil.changed_tracked_files(tree)
            if not (f in ours and not overlay.differs(overlay_dir, tree, f))]


def _describe(files: list[str]) -> str:
    shown = ', '.join(files[:5])
    return shown + (f' and {len(files) - 5} more' if len(files) > 5 else '')


def prepare_managed(queue: series.Series, overlay_dir: Path,
                    tree: Optional[Path] = None, reset: bool = False) -> Path:
    """Bring the managed tree up to date with patches/.

    Creates it from the base package when missing (or when the base version
    changed), and re-applies the series on pcl-base when patches/ changed.
    With nothing changed it does nothing, so builds stay incremental.
    """
    tree = tree or config.managed_tree()
    version = deps.ensure(config.BUILD_PACKAGES, base=True)
    if version is None:
        version = config.BASE_VERSION
    if not gitutil.is_repo(tree) or not gitutil.git_ok(
            tree, 'rev-parse', '-q', '--verify', config.BASE_TAG):
        basetree.create(tree, version)
    elif basetree.recorded_version(tree) != version:
        ui.info(f'Base version changed ({basetree.recorded_version(tree)} -> '
                f'{version}): recreating {tree}')
        basetree.create(tree, version)

    if gitutil.operation_in_progress(tree):
        ui.warn(f'aborting an unfinished git am in {tree}')
        gitutil.git(tree, 'am', '--abort', check=False)

    want = series.content_hash(queue)
    have = _state(tree, STATE_HASH)
    moved = bool(have) and _state(tree, STATE_HEAD) != gitutil.head(tree)
    if want == have and not reset:
        if moved:
            ui.warn(f'{tree} has commits that are not in patches/ '
                    '(run `tools/pcl queue export` to keep them)')
        else:
            ui.info(f'{tree}: series unchanged, reusing the tree')
        return tree

    if not reset:
        if moved:
            raise PclError(Exit.DIRTY_TREE,
                           f'patches/ changed, and {tree} has commits that '
                           'are not in patches/: export them with `tools/pcl '
                           'queue export`, or discard them with `tools/pcl '
                           'tree --reset`')
        foreign = foreign_changes(tree, overlay_dir)
        if foreign:
            raise PclError(Exit.DIRTY_TREE,
                           f'patches/ changed, and {tree} has uncommitted '
                           f'changes: {_describe(foreign)}; commit and export '
                           'them, or discard them with `tools/pcl tree --reset`')
    ui.info(f'{tree}: (re)applying the series on {config.BASE_TAG}')
    _clear_state(tree)
    gitutil.git(tree, 'checkout', '-q', '-f', '-B', config.QUEUE_BRANCH,
                config.BASE_TAG)
    gitutil.git(tree, 'clean', '-q', '-f', '-d')
    series.apply(tree, queue)
    record_state(tree, queue)
    return tree


def _free_branch_name(tree: Path) -> str:
    name, n = config.QUEUE_BRANCH, 1
    while gitutil.git_ok(tree, 'rev-parse', '-q', '--verify',
                         f'refs/heads/{name}'):
        n += 1
        name = f'{config.QUEUE_BRANCH}-{n}'
    return name


def check_user_tree(tree: Path, overlay_dir: Path) -> None:
    if not gitutil.is_repo(tree):
        raise PclError(Exit.USAGE, f'KERNEL_TREE={tree} is not a git tree')
    if not (tree / 'tools/testing/kunit/kunit.py').exists():
        raise PclError(Exit.USAGE, f'KERNEL_TREE={tree} has no '
                       'tools/testing/kunit/kunit.py: not a kernel tree?')
    busy = gitutil.operation_in_progress(tree)
    if busy:
        raise PclError(Exit.DIRTY_TREE, f'{tree}: a {busy} is in progress; '
                       'finish or abort it first')
    foreign = foreign_changes(tree, overlay_dir)
    if foreign:
        raise PclError(Exit.DIRTY_TREE,
                       f'{tree} has uncommitted changes to tracked files '
                       f'({_describe(foreign)}); commit or stash them first')


def prepare_user(tree: Path, queue: series.Series, overlay_dir: Path) -> str:
    """Apply the series to a user's checkout, on a new branch from HEAD.

    Uses the tree as it is when the series is already at HEAD. Refuses a
    dirty tree; on a failing patch returns to the original branch and
    deletes the new one. Returns the base commit (below the series).
    """
    deps.ensure(config.BUILD_PACKAGES)
    check_user_tree(tree, overlay_dir)
    base = series.applied_base(tree, queue)
    if base is not None:
        ui.info(f'{tree}: the series is already applied at HEAD')
        return base
    original = gitutil.current_branch(tree) or gitutil.head(tree)
    base = gitutil.head(tree)
    # Overlay copies left untracked by an earlier run would block git am.
    for rel in overlay.files(overlay_dir):
        path = tree / rel
        if path.exists() and not overlay.differs(overlay_dir, tree, rel) and \
                not gitutil.git_ok(tree, 'ls-files', '--error-unmatch', rel):
            path.unlink()
    branch = _free_branch_name(tree)
    ui.info(f'{tree}: applying the series on a new branch {branch} '
            f'(from {original})')
    gitutil.git(tree, 'checkout', '-q', '-b', branch)
    try:
        series.apply(tree, queue)
    except PclError:
        gitutil.git(tree, 'checkout', '-q', original, check=False)
        gitutil.git(tree, 'branch', '-q', '-D', branch, check=False)
        raise
    return base
