"""make bench's fault-scheme kernel: the series' tree with the patches of
bench/patches applied on top (measurement switches that are not part of
the series), checked out as a git worktree beside it and made again when
the series or the patches change."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from . import config, gitutil, kbuild, stocktree, ui
from .errors import Exit, PclError

FAILED = re.compile(r'^Patch failed at \S+ (.*)$', re.M)


def patches_dir() -> Path:
    return config.repo_root() / 'bench' / 'patches'


def path(tree: Path) -> Path:
    """build/linux-schemes; a user's tree (KERNEL_TREE) gets its own."""
    return config.build_root() / ('linux-schemes' + kbuild.tree_suffix(tree))


def patches(where: Path) -> list[Path]:
    found = sorted(where.glob('*.patch'))
    if not found:
        raise PclError(Exit.USAGE, f'{where}: no patches (the fault-scheme '
                       'kernel is the series with these applied)')
    return found


def stamp(head: str, files: list[Path]) -> str:
    """What the worktree was made from: the series' commit and the
    patches' names and contents."""
    h = hashlib.sha256(head.encode())
    for f in files:
        h.update(b'\0' + f.name.encode() + b'\0' + f.read_bytes())
    return h.hexdigest()


def ensure(tree: Path, where: Path | None = None) -> Path:
    """The worktree at the series' HEAD with the patches applied by git
    am; left as it is when it was made from the same commit and patches
    and nothing in it changed.  A patch that does not apply is an error
    naming it, and no worktree is left behind."""
    source = where or patches_dir()
    files = patches(source)
    head = gitutil.head(tree)
    want = stamp(head, files)
    dest = path(tree)
    mark = dest.parent / (dest.name + '.stamp')
    if gitutil.is_repo(dest) and mark.is_file() and \
            mark.read_text().strip() == want and \
            not gitutil.changed_tracked_files(dest):
        return dest
    mark.unlink(missing_ok=True)
    stocktree.checkout(tree, dest, head, 'not made from this series and '
                       'bench/patches', f'the series ({head[:12]})')
    with ui.step(f'Applying {len(files)} benchmark patch(es) in {dest}'):
        rc, out = gitutil.output(dest, 'am', '-q', '--keep-cr',
                                 *map(str, files),
                                 env=gitutil.queue_ident_env(tree))
    if rc != 0:
        m = FAILED.search(out)
        shutil.rmtree(dest, ignore_errors=True)
        gitutil.git(tree, 'worktree', 'prune')
        what = f'"{m.group(1)}"' if m else 'a patch'
        raise PclError(Exit.USAGE, f'{source}: {what} does '
                       'not apply on the series '
                       f'({head[:12]})', out.strip())
    mark.write_text(want + '\n')
    return dest
