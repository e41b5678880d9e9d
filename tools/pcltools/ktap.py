"""KTAP: its line patterns, assembling documents from parts, and counting
them with the tree's own `kunit.py parse` (used by the KUnit layers, the
end-to-end layer and its benchmark boots, and the kernel-log scan)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

JsonObj = dict[str, Any]

# A line of a kernel log may carry a timestamp and the indentation of
# its subtest.
_LOG_PREFIX = r'^\s*(?:\[[\s\d.]+\]\s*)?'
RESULT = re.compile(r'^(not )?ok (\d+)\b(.*)$')      # an unindented line
PLAN = re.compile(r'^1\.\.(\d+)')
LOG_RESULT = re.compile(_LOG_PREFIX + r'(?:not )?ok \d+ (\S+)')
LOG_HEADER = re.compile(_LOG_PREFIX + r'(?:KTAP version \d|# Subtest: )')


def case_result(name: str) -> re.Pattern[str]:
    """The result line of a case whose name matches the pattern name, in
    a kernel log or a program's output: group 1 is 'not ' on failure."""
    return re.compile(r'^\s*(not )?ok \d+ ' + name)


def indent(lines: Sequence[str], by: str = '    ') -> list[str]:
    return [by + line if line else line for line in lines]


def result_line(ok: bool, number: int, name: str, why: str = '') -> str:
    return f'{"" if ok else "not "}ok {number} {name}' + \
        (f' # {why}' if why else '')


def subtest(name: str, body: Sequence[str], planned: int) -> list[str]:
    """A subtest's lines before its result line (unindented)."""
    return ['KTAP version 1', f'# Subtest: {name}', f'1..{planned}',
            *body]


def document(parts: Sequence[Sequence[str]], oks: Sequence[bool],
             names: Sequence[str]) -> list[str]:
    """A whole KTAP document: one top-level subtest per part."""
    lines = ['KTAP version 1', f'1..{len(parts)}']
    for i, (part, ok, name) in enumerate(zip(parts, oks, names), 1):
        lines += indent(part)
        lines.append(result_line(ok, i, name))
    return lines


def parse(kunit_py: Path, log: Path, json_out: Path) -> JsonObj:
    """Parse KTAP (or a raw kernel log) with kunit.py parse; return JSON."""
    json_out.unlink(missing_ok=True)
    subprocess.run([sys.executable, str(kunit_py), 'parse',
                    f'--json={json_out}', str(log)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not json_out.exists():
        return {}
    obj: JsonObj = json.loads(json_out.read_text())
    return obj
