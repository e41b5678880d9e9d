"""A posted series named by its Message-Id or lore URL instead of a file:
`b4 am` fetches the thread from lore.kernel.org (b4 installed, network
up). Without b4, or when b4 cannot fetch it (offline, unknown
Message-Id), a usage error that says to pass the mbox file."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Optional

from .errors import Exit, PclError

FETCH_TIMEOUT = 300
# <id@host> or id@host: no spaces, one @, not a path.
_MSGID = re.compile(r'<?([^\s<>/@]+@[^\s<>/@]+)>?')
_URL = re.compile(r'https?://[^\s/]+/(?:[^\s/]+/)*?'
                  r'(?P<id>[^\s/@%]+(?:@|%40)[^\s/]+)(?:/.*)?$')


def message_id(source: str) -> Optional[str]:
    """The Message-Id that source names (a bare or <>-quoted Message-Id,
    or a lore URL with one in its path), or None for a file name."""
    if source == '-' or Path(source).expanduser().exists():
        return None
    m = _URL.match(source)
    if m:
        return m.group('id').replace('%40', '@')
    m = _MSGID.fullmatch(source.strip())
    return m.group(1) if m else None


def fetch(source: str, msgid: str, work: Path,
          env: Optional[dict[str, str]] = None) -> Path:
    """The thread of msgid as one mbox in work (b4 am: the patches of the
    newest revision, with the cover letter first)."""
    advice = (f'fetch the thread yourself (`b4 am {msgid}` or the mbox '
              'link on lore.kernel.org) and pass the mbox file')
    if not shutil.which('b4'):
        raise PclError(Exit.USAGE, f'{source}: a Message-Id, and b4 is not '
                       f'installed (Debian package b4): {advice}')
    out = work / 'b4-fetch'
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    try:
        proc = subprocess.run(['b4', 'am', '--no-cache', '-o', str(out),
                               '-n', 'fetched', msgid],
                              cwd=out, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              errors='replace', timeout=FETCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise PclError(Exit.USAGE, f'{source}: b4 am did not fetch it in '
                       f'{FETCH_TIMEOUT}s (offline?): {advice}') from None
    mbx = out / 'fetched.mbx'
    if proc.returncode != 0 or not mbx.exists() or mbx.stat().st_size == 0:
        why = next((l.strip() for l in reversed(proc.stdout.splitlines())
                    if l.strip()), f'exit status {proc.returncode}')
        raise PclError(Exit.USAGE, f'{source}: b4 am could not fetch the '
                       f'thread ({why}; offline?): {advice}')
    dest = work / 'fetched.mbox'
    with dest.open('wb') as f:
        cover = out / 'fetched.cover'
        if cover.exists():
            f.write(cover.read_bytes().rstrip(b'\n') + b'\n\n')
        f.write(mbx.read_bytes())
    return dest
