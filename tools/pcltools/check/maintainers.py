"""scripts/get_maintainer.pl on the series: maintainers in To, reviewers
and lists in Cc."""

from __future__ import annotations

import re
from pathlib import Path

from .checkpatch import run_script


def maintainers(tree: Path, patches: list[Path]) -> tuple[list[str],
                                                         list[str], str]:
    """(To, Cc, problem): maintainers in To, reviewers and lists in Cc."""
    script = tree / 'scripts/get_maintainer.pl'
    if not script.exists():
        return [], [], 'scripts/get_maintainer.pl not found'
    out = run_script(tree, 'scripts/get_maintainer.pl', '--no-git',
                     '--no-git-fallback', '--no-tree',
                     *[str(p) for p in patches])
    to: list[str] = []
    cc: list[str] = []
    for line in out.splitlines():
        m = re.match(r'^(.*?<[^<>@\s]+@[^<>\s]+>|[^<>@\s]+@\S+)\s+\((.*)\)$',
                     line.strip())
        if not m:
            continue
        addr, role = m.group(1), m.group(2)
        (to if role.startswith('maintainer') else cc).append(addr)
    problem = '' if to or cc else 'get_maintainer.pl found nobody: ' + \
        ' / '.join(out.strip().splitlines()[:2])
    return list(dict.fromkeys(to)), list(dict.fromkeys(cc)), problem
