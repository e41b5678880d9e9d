"""The Fixes: tags of a patch's commit message: each in the form
Documentation/process/submitting-patches.rst gives,

    Fixes: 54a4f0239f2e ("KVM: MMU: make kvm_mmu_zap_page() return ...")

on one line (at least 12 hex digits, the subject in double quotes within
parentheses, the line never wrapped), naming a commit of the history
below the patch whose subject is the quoted one.

checkpatch.pl (BAD_FIXES_TAG, UNKNOWN_COMMIT_ID) warns about the same
lines without saying what is wrong, and does not fail an unknown
commit; its findings on a line are named beside this check's. A tree
without history below its base (the managed tree is one commit made
from Debian's source tarball) cannot say whether an older commit
exists: a commit it does not have is then a CHECK, not verified."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .. import gitutil
from .model import Check, Checkpatch

# A line that means to be a Fixes: tag (checkpatch.pl's test, and any
# line starting 'Fixes:').
_CANDIDATE = re.compile(r'^\s*fixes(?:\s*:|\s+(?:commit\s+)?(?=[a-f]*[0-9])'
                        r'[0-9a-f]{5,40}\b)', re.I)
_GOOD = re.compile(r'^Fixes: ([0-9a-f]{12,40}) \("(.*)"\)$')
_SHA = re.compile(r'\b[0-9a-fA-F]{5,40}\b')
MIN_SHA = 12
# checkpatch.pl's types about these lines.
CHECKPATCH_TYPES = ('BAD_FIXES_TAG', 'UNKNOWN_COMMIT_ID', 'GIT_COMMIT_ID')


@dataclass
class Tag:
    line: int                       # in the patch mail, from 1
    text: str
    continued: str = ''             # the lines it was wrapped onto


def message_lines(mail: str) -> list[tuple[int, str]]:
    """(line number, line) of the commit message in a patch mail: after
    the mail headers, up to the '---' line or the diff."""
    lines = mail.splitlines()
    i = 0
    while i < len(lines) and lines[i].strip():
        i += 1                      # the headers (and a 'From ' line)
    out = []
    for n in range(i + 1, len(lines)):
        line = lines[n]
        if line.rstrip() == '---' or line.startswith(('diff --git ',
                                                      'Index: ')):
            break
        out.append((n + 1, line))
    return out


def find_tags(message: list[tuple[int, str]]) -> list[Tag]:
    """The lines that are (meant to be) Fixes: tags, with the lines a
    wrapped one continues onto (up to the one that closes it)."""
    tags = []
    for k, (n, line) in enumerate(message):
        if not _CANDIDATE.match(line):
            continue
        tag = Tag(n, line.rstrip())
        if '(' in line and line.count('(') > line.count(')'):
            rest = []
            for _, more in message[k + 1:k + 4]:
                if not more.strip() or _CANDIDATE.match(more) or \
                        re.match(r'^[\w-]+: ', more):
                    break
                rest.append(more.strip())
                if ')' in more:
                    tag.continued = ' '.join(rest)
                    break
        tags.append(tag)
    return tags


def form_problems(tag: Tag) -> list[str]:
    """What is wrong with the tag's form; [] when it is right."""
    line = tag.text
    if _GOOD.match(line):
        return []
    out = []
    head = re.match(r'^(\s*)(fixes)(\s*:)?(\s*)', line, re.I)
    assert head is not None
    colon = head.group(3) or ''
    if head.group(1):
        out.append('the tag is indented')
    if head.group(2) != 'Fixes' or colon != ':':
        out.append(f'write "Fixes:", not "{head.group(2)}{colon}"')
    rest = line[head.end():]
    if re.match(r'commit\s', rest, re.I):
        out.append('no "commit" before the sha1')
        rest = re.sub(r'^commit\s+', '', rest, flags=re.I)
    sha = _SHA.match(rest)
    if sha is None:
        out.append('no commit sha1 after "Fixes:"')
        return out
    if colon and head.group(4) != ' ':
        out.append('one space after "Fixes:"')
    digits = sha.group(0)
    if len(digits) < MIN_SHA:
        out.append(f'the sha1 {digits} has {len(digits)} digits, at least '
                   f'{MIN_SHA} are needed')
    if digits != digits.lower():
        out.append('the sha1 is in upper case')
    after = rest[sha.end():]
    if tag.continued:
        out.append('the tag is wrapped onto the next line; it stays on one '
                   'line, however long')
    elif not after.strip():
        out.append('no ("<subject>") after the sha1')
    elif not re.match(r'^ \(', after):
        out.append('the subject goes in parentheses, after one space: '
                   '("<subject>")')
    elif not re.match(r'^ \(".*"\)$', after):
        if re.match(r'^ \(".*\)$', after) or re.match(r'^ \(.*"\)$', after):
            out.append('the subject is not in a pair of double quotes')
        elif re.match(r'^ \([^"].*\)$', after):
            out.append('the subject is not in double quotes: ("<subject>")')
        else:
            out.append('the line ends with ("<subject>"), nothing after it')
    return out or ['not in the form Fixes: <sha1> ("<subject>")']


def quoted_subject(tag: Tag) -> Optional[str]:
    """The subject the tag quotes, when it can be told."""
    text = tag.text + (' ' + tag.continued if tag.continued else '')
    m = re.search(r'\(\s*"(.*)"\s*\)\s*$', text) or \
        re.search(r'\(\s*(.*?)\s*\)\s*$', text)
    return m.group(1).strip() if m else None


def _sha_of(tag: Tag) -> Optional[str]:
    rest = re.sub(r'^\s*fixes:?\s*(?:commit\s+)?', '', tag.text, flags=re.I)
    m = _SHA.match(rest)
    return m.group(0).lower() if m else None


def resolve(tree: Path, sha: str) -> tuple[Optional[str], str]:
    """(the full commit id, '') or (None, 'unknown' or 'ambiguous')."""
    proc = gitutil.run(tree, 'rev-parse', '-q', '--verify',
                       f'{sha}^{{commit}}')
    if proc.returncode == 0:
        return proc.stdout.decode().strip(), ''
    err = gitutil.run(tree, 'rev-parse', '--verify', f'{sha}^{{commit}}'
                      ).stderr.decode(errors='replace')
    return None, 'ambiguous' if 'ambiguous' in err else 'unknown'


def has_history(tree: Path, base: str) -> bool:
    """Whether the tree has commits below base (a tree made from a
    tarball has none)."""
    return bool(gitutil.git(tree, 'rev-list', '--max-count=1', f'{base}^@',
                            check=False).strip())


def _checkpatch_says(cp: Checkpatch, line: int) -> str:
    types = sorted({f.type for f in cp.findings
                    if f.line == line and f.type in CHECKPATCH_TYPES})
    return f' (checkpatch.pl: {", ".join(types)})' if types else ''


def verify(tree: Path, tag: Tag, parent: str, history: bool
           ) -> tuple[list[str], str]:
    """(what is wrong with the commit the tag names, a note when it
    cannot be verified)."""
    sha = _sha_of(tag)
    if sha is None:
        return [], ''
    commit, why = resolve(tree, sha)
    if commit is None:
        if why == 'ambiguous':
            return [f'the sha1 {sha} is ambiguous in the tree: give more '
                    'digits'], ''
        if history:
            return [f'no commit {sha} in the tree'], ''
        return [], (f'not verified: commit {sha} is not in the tree, which '
                    'has no history below its base')
    short = commit[:12]
    if not gitutil.git_ok(tree, 'merge-base', '--is-ancestor', commit,
                          parent):
        return [f'commit {short} is not in the history below this patch'], ''
    subject = gitutil.git(tree, 'log', '-1', '--format=%s', commit).strip()
    quoted = quoted_subject(tag)
    out = []
    if quoted is not None and quoted != subject:
        out.append(f'commit {short} is "{subject}", not "{quoted}"')
    if out or form_problems(tag):
        out.append(f'it should read: Fixes: {short} ("{subject}")')
    return out, ''


def check(mail: str, tree: Path, parent: str, history: bool,
          cp: Checkpatch, name: str) -> Check:
    """The Fixes: tags of the patch mail. parent: the commit the patch
    goes onto; history: whether the tree has history below its base;
    name: the patch's file name, for the findings' place. A tag in the
    wrong form or naming a wrong commit is an ERROR; one that cannot be
    verified a CHECK."""
    result = Check(ran=True)
    tags = find_tags(message_lines(mail))
    result.checked = 'no tag' if not tags else '1 tag' if len(tags) == 1 \
        else f'{len(tags)} tags'
    for tag in tags:
        shown = tag.text.strip()
        wrong, note = verify(tree, tag, parent, history)
        problems = form_problems(tag) + wrong
        also = _checkpatch_says(cp, tag.line)
        if problems:
            result.add('ERROR', f'"{shown}": ' + '; '.join(problems) +
                       (f' ({note})' if note else '') + also,
                       f'{name}:{tag.line}', tag.line)
        elif note:
            result.add('CHECK', f'"{shown}": {note}' + also,
                       f'{name}:{tag.line}', tag.line)
    return result
