"""scripts/checkpatch.pl --strict on one patch: its counts and findings,
cached by patch and base."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .. import config
from . import plaintext
from .model import Checkpatch, Context, Finding
from .scratch import cache_key

_CP_TOTAL = re.compile(r'^total: (\d+) errors?, (\d+) warnings?, '
                       r'(?:(\d+) checks?, )?\d+ lines checked', re.M)
_CP_FINDING = re.compile(r'^(ERROR|WARNING|CHECK):(?:([A-Z0-9_]+):)?\s*(.*)$')
_CP_WHERE = re.compile(r'^#(\d+):\s*(?:FILE: (.+?):?\s*)?$')


def tool_env() -> dict[str, str]:
    """The kernel's perl scripts with Debian's python3 first on PATH
    (scripts/spdxcheck.py needs python3-ply and python3-git)."""
    return dict(os.environ, LC_ALL='C', PATH=config.DEBIAN_BIN + os.pathsep +
                os.environ.get('PATH', ''))


def run_script(tree: Path, *args: str) -> str:
    """A perl script of the tree (checkpatch.pl, get_maintainer.pl): its
    stdout and stderr."""
    return subprocess.run(['perl', *args], cwd=tree, env=tool_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors='replace').stdout


def parse(text: str) -> Checkpatch:
    cp = Checkpatch(ran=True)
    m = _CP_TOTAL.search(text)
    if not m:
        tail = [l for l in text.strip().splitlines() if l.strip()][-3:]
        cp.problem = 'checkpatch.pl did not finish: ' + (
            ' / '.join(tail) if tail else 'no output')
        return cp
    cp.errors, cp.warnings = int(m.group(1)), int(m.group(2))
    cp.checks = int(m.group(3) or 0)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        f = _CP_FINDING.match(line)
        if not f:
            continue
        where, line_no = '', 0
        if i + 1 < len(lines):
            w = _CP_WHERE.match(lines[i + 1])
            if w:
                line_no = int(w.group(1))
                where = (w.group(2) or '').rstrip(':')
        cp.findings.append(Finding(f.group(1), f.group(3).strip(), where,
                                   f.group(2) or '', line_no))
    return cp


# What checkpatch.pl cannot check in a tree without history below its
# base (the managed tree is one commit made from a release tarball): it
# looks up every commit id of the message with git log, and a real
# upstream id would always be "unknown" there.
NO_HISTORY_IGNORE = ('UNKNOWN_COMMIT_ID',)
NO_HISTORY_NOTE = ('the tree has no history below its base: checkpatch.pl '
                   'does not look commit ids up (--ignore UNKNOWN_COMMIT_ID) '
                   'and Fixes: tags are checked for their form only')


def run(ctx: Context, tree: Path, patch: Path, base: str,
        log: Path, subject: str = '',
        ignore: tuple[str, ...] = ()) -> Checkpatch:
    """checkpatch.pl on the patch; an encoded mail (quoted-printable,
    base64) is checked decoded, as git am applies it (NNNN.patch beside
    the log). ignore: checkpatch message types left out (--ignore)."""
    data = patch.read_bytes()
    plain = plaintext.decoded(data, subject)
    if plain != data:
        log.parent.mkdir(parents=True, exist_ok=True)
        patch = log.with_suffix('.patch')
        patch.write_bytes(plain)
    ignored = ['--ignore', ','.join(ignore)] if ignore else []
    key = cache_key(plain, base, ' '.join(
        ['checkpatch', '--strict', '--show-types', *ignored]))
    cache = ctx.state / 'cache' / 'checkpatch' / f'{key}.txt'
    if ctx.cache and cache.exists():
        text = cache.read_text()
        cp = parse(text)
        cp.cached = True
    else:
        text = run_script(tree, 'scripts/checkpatch.pl', '--strict',
                          '--show-types', '--no-color', *ignored, str(patch))
        cp = parse(text)
        if not cp.problem:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(text)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(text)
    return cp
