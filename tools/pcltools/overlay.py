"""kunit/: the editable copy of the KUnit suites, laid over a kernel tree.

kunit/<path> is installed as <tree>/<path>. A file is written only when
its content differs, so unchanged files keep their mtime and make does not
rebuild them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def files(overlay: Path) -> list[str]:
    """Overlay files as tree-relative POSIX paths (hidden files skipped)."""
    if not overlay.is_dir():
        return []
    result = []
    for path in sorted(overlay.rglob('*')):
        rel = path.relative_to(overlay)
        if path.is_file() and not any(p.startswith('.') for p in rel.parts) \
                and not rel.name.endswith(('~', '.orig', '.rej')):
            result.append(rel.as_posix())
    return result


def differs(overlay: Path, tree: Path, rel: str) -> bool:
    target = tree / rel
    if not target.is_file():
        return True
    return (overlay / rel).read_bytes() != target.read_bytes()


def install(overlay: Path, tree: Path) -> list[str]:
    """Copy changed overlay files into tree; return the ones written."""
    written = []
    for rel in files(overlay):
        if not differs(overlay, tree, rel):
            continue
        target = tree / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix='.pcl-')
        with os.fdopen(fd, 'wb') as f:
            f.write((overlay / rel).read_bytes())
        os.chmod(tmp, (overlay / rel).stat().st_mode & 0o777)
        os.replace(tmp, target)
        written.append(rel)
    return written
