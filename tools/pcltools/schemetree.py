"""make bench's patched kernels, each a tree with benchmark-only patches
applied on top (not part of the series), checked out as a git worktree
beside the series' tree and made again when its base or its patches
change:

  schemes   the series with bench/patches (the fault schemes of a direct
            write, chosen at run time)
  invlock   stock 6.12 with bench/invlock (direct writes holding
            invalidate_lock exclusively: the alternative the series is
            measured against)"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import config, gitutil, kbuild, stocktree, ui
from .errors import Exit, PclError

FAILED = re.compile(r'^Patch failed at \S+ (.*)$', re.M)


@dataclass(frozen=True)
class Kind:
    name: str                   # build/linux-<name>, build/out/<name>-*
    patches: str                # under the repository
    on_stock: bool              # based on the stock tree, not the series
    title: str


KINDS = {
    'schemes': Kind('schemes', 'bench/patches', False, 'fault-scheme'),
    'invlock': Kind('invlock', 'bench/invlock', True,
                    'invalidate_lock-exclusive'),
}


def patches_dir(kind: str = 'schemes') -> Path:
    return config.repo_root() / KINDS[kind].patches


def path(tree: Path, kind: str = 'schemes') -> Path:
    """build/linux-<kind>; a user's tree (KERNEL_TREE) gets its own."""
    return config.build_root() / (f'linux-{kind}' + kbuild.tree_suffix(tree))


def patches(where: Path) -> list[Path]:
    found = sorted(where.glob('*.patch'))
    if not found:
        raise PclError(Exit.USAGE, f'{where}: no patches (a benchmark '
                       'kernel is its base with these applied)')
    return found


def stamp(head: str, files: list[Path]) -> str:
    """What the worktree was made from: the series' commit and the
    patches' names and contents."""
    h = hashlib.sha256(head.encode())
    for f in files:
        h.update(b'\0' + f.name.encode() + b'\0' + f.read_bytes())
    return h.hexdigest()


def ensure(tree: Path, where: Path | None = None,
           kind: str = 'schemes') -> Path:
    """The worktree at its base (the series' HEAD, or the stock base)
    with the patches applied by git am; left as it is when it was made
    from the same commit and patches and nothing in it changed.  A patch
    that does not apply is an error naming it, and no worktree is left
    behind."""
    spec = KINDS[kind]
    source = where or patches_dir(kind)
    files = patches(source)
    head = stocktree.base_commit(tree) if spec.on_stock else \
        gitutil.head(tree)
    base = 'stock 6.12' if spec.on_stock else 'the series'
    want = stamp(head, files)
    dest = path(tree, kind)
    mark = dest.parent / (dest.name + '.stamp')
    if gitutil.is_repo(dest) and mark.is_file() and \
            mark.read_text().strip() == want and \
            not gitutil.changed_tracked_files(dest):
        return dest
    mark.unlink(missing_ok=True)
    stocktree.checkout(tree, dest, head, f'not made from {base} and '
                       f'{spec.patches}', f'{base} ({head[:12]})')
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
                       f'not apply on {base} '
                       f'({head[:12]})', out.strip())
    mark.write_text(want + '\n')
    return dest
