"""From what people have to an ordered list of patches git am can apply.

Input: `git format-patch --stdout` output (threaded or not, with or
without a cover letter), a saved thread (replies mixed in, messages in
any order, several revisions), `b4 am` output, or one message.

Messages are split with `git mailsplit -b`. When they carry Message-Ids,
`b4 am -m` does the threading, picks the newest revision, orders the
patches and adds trailers given in replies (Reviewed-by ...); messages
without Message-Ids (plain `git format-patch --stdout`, `cat patches/*`)
are ordered by the numbers in their `[PATCH vN k/M]` tags. Whether a
message holds a patch is what `git mailinfo` extracts from it.

Problems with the input (empty, not mail, only replies, a missing k/M)
are collected in Intake.problems; the caller reports them and exits 2.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from . import config, gitutil, lore
from .errors import Exit, PclError

_BRACKETS = re.compile(r'^\s*((?:\[[^\]]*\]\s*)+)')
_REPLY = re.compile(r'^\s*(re|aw|sv|antw|fwd?)\s*:', re.I)
_VERSION = re.compile(r'(?:^|\s)v(\d+)(?:\s|$)', re.I)
_NUMBERS = re.compile(r'(?:^|\s)(\d+)/(\d+)(?:\s|$)')


@dataclass
class Tag:
    """What the [PATCH v3 2/7] tag of a subject says."""
    text: str = ''                  # 'PATCH v3 2/7' (all bracket groups)
    version: int = 1
    number: Optional[int] = None
    total: Optional[int] = None


def parse_subject(subject: str) -> tuple[Tag, str]:
    """Split 'Subject: [RFC PATCH v3 2/7] mm: foo' into its tag and title."""
    subject = ' '.join(subject.split())
    m = _BRACKETS.match(subject)
    if not m:
        return Tag(), subject
    groups = re.findall(r'\[([^\]]*)\]', m.group(1))
    text = ' '.join(g.strip() for g in groups)
    tag = Tag(text)
    v = _VERSION.search(f' {text} ')
    if v:
        tag.version = int(v.group(1))
    n = _NUMBERS.search(f' {text} ')
    if n:
        tag.number, tag.total = int(n.group(1)), int(n.group(2))
    return tag, subject[m.end():].strip()


@dataclass
class Patch:
    """One patch of the series, as a file git am and checkpatch take."""
    path: Path
    subject: str                    # full subject, with its tag
    title: str                      # without the tag
    tag: Tag = field(default_factory=Tag)
    position: int = 0               # 1-based place in the series
    total: int = 0                  # patches the series should have
    msgid: str = ''                 # Message-Id, without the angle brackets

    @property
    def label(self) -> str:
        return f'{self.position}/{self.total}'


@dataclass
class Intake:
    patches: list[Patch] = field(default_factory=list)
    cover_subject: str = ''
    cover_msgid: str = ''
    cover_path: Optional[Path] = None   # the cover letter, as a mail
    method: str = ''                # 'b4 am' or 'git mailsplit'
    messages: int = 0
    replies: int = 0
    missing: list[int] = field(default_factory=list)
    total: int = 0                  # what the tags say (M of k/M)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Message:
    path: Path
    subject: str
    msgid: str
    has_headers: bool
    has_patch: bool
    tag: Tag
    title: str

    @property
    def is_reply(self) -> bool:
        return bool(_REPLY.match(self.subject))


def split(mbox: Path, dest: Path) -> list[Path]:
    """git mailsplit -b: one file per message (a lone message without a
    From line counts as one). Empty list for an empty input."""
    dest.mkdir(parents=True, exist_ok=True)
    if mbox.stat().st_size == 0:
        return []
    rc, _ = gitutil.output(dest, 'mailsplit', '-b', f'-o{dest.resolve()}',
                           str(mbox.resolve()))
    if rc != 0:
        return []
    return sorted(p for p in dest.iterdir() if p.name.isdigit())


def _read(path: Path, scratch: Path) -> _Message:
    with path.open('rb') as f:
        msg = email.message_from_binary_file(
            f, policy=email.policy.default)
    try:
        subject = ' '.join(str(msg.get('Subject', '')).split())
        msgid = str(msg.get('Message-Id', '')).strip()
    except (ValueError, TypeError):    # undecodable header
        subject, msgid = '', ''
    has_headers = any(msg.get(h) is not None
                      for h in ('From', 'Subject', 'Date', 'Message-Id'))
    has_patch = False
    if has_headers:
        info = scratch / 'mailinfo'
        info.mkdir(parents=True, exist_ok=True)
        patch = info / 'patch'
        rc, _ = gitutil.output(scratch, 'mailinfo', '-k', str(info / 'msg'),
                               str(patch), input=path.read_bytes())
        has_patch = rc == 0 and patch.exists() and \
            patch.stat().st_size > 0
    tag, title = parse_subject(subject)
    return _Message(path, subject, msgid, has_headers, has_patch, tag, title)


def read_input(source: str, work: Path) -> Path:
    """The input as a file in work: a path, '-' for stdin, or a
    Message-Id or lore URL, fetched with b4 am (lore.py)."""
    work.mkdir(parents=True, exist_ok=True)
    dest = work / 'input.mbox'
    if source == '-':
        dest.write_bytes(sys.stdin.buffer.read())
        return dest
    msgid = lore.message_id(source)
    if msgid:
        shutil.copyfile(lore.fetch(source, msgid, work, _b4_env(work)), dest)
        return dest
    path = Path(source).expanduser()
    if not path.exists():
        raise PclError(Exit.USAGE, f'{source}: no such file')
    if path.is_dir():
        raise PclError(Exit.USAGE, f'{source}: a directory, not an mbox '
                       '(for a directory of patches, cat them into one file)')
    shutil.copyfile(path, dest)
    return dest


def intake(mbox: Path, work: Path, use_b4: bool = True) -> Intake:
    """Sort the messages of mbox into a series; work is a scratch dir."""
    result = Intake()
    mbox, work = mbox.resolve(), work.resolve()
    msgs_dir = work / 'messages'
    shutil.rmtree(msgs_dir, ignore_errors=True)
    files = split(mbox, msgs_dir)
    if not files:
        result.problems.append('the input is empty' if mbox.stat().st_size
                               == 0 else 'the input is not a mailbox')
        return result
    messages = [_read(p, work) for p in files]
    result.messages = len(messages)
    if not any(m.has_headers for m in messages):
        result.problems.append('the input is not mail: no message headers '
                               '(From:, Subject:, Date:) found')
        return result
    result.replies = sum(m.is_reply for m in messages)
    patches = [m for m in messages if m.has_patch and not m.is_reply]
    if not patches:
        if result.replies and result.replies == len(messages):
            result.problems.append(
                f'the input holds only replies ({result.replies} message(s) '
                'with "Re:" subjects), no patch')
        else:
            result.problems.append(
                f'no patch in the input ({len(messages)} message(s), none '
                'with a diff git mailinfo can extract)')
        return result

    done = False
    if use_b4 and shutil.which('b4') and all(m.msgid for m in patches):
        done = _via_b4(_unfolded(files, work / 'for-b4.mbox'), work, result)
    if not done:
        _via_numbers(messages, patches, work, result)
    _check_numbers(result)
    return result


def _b4_env(cwd: Optional[Path] = None) -> dict[str, str]:
    """b4's settings, through git's environment configuration: no
    attestation checks (no network), and an identity when git has none
    (b4 am stops without one)."""
    env = dict(os.environ, LC_ALL='C.UTF-8')
    settings = [('b4.attestation-policy', 'off')]
    have = gitutil.git(cwd or Path('.'), 'config', 'user.email',
                       check=False).strip()
    if not have:
        settings += [('user.name', config.QUEUE_IDENT_NAME),
                     ('user.email', config.QUEUE_IDENT_EMAIL)]
    n = int(env.get('GIT_CONFIG_COUNT', '0') or 0)
    for i, (key, value) in enumerate(settings, n):
        env[f'GIT_CONFIG_KEY_{i}'] = key
        env[f'GIT_CONFIG_VALUE_{i}'] = value
    env['GIT_CONFIG_COUNT'] = str(n + len(settings))
    return env


def _unfolded(files: list[Path], dest: Path) -> Path:
    """The messages as one mbox with unfolded header lines: b4 0.12 on
    Python >= 3.11.4 fails on a folded Subject (it copies the header
    value, line break included, and the email module refuses it)."""
    with dest.open('wb') as out:
        for path in files:
            data = path.read_bytes().replace(b'\r\n', b'\n')
            head, sep, body = data.partition(b'\n\n')
            head = re.sub(rb'\n[ \t]+', b' ', head)
            if not head.startswith(b'From '):
                out.write(b'From mboxrd@z Thu Jan  1 00:00:00 1970\n')
            out.write(head + sep + body.rstrip(b'\n') + b'\n\n')
    return dest


def _via_b4(mbox: Path, work: Path, result: Intake) -> bool:
    out = work / 'b4'
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    proc = subprocess.run(['b4', 'am', '--no-cache', '-m', str(mbox),
                           '-o', str(out), '-n', 'series'],
                          cwd=out, env=_b4_env(out), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors='replace')
    (work / 'b4.log').write_text(proc.stdout)
    am = out / 'series.mbx'
    if proc.returncode != 0 or not am.exists():
        why = next((l.strip() for l in reversed(proc.stdout.splitlines())
                    if l.strip()), 'no output')
        result.notes.append(f'b4 am found no series ({why}); ordering by '
                            'the numbers in the subjects instead')
        return False
    files = split(am, work / 'b4-split')
    for i, path in enumerate(files, 1):
        msg = _read(path, work)
        result.patches.append(Patch(path, msg.subject, msg.title, msg.tag, i,
                                    msgid=bare_msgid(msg.msgid)))
    cover = out / 'series.cover'
    if cover.exists():
        cover_msg = _read(cover, work)
        result.cover_subject = cover_msg.subject
        result.cover_msgid = bare_msgid(cover_msg.msgid)
        result.cover_path = cover
    result.method = 'b4 am'
    trailers = _b4_trailers(proc.stdout)
    if trailers:
        result.notes.append('trailers from replies, added by b4: ' +
                            '; '.join(trailers))
    revision = re.search(r'Will use the latest revision: (v\d+)', proc.stdout)
    if revision:
        result.notes.append(f'several revisions in the input: b4 took the '
                            f'latest, {revision.group(1)}')
    for line in proc.stdout.splitlines():
        if 'partial reroll' in line:
            result.notes.append(line.strip())
    return True


def _b4_trailers(log: str) -> list[str]:
    """'[PATCH v3 2/3] x' followed by '+ Reviewed-by: ...' lines."""
    found, current = [], ''
    for line in log.splitlines():
        s = line.strip()
        if s.startswith('['):
            tag, _ = parse_subject(s)
            current = f'{tag.number}/{tag.total}' if tag.number else s
        elif s.startswith('+ ') and ':' in s:
            found.append(f'{current} {s[2:]}')
    return found


def _via_numbers(messages: list[_Message], patches: list[_Message],
                 work: Path, result: Intake) -> None:
    result.method = 'git mailsplit'
    newest = max(m.tag.version for m in patches)
    versions = sorted({m.tag.version for m in patches})
    if len(versions) > 1:
        result.notes.append('several revisions in the input ('
                            + ', '.join(f'v{v}' for v in versions) +
                            f'): using v{newest}')
    chosen = [m for m in patches if m.tag.version == newest]
    covers = [m for m in messages if not m.has_patch and not m.is_reply
              and m.tag.number == 0 and m.tag.version == newest]
    if covers:
        result.cover_subject = covers[0].subject
        result.cover_msgid = bare_msgid(covers[0].msgid)
        result.cover_path = covers[0].path
    numbered = [m for m in chosen if m.tag.number]
    if len(numbered) == len(chosen):
        seen: dict[int, _Message] = {}
        for m in chosen:
            assert m.tag.number is not None
            if m.tag.number in seen:
                result.notes.append(f'{m.tag.number}/{m.tag.total} appears '
                                    'twice: using the first')
                continue
            seen[m.tag.number] = m
        chosen = [seen[k] for k in sorted(seen)]
    elif len(chosen) > 1:
        result.notes.append('some patches have no k/M number: keeping the '
                            'order of the input')
    dest = work / 'ordered'
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir()
    for i, m in enumerate(chosen, 1):
        path = dest / f'{i:04d}.patch'
        shutil.copyfile(m.path, path)
        result.patches.append(Patch(path, m.subject, m.title, m.tag, i,
                                    msgid=bare_msgid(m.msgid)))


def _check_numbers(result: Intake) -> None:
    """Number the patches and find the ones missing from k/M."""
    totals = [p.tag.total for p in result.patches if p.tag.total]
    total = max(totals) if totals else len(result.patches)
    numbers = [p.tag.number for p in result.patches]
    if all(numbers):
        result.missing = [k for k in range(1, total + 1) if k not in numbers]
        for p in result.patches:
            assert p.tag.number is not None
            p.position, p.total = p.tag.number, total
    else:
        total = len(result.patches)
        for i, p in enumerate(result.patches, 1):
            p.position, p.total = i, total
    result.total = total
    if result.missing:
        result.problems.append(
            'the series is incomplete: ' +
            ', '.join(f'{k}/{total}' for k in result.missing) +
            (' is' if len(result.missing) == 1 else ' are') +
            ' missing from the input')


def read_patch(path: Path, position: int, total: int) -> Patch:
    """A patch file of a series directory (git format-patch output)."""
    with path.open('rb') as f:
        msg = email.message_from_binary_file(
            f, policy=email.policy.default)
    subject = ' '.join(str(msg.get('Subject', '')).split())
    tag, title = parse_subject(subject)
    return Patch(path, subject, title, tag, position, total,
                 bare_msgid(str(msg.get('Message-Id', ''))))


def bare_msgid(msgid: str) -> str:
    """'<x@y>' -> 'x@y'."""
    return msgid.strip().removeprefix('<').removesuffix('>').strip()


def temp_workdir(parent: Path) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix='intake-', dir=parent))
