"""A patch's subject (after its [PATCH ...] tags), the way
Documentation/process/submitting-patches.rst ("The canonical patch
format") asks for it, `subsystem: summary phrase`:

- a subsystem prefix: words joined by '/' and ending in ': ' (`mm: `,
  `fs/ext2: `, `iomap: `; several levels, `KVM: x86: `; a list,
  `bpf, sockmap: `); `Revert "<subject>"` is judged by the reverted
  subject;
- at most 75 characters, the upper bound of the "no more than 70-75
  characters" the document gives, counted over the whole subject
  without its tags, prefix included, as `git log --oneline` shows it
  (checkpatch.pl checks the body's lines, at 75 columns, not the
  subject);
- no trailing period.

Each is an ERROR. A CHECK (a note): the prefix shares no word with those
of the last commits that touched the same files (`git log -n 20 --
<paths>` below the series: its own earlier patches are not the files'
history), when they have prefixes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .. import gitutil
from .model import Check

MAX_LENGTH = 75
HISTORY = 20
_WORD = r'[A-Za-z0-9_][\w.+-]*(?:/[\w.+-]+)*'
_COMPONENT = rf'{_WORD}(?:, {_WORD})*'
_PREFIX = re.compile(rf'^((?:{_COMPONENT}): )+')
_REVERT = re.compile(r'^Revert "(.*)"$')


def prefix(title: str) -> str:
    """The subsystem prefix of title, without its last ': ' ('' if it
    has none)."""
    m = _PREFIX.match(title)
    return m.group(0)[:-2] if m else ''


def words(pfx: str) -> set[str]:
    """The words of a prefix: 'fs/ext2' -> {'fs', 'ext2'}."""
    return {w.lower() for w in re.split(r'[/:, ]+', pfx) if w}


def history_prefixes(tree: Path, parent: str, paths: list[str]) -> list[str]:
    """The prefixes of the last commits below parent that touched paths."""
    if not paths:
        return []
    out = gitutil.git(tree, 'log', '--no-merges', '--format=%s', '-n',
                      str(HISTORY), parent, '--', *paths, check=False)
    found = [prefix(s) for s in out.splitlines()]
    return [p for p in found if p]


def check(title: str, tree: Path, parent: str, paths: list[str]) -> Check:
    """The subject rules on title; the history note from tree, below
    parent, for the touched paths."""
    result = Check(ran=True, checked=f'"{title}" ({len(title)} characters)')
    revert = _REVERT.match(title)
    judged = revert.group(1) if revert else title
    pfx = prefix(judged)
    if not title.strip():
        result.add('ERROR', 'the subject is empty')
        return result
    if not pfx:
        result.add('ERROR', 'no subsystem prefix ("mm: ", "fs/ext2: "): the '
                   'subject is "subsystem: summary phrase"')
    elif not judged[len(pfx) + 2:].strip():
        result.add('ERROR', f'nothing after the prefix "{pfx}:"')
    if len(judged) > MAX_LENGTH:
        result.add('ERROR', f'{len(judged)} characters, more than '
                   f'{MAX_LENGTH} (submitting-patches.rst: no more than '
                   '70-75)')
    if judged.endswith('.') and not judged.endswith('..'):
        result.add('ERROR', 'the subject ends with a period')
    if pfx:
        used = history_prefixes(tree, parent, paths)
        if used and not words(pfx) & set().union(*map(words, used)):
            common = ', '.join(f'"{p}:"' for p, _ in
                               Counter(used).most_common(3))
            result.add('CHECK', f'the prefix "{pfx}:" is not one the '
                       'touched files\' history uses (their last commits: '
                       f'{common})')
    return result
