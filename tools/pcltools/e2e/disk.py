"""The end-to-end layer's test disk: a fresh image of one of the
filesystems the programs run on, made on the host before the boot, and
checked on the host after it (e2fsck -fn, xfs_repair -n), so that a
write path that corrupts the filesystem fails the run."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import Exit, PclError

FILESYSTEMS = ('ext2', 'ext4', 'xfs')
LABEL = 'pcl-e2e'
# mkfs.xfs refuses filesystems under 300 MiB; the images are sparse.
SIZE = {'ext2': '64M', 'ext4': '64M', 'xfs': '320M'}
TOOLS = {'ext2': ('mke2fs', 'e2fsck'), 'ext4': ('mke2fs', 'e2fsck'),
         'xfs': ('mkfs.xfs', 'xfs_repair')}
PACKAGE = {'mke2fs': 'e2fsprogs', 'e2fsck': 'e2fsprogs',
           'mkfs.xfs': 'xfsprogs', 'xfs_repair': 'xfsprogs'}


@dataclass
class Check:
    ok: bool
    command: str
    output: str


def find_tool(name: str) -> str:
    """A filesystem tool, also from /sbin and /usr/sbin."""
    path = os.environ.get('PATH', '') + ':/sbin:/usr/sbin'
    found = shutil.which(name, path=path)
    if not found:
        raise PclError(Exit.MISSING_PACKAGES, f'{name} not found (Debian '
                       f'package: {PACKAGE[name]})')
    return found


def _known(fs: str) -> None:
    if fs not in FILESYSTEMS:
        raise PclError(Exit.USAGE, f'unknown filesystem {fs!r} (known: '
                       f'{", ".join(FILESYSTEMS)})')


def make(image: Path, fs: str) -> None:
    """A fresh, empty, sparse image of fs with 4 KiB blocks."""
    _known(fs)
    tool = find_tool(TOOLS[fs][0])
    image.unlink(missing_ok=True)
    with image.open('wb') as f:
        f.truncate(_bytes(SIZE[fs]))
    if fs == 'xfs':
        cmd = [tool, '-q', '-f', '-b', 'size=4096', '-L', LABEL, str(image)]
    else:
        cmd = [tool, '-q', '-F', '-t', fs, '-b', '4096', '-L', LABEL,
               str(image)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          text=True)
    if proc.returncode != 0:
        image.unlink(missing_ok=True)
        raise PclError(Exit.INTERNAL, f'{" ".join(cmd)} failed:\n'
                       f'{proc.stdout.strip()}')


def check(image: Path, fs: str) -> Check:
    """The filesystem checker on the image, changing nothing: e2fsck -fn
    (exit 0: clean) or xfs_repair -n (exit 0: clean)."""
    _known(fs)
    tool = find_tool(TOOLS[fs][1])
    cmd = [tool, '-n', '-f', str(image)] if fs == 'xfs' else \
        [tool, '-f', '-n', str(image)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          text=True, errors='replace')
    return Check(proc.returncode == 0, ' '.join([Path(tool).name, *cmd[1:]]),
                 proc.stdout)


def _bytes(size: str) -> int:
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}
    return int(size[:-1]) * units[size[-1]]
