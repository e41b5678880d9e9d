"""Which KUnit suites cover a series, by the kernel's own convention:
a directory holding a `.kunitconfig` (fs/ext4, lib/kunit, ...) is the
suite of the files below it (`kunit.py run --kunitconfig=fs/ext4`). Each
touched path selects the nearest such directory above it; several are
merged by kunit.py (several --kunitconfig options)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

from .. import gitutil

KUNITCONFIG = '.kunitconfig'

# The paths a patch touches: both sides of `diff --git a/X b/Y`, and the
# ---/+++ lines (a patch made with --no-prefix or by hand has only these).
_DIFF_GIT = re.compile(r'^diff --git a/(\S+) b/(\S+)$', re.M)
_MINUS_PLUS = re.compile(r'^(?:---|\+\+\+) (?:[ab]/)?(\S+)', re.M)


@dataclass
class Choice:
    """A directory whose .kunitconfig runs, and the touched files that
    chose it."""
    directory: str                  # 'fs/ext4', relative to the tree
    because: list[str] = field(default_factory=list)

    @property
    def kunitconfig(self) -> str:
        return f'{self.directory}/{KUNITCONFIG}'

    def describe(self) -> str:
        shown = ', '.join(self.because[:3])
        more = len(self.because) - 3
        return f'{self.kunitconfig} (touched: {shown}' + \
            (f' and {more} more' if more > 0 else '') + ')'


def touched_paths(patch_texts: Iterable[str]) -> list[str]:
    """The files the patches touch, in order of first appearance."""
    found: list[str] = []
    for text in patch_texts:
        hits = [p for m in _DIFF_GIT.finditer(text) for p in m.groups()]
        if not hits:
            hits = [m.group(1) for m in _MINUS_PLUS.finditer(text)]
        found.extend(h for h in hits if h != '/dev/null')
    return list(dict.fromkeys(found))


def kunitconfig_dirs(tree: Path, commit: str) -> set[str]:
    """Directories below the top holding a .kunitconfig at commit (the
    top-level one is kunit.py's own default file, not a suite)."""
    names = gitutil.git(tree, 'ls-tree', '-r', '--name-only', commit).split()
    return {str(PurePosixPath(n).parent) for n in names
            if PurePosixPath(n).name == KUNITCONFIG and '/' in n}


def added_dirs(paths: Iterable[str]) -> set[str]:
    """Directories whose .kunitconfig the series itself touches (adds)."""
    return {str(PurePosixPath(p).parent) for p in paths
            if PurePosixPath(p).name == KUNITCONFIG and '/' in p}


def nearest(path: str, dirs: set[str]) -> str:
    """The nearest directory of dirs at or above path's directory, '' if
    none."""
    d = PurePosixPath(path).parent
    while str(d) not in ('.', ''):
        if str(d) in dirs:
            return str(d)
        d = d.parent
    return ''


def select(touched: list[str], dirs: set[str]) -> list[Choice]:
    """The suites covering the touched paths, in order of first touch."""
    chosen: dict[str, Choice] = {}
    for path in touched:
        d = nearest(path, dirs)
        if d:
            chosen.setdefault(d, Choice(d)).because.append(path)
    return list(chosen.values())
