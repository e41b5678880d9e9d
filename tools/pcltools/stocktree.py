"""The stock baseline: the base commit the series applies on (tag
pcl-base of the series' tree), checked out unpatched as a git worktree
beside it, and the series' kernel configuration cut to the options that
tree knows (the series adds its own KUnit options)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from . import config, gitutil, kbuild, ui
from .errors import Exit, PclError

SYMBOL = re.compile(r'^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$', re.M)
ENTRY = re.compile(r'^(?:CONFIG_([A-Za-z0-9_]+)=.*|# CONFIG_([A-Za-z0-9_]+) '
                   r'is not set)$')


def path(tree: Path) -> Path:
    """build/linux-stock; a user's tree (KERNEL_TREE) gets its own."""
    return config.build_root() / ('linux-stock' + kbuild.tree_suffix(tree))


def base_commit(tree: Path) -> str:
    out = gitutil.git(tree, 'rev-parse', '-q', '--verify',
                      f'{config.BASE_TAG}^{{commit}}', check=False).strip()
    if not out:
        raise PclError(Exit.USAGE, f'{tree}: no tag {config.BASE_TAG}: the '
                       'stock baseline is the commit the series applies on '
                       f'(git -C {tree} tag {config.BASE_TAG} <base commit>)')
    return out


def ensure(tree: Path) -> Path:
    """The stock tree at the base commit, made or brought there when it
    is not (a new base, a tree changed by hand)."""
    base = base_commit(tree)
    dest = path(tree)
    if gitutil.is_repo(dest) and gitutil.head(dest) == base and \
            not gitutil.changed_tracked_files(dest):
        return dest
    checkout(tree, dest, base, f'not the base commit {base[:12]} as it '
             'was left', f'the stock tree ({config.BASE_TAG}, {base[:12]})')
    return dest


def checkout(tree: Path, dest: Path, commit: str, stale: str,
             what: str) -> None:
    """A detached worktree of tree at commit in dest, whatever dest held
    (stale: why it is made again, said when dest existed)."""
    if dest.exists():
        ui.info(f'{dest}: {stale}: checking it out again')
        shutil.rmtree(dest)
    gitutil.git(tree, 'worktree', 'prune')
    with ui.step(f'Checking out {what} in {dest}', heartbeat=20):
        gitutil.git(tree, 'worktree', 'add', '-q', '--detach', str(dest),
                    commit)


def known_symbols(tree: Path) -> set[str]:
    """Every Kconfig symbol the tree defines."""
    out = gitutil.git(tree, 'grep', '-h', '-E', r'^\s*(menu)?config\s',
                      '--', '*Kconfig*', check=False)
    return set(SYMBOL.findall(out))


def cut_config(fragments: list[Path], known: set[str]) -> tuple[str,
                                                               list[str]]:
    """The fragments' entries whose option the tree knows, as one
    kunitconfig, and the entries left out."""
    kept: list[str] = []
    dropped: list[str] = []
    for frag in fragments:
        for line in frag.read_text().splitlines():
            s = line.strip()
            m = ENTRY.match(s)
            if not m:
                continue
            (kept if (m.group(1) or m.group(2)) in known else
             dropped).append(s)
    return ''.join(line + '\n' for line in kept), dropped
