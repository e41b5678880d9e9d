"""A per-file check (kernel-doc, the reStructuredText parser) run on the
files a patch touches, at the patch and at its parent: the warnings the
patch introduces.

The files are read from git (`git cat-file blob <commit>:<path>`), so the
working tree does not have to be at the patch. A warning the patch
introduces is one whose message appears more often at the patch than at
the parent, over all the files it touches: a moved or renamed file keeps
its warnings, a new file has all of its own."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Protocol

from .. import gitutil
from .model import Check, Context
from .scratch import cache_key

SHOWN = 3                           # files named in Check.checked


@dataclass
class FileWarning:
    path: str
    line: int
    message: str
    level: str = 'WARNING'          # or CHECK: a note


class Tool(Protocol):
    """The check's tool on one file, through its cache."""
    cached: bool                    # every output came from the cache
    problem: str                    # why the last output was None

    def output(self, commit: str, path: str) -> Optional[str]:
        """The tool's output on path at commit ('' when there is no such
        file); None when the tool failed."""


class CachedTool:
    """A Tool whose output on a file is cached by the file's contents,
    its path and the tool's own key (its script, version, options),
    under <state>/cache/<name>/."""

    def __init__(self, ctx: Context, tree: Path, name: str,
                 *key: bytes | str) -> None:
        self.ctx, self.tree, self.name, self.key = ctx, tree, name, key
        self.cached = True
        self.problem = ''

    def output(self, commit: str, path: str) -> Optional[str]:
        blob = blob_id(self.tree, commit, path)
        if blob is None:
            return ''
        key = cache_key(*self.key, blob, path)
        cache = self.ctx.state / 'cache' / self.name / f'{key}.txt'
        if self.ctx.cache and cache.exists():
            return cache.read_text(encoding='utf-8')
        self.cached = False
        text = self.produce(blob, path)
        if text is None:
            return None
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(text, encoding='utf-8')
        return text

    def produce(self, blob: str, path: str) -> Optional[str]:
        """The tool's output on the blob, named path; None when it
        failed (self.problem says why)."""
        raise NotImplementedError


def touched_files(tree: Path, commit: str, suffixes: tuple[str, ...]
                  ) -> list[tuple[Optional[str], str]]:
    """(path at the parent or None for a new file, path at the commit) of
    the files ending in suffixes that the commit adds, changes, renames
    or copies."""
    out = gitutil.git(tree, 'diff-tree', '-r', '-M', '--no-commit-id',
                      '--name-status', '-z', f'{commit}^', commit)
    words = out.split('\0')
    files: list[tuple[Optional[str], str]] = []
    i = 0
    while i + 1 < len(words) and words[i]:
        status = words[i][0]
        paths = 2 if status in 'RC' else 1
        names = words[i + 1:i + 1 + paths]
        i += 1 + paths
        new = names[-1]
        if status == 'D' or not new.endswith(suffixes):
            continue                    # deleted: nothing to check
        files.append((None if status == 'A' else names[0], new))
    return files


def blob_id(tree: Path, commit: str, path: str) -> Optional[str]:
    out = gitutil.git(tree, 'rev-parse', '-q', '--verify',
                      f'{commit}:{path}', check=False).strip()
    return out or None


def introduced(before: list[FileWarning], after: list[FileWarning],
               near: Callable[[FileWarning, bool], str]
               ) -> list[FileWarning]:
    """The warnings of after the patch introduces: for each message, as
    many as it has more than before; which ones, by the text they point
    at (near(w, at_the_patch)): first those whose text none of the
    parent's warnings of that message pointed at, so that a warning that
    only moved is not named in place of the new one."""
    count = Counter(w.message for w in before)
    out: list[FileWarning] = []
    for message in dict.fromkeys(w.message for w in after):
        same = [w for w in after if w.message == message]
        extra = len(same) - count[message]
        if extra <= 0:
            continue
        old = Counter(near(w, False) for w in before if w.message == message)
        moved, fresh = [], []
        for w in same:
            key = near(w, True)
            if old[key]:
                old[key] -= 1
                moved.append(w)
            else:
                fresh.append(w)
        chosen = {id(w) for w in (fresh + moved[::-1])[:extra]}
        out.extend(w for w in same if id(w) in chosen)
    order = {id(w): i for i, w in enumerate(after)}
    return sorted(out, key=lambda w: order[id(w)])


class _Lines:
    """The lines of files at a revision, read once."""

    def __init__(self, tree: Path) -> None:
        self.tree = tree
        self.files: dict[tuple[str, str], list[str]] = {}

    def near(self, rev: str, w: FileWarning) -> str:
        """The line a warning points at and the one above it."""
        key = (rev, w.path)
        if key not in self.files:
            data = gitutil.git_bytes(self.tree, 'cat-file', 'blob',
                                     f'{rev}:{w.path}') or b''
            self.files[key] = data.decode(errors='replace').split('\n')
        text = self.files[key]
        return '\n'.join(text[max(w.line - 2, 0):max(w.line, 0)])


def compare(tree: Path, commit: str, log: Path, header: str,
            suffixes: tuple[str, ...], tool: Tool,
            parse: Callable[[str], list[FileWarning]]) -> Check:
    """The tool on every touched file at the patch and at the parent;
    its outputs logged under header; the warnings the patch introduces
    as findings, the WARNINGs on both sides counted."""
    check = Check(ran=True)
    files = touched_files(tree, commit, suffixes)
    names = [new for _, new in files]
    check.checked = ', '.join(names[:SHOWN]) + (
        f' and {len(names) - SHOWN} more' if len(names) > SHOWN else '') \
        if names else 'no ' + ' or '.join(suffixes) + ' file touched'
    if not files:
        check.before = check.now = 0
        return check
    logged: list[str] = []
    before: list[FileWarning] = []
    after: list[FileWarning] = []
    for old, new in files:
        sides = [('at the patch', commit, new, after)]
        if old is not None:
            sides.append(('at the parent', f'{commit}^', old, before))
        for side, rev, path, into in sides:
            text = tool.output(rev, path)
            if text is None:
                check.ran = False
                check.problem = tool.problem
                return check
            logged.append(f'== {path} {side}\n' + (text or '(no warnings)\n'))
            into.extend(parse(text))
    check.cached = tool.cached
    check.before = sum(w.level == 'WARNING' for w in before)
    check.now = sum(w.level == 'WARNING' for w in after)
    lines = _Lines(tree)
    for w in introduced(before, after,
                        lambda w, side: lines.near(
                            commit if side else f'{commit}^', w)):
        check.add(w.level, w.message, f'{w.path}:{w.line}')
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f'{header}\n\n' + '\n'.join(logged), encoding='utf-8')
    return check
