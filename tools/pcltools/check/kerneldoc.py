"""The tree's scripts/kernel-doc -none on the .c and .h files a patch
touches, at the patch and at its parent: the warnings the patch
introduces, cached by the script and the file contents.

kernel-doc is run with `-none -Wall`, as netdev's NIPA runs it on the
touched files before and after a patch. What `make W=1` reports
(scripts/Makefile.build, cmd_checkdoc: `scripts/kernel-doc -none`; the
warning level the kernel test robot builds with) is a WARNING; what only
-Wall adds (W=2: a missing description of the return value or a missing
short description, contents before sections) is a CHECK, a note.

The files are read from git (`git cat-file blob <commit>:<path>`), so the
working tree does not have to be at the patch; the script is the
patch's own, on both sides. A warning the patch introduces is one whose
message (which names the function or member) appears more often at the
patch than at the parent, over all the files it touches: a moved or
renamed function keeps its warnings, a new file has all of its own."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .. import gitutil
from .checkpatch import tool_env
from .model import Check, Context
from .scratch import cache_key

PERL = 'perl'
SCRIPT = 'scripts/kernel-doc'
ARGS = ('-none', '-Wall')
SUFFIXES = ('.c', '.h')
SHOWN = 3                           # files named in Check.checked
# What -Wall reports beyond `make W=1`: CHECKs.
WALL_ONLY = ('No description found for return value of',
             'missing initial short description',
             'contents before sections')
# The environment the script reads options from (scripts/kernel-doc):
# left out, so that every run warns alike.
_SCRIPT_ENV = ('KBUILD_VERBOSE', 'KCFLAGS', 'KDOC_WERROR')
_LINE = re.compile(r'^(.+?):(\d+): (warning|error): (.*)$')


@dataclass
class DocWarning:
    path: str
    line: int
    message: str

    @property
    def level(self) -> str:
        return 'CHECK' if self.message.startswith(WALL_ONLY) else 'WARNING'


def parse(text: str) -> list[DocWarning]:
    """kernel-doc's warnings: 'path:line: warning: message', a message
    continued on the next line when it quotes the source ('wrong
    kernel-doc identifier on line:' then the line); its errors ('Cannot
    parse struct or union!') count as warnings, as W=1 prints them
    alike."""
    out: list[DocWarning] = []
    for raw in text.splitlines():
        m = _LINE.match(raw)
        if m:
            kind = '' if m.group(3) == 'warning' else 'error: '
            out.append(DocWarning(m.group(1), int(m.group(2)),
                               kind + m.group(4).strip()))
        elif out and raw.strip():       # the message goes on
            out[-1].message += ' ' + ' '.join(raw.split())
    return out


def touched_files(tree: Path, commit: str) -> list[tuple[Optional[str], str]]:
    """(path at the parent or None for a new file, path at the commit) of
    the .c and .h files the commit adds, changes, renames or copies."""
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
        if status == 'D' or not new.endswith(SUFFIXES):
            continue                    # deleted: nothing to check
        files.append((None if status == 'A' else names[0], new))
    return files


def _blob(tree: Path, commit: str, path: str) -> Optional[str]:
    out = gitutil.git(tree, 'rev-parse', '-q', '--verify',
                      f'{commit}:{path}', check=False).strip()
    return out or None


def _script_env() -> dict[str, str]:
    env = tool_env()
    for k in _SCRIPT_ENV:
        env.pop(k, None)
    return env


def _run_one(tree: Path, script: str, blob: str, path: str,
             work: Path) -> tuple[bool, str]:
    """(ran, output) of kernel-doc on the blob, named path."""
    data = gitutil.git_bytes(tree, 'cat-file', 'blob', blob)
    if data is None:
        return False, f'git cat-file blob {blob} ({path}) failed'
    target = work / 'src' / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    try:
        proc = subprocess.run([PERL, script, *ARGS, path], cwd=work / 'src',
                              env=_script_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              errors='replace')
    except OSError as e:
        return False, f'cannot run {PERL}: {e.strerror or e}'
    finally:
        target.unlink()
    return proc.returncode == 0, proc.stdout


class _Runner:
    """kernel-doc on blobs, through the cache."""

    def __init__(self, ctx: Context, tree: Path, script_blob: str,
                 work: Path) -> None:
        self.ctx, self.tree, self.work = ctx, tree, work
        self.script_blob = script_blob
        self.script = work / 'kernel-doc'
        self.cached = True
        self.problem = ''

    def output(self, commit: str, path: str) -> Optional[str]:
        """kernel-doc's output on path at commit; None when it failed
        (self.problem says why)."""
        blob = _blob(self.tree, commit, path)
        if blob is None:
            return ''
        key = cache_key(self.script_blob, blob, path, ' '.join(ARGS))
        cache = self.ctx.state / 'cache' / 'kernel-doc' / f'{key}.txt'
        if self.ctx.cache and cache.exists():
            return cache.read_text()
        self.cached = False
        if not self.script.exists():
            data = gitutil.git_bytes(self.tree, 'cat-file', 'blob',
                                     self.script_blob) or b''
            self.script.write_bytes(data)
        ok, text = _run_one(self.tree, str(self.script), blob, path,
                            self.work)
        if not ok:
            tail = [l for l in text.strip().splitlines() if l.strip()][-2:]
            self.problem = f'{SCRIPT} failed on {path}: ' + (
                ' / '.join(tail) or 'no output')
            return None
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(text)
        return text


def run(ctx: Context, tree: Path, commit: str, log: Path) -> Check:
    """kernel-doc on the patch's commit: the warnings it introduces."""
    check = Check()
    script_blob = _blob(tree, commit, SCRIPT)
    if script_blob is None:
        check.problem = f'{SCRIPT} is not in the tree at this patch'
        return check
    files = touched_files(tree, commit)
    check.ran = True
    names = [new for _, new in files]
    check.checked = ', '.join(names[:SHOWN]) + (
        f' and {len(names) - SHOWN} more' if len(names) > SHOWN else '') \
        if names else 'no .c or .h file touched'
    if not files:
        check.before = check.now = 0
        return check
    logged: list[str] = []
    before: list[DocWarning] = []
    after: list[DocWarning] = []
    with tempfile.TemporaryDirectory(prefix='pcl-kernel-doc-') as work:
        runner = _Runner(ctx, tree, script_blob, Path(work))
        for old, new in files:
            sides = [('at the patch', commit, new, after)]
            if old is not None:
                sides.append(('at the parent', f'{commit}^', old, before))
            for side, rev, path, into in sides:
                text = runner.output(rev, path)
                if text is None:
                    check.ran = False
                    check.problem = runner.problem
                    return check
                logged.append(f'== {path} {side}\n' +
                              (text or '(no warnings)\n'))
                into.extend(parse(text))
    check.cached = runner.cached
    check.before = sum(w.level == 'WARNING' for w in before)
    check.now = sum(w.level == 'WARNING' for w in after)
    seen = Counter(w.message for w in before)
    for w in after:
        if seen[w.message]:
            seen[w.message] -= 1
            continue
        check.add(w.level, w.message, f'{w.path}:{w.line}')
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f'{SCRIPT} {" ".join(ARGS)}\n\n' + '\n'.join(logged))
    return check
