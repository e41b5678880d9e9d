"""The tree's scripts/kernel-doc -none on the .c and .h files a patch
touches, at the patch and at its parent (check/touched.py): the warnings
the patch introduces, cached by the script and the file contents.

kernel-doc is run with `-none -Wall`, as netdev's NIPA runs it on the
touched files before and after a patch. What `make W=1` reports
(scripts/Makefile.build, cmd_checkdoc: `scripts/kernel-doc -none`; the
warning level the kernel test robot builds with) is a WARNING; what only
-Wall adds (W=2: a missing description of the return value or a missing
short description, contents before sections) is a CHECK, a note. The
script is the patch's own, on both sides; a warning names the function
or member, so a moved function keeps its warnings."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from .. import gitutil
from .checkpatch import tool_env
from .model import Check, Context
from .touched import CachedTool, FileWarning, blob_id, compare

PERL = 'perl'
SCRIPT = 'scripts/kernel-doc'
ARGS = ('-none', '-Wall')
SUFFIXES = ('.c', '.h')
# What -Wall reports beyond `make W=1`: CHECKs.
WALL_ONLY = ('No description found for return value of',
             'missing initial short description',
             'contents before sections')
# The environment the script reads options from (scripts/kernel-doc):
# left out, so that every run warns alike.
_SCRIPT_ENV = ('KBUILD_VERBOSE', 'KCFLAGS', 'KDOC_WERROR')
_LINE = re.compile(r'^(.+?):(\d+): (warning|error): (.*)$')


def parse(text: str) -> list[FileWarning]:
    """kernel-doc's warnings: 'path:line: warning: message', a message
    continued on the next line when it quotes the source ('wrong
    kernel-doc identifier on line:' then the line); its errors ('Cannot
    parse struct or union!') count as warnings, as W=1 prints them
    alike."""
    out: list[FileWarning] = []
    for raw in text.splitlines():
        m = _LINE.match(raw)
        if m:
            kind = '' if m.group(3) == 'warning' else 'error: '
            out.append(FileWarning(m.group(1), int(m.group(2)),
                                   kind + m.group(4).strip()))
        elif out and raw.strip():       # the message goes on
            out[-1].message += ' ' + ' '.join(raw.split())
    for w in out:
        if w.message.startswith(WALL_ONLY):
            w.level = 'CHECK'
    return out


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


class _Runner(CachedTool):
    """kernel-doc on blobs, through the cache."""

    def __init__(self, ctx: Context, tree: Path, script_blob: str,
                 work: Path) -> None:
        super().__init__(ctx, tree, 'kernel-doc', script_blob, ' '.join(ARGS))
        self.work = work
        self.script_blob = script_blob
        self.script = work / 'kernel-doc'

    def produce(self, blob: str, path: str) -> Optional[str]:
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
        return text


def run(ctx: Context, tree: Path, commit: str, log: Path) -> Check:
    """kernel-doc on the patch's commit: the warnings it introduces."""
    script_blob = blob_id(tree, commit, SCRIPT)
    if script_blob is None:
        return Check(problem=f'{SCRIPT} is not in the tree at this patch')
    with tempfile.TemporaryDirectory(prefix='pcl-kernel-doc-') as work:
        runner = _Runner(ctx, tree, script_blob, Path(work))
        return compare(tree, commit, log, f'{SCRIPT} {" ".join(ARGS)}',
                       SUFFIXES, runner, parse)
