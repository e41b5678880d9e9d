"""A patch mail in the plain form the kernel's scripts read.

Mail clients send patches quoted-printable or base64 encoded (Evolution,
Outlook, web mail); git am decodes them, checkpatch.pl does not and
finds such a patch corrupt. `git mailinfo` decodes the body the way
git am does; the message is then written again as 8-bit text."""

from __future__ import annotations

import email.utils
import re
import subprocess
import tempfile
from pathlib import Path

_ENCODED = re.compile(rb'^content-transfer-encoding:\s*(quoted-printable|'
                      rb'base64)\s*$', re.I | re.M)


def is_encoded(data: bytes) -> bool:
    """Whether the message's own headers declare a QP or base64 body."""
    head = re.split(rb'\r?\n\r?\n', data, maxsplit=1)[0]
    return bool(_ENCODED.search(head))


def decoded(data: bytes, subject: str) -> bytes:
    """data as plain 8-bit mail (From, Date, Subject, body, patch) when it
    is encoded; else data as it is. subject: the Subject as read (with
    its [PATCH] tag)."""
    if not is_encoded(data):
        return data
    with tempfile.TemporaryDirectory() as work:
        msg, patch = Path(work) / 'msg', Path(work) / 'patch'
        proc = subprocess.run(['git', 'mailinfo', '-u', str(msg), str(patch)],
                              input=data, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
        if proc.returncode != 0 or not patch.exists():
            return data
        info = dict(line.split(': ', 1) for line in
                    proc.stdout.decode(errors='replace').splitlines()
                    if ': ' in line)
        sender = email.utils.formataddr((info.get('Author', ''),
                                         info.get('Email', '')), 'utf-8')
        head = (f'From: {sender}\nDate: {info.get("Date", "")}\n'
                f'Subject: {subject}\nMIME-Version: 1.0\n'
                'Content-Type: text/plain; charset=UTF-8\n'
                'Content-Transfer-Encoding: 8bit\n\n')
        return head.encode() + msg.read_bytes() + patch.read_bytes()
