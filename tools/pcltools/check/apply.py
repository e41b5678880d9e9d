"""git am of one patch and, when it does not apply, which file and
hunk do not (from git apply --check -v)."""

from __future__ import annotations

import re
from pathlib import Path

from .. import gitutil


def _hunk_of(patch: Path, path: str, line: int) -> str:
    """'hunk #2 (@@ -120,7 +120,9 @@ ...)' of path in patch at old line."""
    current, n = '', 0
    for raw in patch.read_text(errors='replace').splitlines():
        if raw.startswith('diff --git '):
            current, n = '', 0
            m = re.match(r'diff --git a/(\S+) b/(\S+)', raw)
            if m:
                current = m.group(1)
        elif raw.startswith('@@ ') and current == path:
            n += 1
            m = re.match(r'@@ -(\d+)', raw)
            if m and int(m.group(1)) == line:
                return f'hunk #{n} ({raw.strip()})'
    return f'the hunk at line {line}'


def apply_failure(tree: Path, patch: Path, am_output: str) -> str:
    """Which file and hunk do not apply, from git apply --check -v."""
    _, out = gitutil.output(tree, 'apply', '--check', '-v', str(patch))
    lines: list[str] = []
    for m in re.finditer(r'^error: patch failed: (\S+):(\d+)$', out, re.M):
        lines.append(f'{m.group(1)}: {_hunk_of(patch, m.group(1), int(m.group(2)))}'
                     ' does not apply')
    for m in re.finditer(r'^error: (\S+): (does not exist in index|'
                         r'already exists in (?:index|working directory)|'
                         r'No such file or directory)$', out, re.M):
        lines.append(f'{m.group(1)}: {m.group(2)}')
    searching = re.search(r'^error: while searching for:\n(.*?)\n(?=error:)',
                          out, re.M | re.S)
    if searching:
        ctx_lines = [l for l in searching.group(1).splitlines()][:4]
        lines.append('  git looked for:')
        lines.extend(f'  | {l}' for l in ctx_lines)
    if not lines:
        reason = [l for l in (out or am_output).splitlines()
                  if l.startswith(('error:', 'fatal:', 'Patch failed',
                                   'patch:'))]
        lines = reason[:6] or ['git am failed: ' +
                               ' / '.join(am_output.strip().splitlines()[:3])]
    return '\n'.join(dict.fromkeys(lines))


def git_am(tree: Path, patch: Path) -> tuple[bool, str]:
    rc, out = gitutil.output(tree, 'am', '--quiet', str(patch),
                             env=gitutil.queue_ident_env(tree))
    if rc == 0:
        return True, ''
    detail = apply_failure(tree, patch, out)
    gitutil.git(tree, 'am', '--abort', check=False)
    return False, detail
