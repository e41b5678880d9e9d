"""The reStructuredText syntax of the .rst files a patch touches, without
Sphinx: docutils' parser (check/rstparse.py, in an interpreter that has
Debian's python3-docutils) at the patch and at its parent
(check/touched.py), the warnings the patch introduces; cached by the
parser, docutils' version and the file contents.

What it reports is what `make htmldocs` would print of the parser for
these files (a title underline too short, an unknown directive or role,
inline markup left open, a list or table that ends wrong), all
WARNINGs, as the docs build prints them; what only Sphinx's build sees
(a broken :ref: or :doc:, a kernel-doc comment, a document missing from
a toctree) is not: that needs `make htmldocs`."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path
from typing import Optional

from .. import config, gitutil
from .model import Check, Context
from .touched import CachedTool, FileWarning, compare, touched_files

PARSER = Path(__file__).with_name('rstparse.py')
SUFFIXES = ('.rst',)
PACKAGE = 'python3-docutils'
_LINE = re.compile(r'^(.+?):(\d+): (WARNING|ERROR|SEVERE): (.*)$')


def parse(text: str) -> list[FileWarning]:
    """rstparse.py's lines 'path:line: LEVEL: message'; an ERROR or
    SEVERE keeps its level in the message."""
    out: list[FileWarning] = []
    for raw in text.splitlines():
        m = _LINE.match(raw)
        if m:
            kind = '' if m.group(3) == 'WARNING' else f'{m.group(3)}: '
            out.append(FileWarning(m.group(1), int(m.group(2)),
                                   kind + m.group(4)))
    return out


@functools.cache
def interpreter() -> Optional[tuple[str, str]]:
    """(python3, docutils version) of this interpreter or Debian's,
    whichever has docutils; asked once per run, not once per patch."""
    for python in dict.fromkeys([sys.executable, config.DEBIAN_PYTHON]):
        try:
            proc = subprocess.run([python, str(PARSER), '--version'],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        except OSError:
            continue
        if proc.returncode == 0 and proc.stdout.strip():
            return python, proc.stdout.strip()
    return None


class _Parser(CachedTool):
    """rstparse.py on blobs, through the cache."""

    def __init__(self, ctx: Context, tree: Path, python: str,
                 version: str) -> None:
        super().__init__(ctx, tree, 'rst', PARSER.read_bytes(), version)
        self.python = python

    def produce(self, blob: str, path: str) -> Optional[str]:
        data = gitutil.git_bytes(self.tree, 'cat-file', 'blob', blob)
        if data is None:
            self.problem = f'git cat-file blob {blob} ({path}) failed'
            return None
        proc = subprocess.run([self.python, '-W', 'ignore', str(PARSER),
                               path], input=data, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        if proc.returncode != 0:
            tail = proc.stderr.decode(errors='replace').strip()
            self.problem = f'the rst parser failed on {path}: ' + (
                tail.splitlines()[-1] if tail else
                f'exit status {proc.returncode}')
            return None
        return proc.stdout.decode(errors='replace')


def run(ctx: Context, tree: Path, commit: str, log: Path) -> Check:
    """docutils on the patch's .rst files: the warnings it introduces."""
    found = interpreter()
    if found is None:
        if not touched_files(tree, commit, SUFFIXES):
            return Check(ran=True, checked='no .rst file touched',
                         before=0, now=0)
        return Check(problem='docutils is not installed (Debian package '
                     f'{PACKAGE}; `tools/pcl deps` installs it)')
    python, version = found
    return compare(tree, commit, log,
                   f'docutils {version} parser (check/rstparse.py)',
                   SUFFIXES, _Parser(ctx, tree, python, version), parse)
