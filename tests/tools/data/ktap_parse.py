#!/usr/bin/env python3
"""Stands in for `kunit.py parse --json=FILE LOG` where no kernel tree is
around: reads KTAP (nested subtests, "# SKIP" directives, a raw kernel
log with text before the first "KTAP version" line) into kunit.py's JSON
(KernelCI format). As kunit.py does, a subtest planned but not reported
(the kernel crashed) is a case with an empty name and status ERROR.
"""
import json
import re
import sys
from pathlib import Path

START = re.compile(r'^(.*?)(?:K?TAP version \d+)\s*$')
PLAN = re.compile(r'^1\.\.(\d+)')
RESULT = re.compile(r'^(not )?ok \d+ (\S+)(.*)$')
SUBTEST = re.compile(r'^# Subtest: (\S+)')


def lines_of(text: str) -> list[tuple[int, str]]:
    """(depth, line) of the KTAP lines, depth counted in 4-space steps."""
    out: list[tuple[int, str]] = []
    prefix = None
    for raw in text.splitlines():
        if prefix is None:
            m = START.match(raw)
            if not m:
                continue
            prefix = len(m.group(1))
        line = raw[prefix:]
        body = line.lstrip(' ')
        out.append(((len(line) - len(body)) // 4, body))
    return out


def group(items: list[tuple[int, str]], pos: int, depth: int,
          name: str) -> tuple[dict[str, object], int]:
    cases: list[dict[str, str]] = []
    groups: list[dict[str, object]] = []
    planned = None
    pending = None
    while pos < len(items):
        d, text = items[pos]
        if d < depth:
            break
        if d > depth:
            pending, pos = group(items, pos, d, '')
            continue
        pos += 1
        m = SUBTEST.match(text)
        if m and not name:
            name = m.group(1)
            continue
        m = PLAN.match(text)
        if m and planned is None:
            planned = int(m.group(1))
            continue
        m = RESULT.match(text)
        if not m:
            continue
        if pending is not None:
            pending['name'] = pending['name'] or m.group(2)
            groups.append(pending)
            pending = None
            continue
        status = 'SKIP' if re.search(r'#\s*SKIP', m.group(3)) else \
            'FAIL' if m.group(1) else 'PASS'
        cases.append({'name': m.group(2), 'status': status})
    if pending is not None:
        groups.append(pending)
    for _ in range(len(cases) + len(groups), planned or 0):
        cases.append({'name': '', 'status': 'ERROR'})
    return {'name': name, 'sub_groups': groups, 'test_cases': cases}, pos


def main() -> int:
    opts = dict(a[2:].split('=', 1) for a in sys.argv[2:]
                if a.startswith('--') and '=' in a)
    if sys.argv[1] != 'parse' or 'json' not in opts:
        print('usage: ktap_parse.py parse --json=FILE LOG', file=sys.stderr)
        return 2
    items = lines_of(Path(sys.argv[-1]).read_text(errors='replace'))
    root, _ = group(items, 0, 0, '')
    root['name'] = 'KUnit Test Group'
    Path(opts['json']).write_text(json.dumps(root, indent=4))
    return 0


if __name__ == '__main__':
    sys.exit(main())
