"""The patch series in patches/: reading, hashing, applying with git am."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import gitutil, ui
from .errors import Exit, PclError

COVER_LETTER = '0000-cover-letter.patch'
SERIES_FILE = 'series'
PATCH_NAME = re.compile(r'^\d{4}-.+\.patch$')


@dataclass
class Series:
    directory: Path
    patches: list[Path]

    @property
    def cover(self) -> Path:
        return self.directory / COVER_LETTER

    def __len__(self) -> int:
        return len(self.patches)


def read(directory: Path) -> Series:
    """Read patches/series (quilt-style: one file name a line, in order).

    A missing series file means an empty series.
    """
    series_file = directory / SERIES_FILE
    if not series_file.exists():
        strays = [p.name for p in sorted(directory.glob('*.patch'))
                  if p.name != COVER_LETTER] if directory.is_dir() else []
        if strays:
            raise PclError(Exit.USAGE, f'{directory}/{SERIES_FILE} is missing '
                           f'but {len(strays)} patch files exist '
                           f'(e.g. {strays[0]}): list them in {SERIES_FILE}')
        return Series(directory, [])
    patches = []
    for lineno, line in enumerate(series_file.read_text().splitlines(), 1):
        name = line.split('#', 1)[0].strip()
        if not name:
            continue
        path = directory / name
        if not path.is_file():
            raise PclError(Exit.USAGE, f'{series_file}:{lineno}: '
                           f'{name} does not exist')
        patches.append(path)
    return Series(directory, patches)


def content_hash(series: Series) -> str:
    """Hash of what determines the patched tree: series order and patches."""
    h = hashlib.sha256()
    for patch in series.patches:
        h.update(patch.name.encode() + b'\0')
        h.update(hashlib.sha256(patch.read_bytes()).digest())
    return h.hexdigest()


def subject(patch: Path) -> str:
    with patch.open('rb') as f:
        msg = email.message_from_binary_file(
            f, policy=email.policy.default)
    return re.sub(r'^\[[^]]*\]\s*', '', str(msg.get('Subject', '')).strip())


def _patch_ids(tree: Path, text: bytes) -> list[str]:
    out = gitutil.git(tree, 'patch-id', '--stable', input=text)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def applied_base(tree: Path, series: Series) -> Optional[str]:
    """If the last len(series) commits at HEAD are the series (same
    patch-ids, same order), return the commit below them."""
    n = len(series)
    if n == 0:
        return gitutil.head(tree)
    wanted = []
    for patch in series.patches:
        ids = _patch_ids(tree, patch.read_bytes())
        if len(ids) != 1:
            return None
        wanted.append(ids[0])
    if not gitutil.git_ok(tree, 'rev-parse', '-q', '--verify', f'HEAD~{n}'):
        return None
    log = gitutil.git(tree, 'log', '-p', '--no-merges', '--reverse',
                      '--format=commit %H', f'HEAD~{n}..HEAD')
    have = _patch_ids(tree, log.encode())
    if have != wanted:
        return None
    return gitutil.git(tree, 'rev-parse', f'HEAD~{n}').strip()


def apply(tree: Path, series: Series) -> None:
    """git am the whole series; on failure abort so HEAD and the work tree
    are as before, and raise naming the patch and git's reason."""
    if not series.patches:
        ui.info('The series is empty: nothing to apply')
        return
    env = gitutil.queue_ident_env(tree)
    with ui.step(f'Applying {len(series)} patches with git am'):
        rc, out = gitutil.output(tree, 'am', '--quiet',
                                 *[str(p) for p in series.patches], env=env)
        if rc == 0:
            return
        index = _failed_index(out)
        gitutil.git(tree, 'am', '--abort', check=False)
        if index is not None and 0 < index <= len(series):
            patch = series.patches[index - 1]
            what = f'{patch.name} ("{subject(patch)}")'
        else:
            what = 'a patch of the series'
        raise PclError(Exit.PATCH_FAILED,
                       f'{what} does not apply to {tree}; '
                       'the tree is left as it was',
                       _reason(out))


def _failed_index(output: str) -> Optional[int]:
    m = re.search(r'^Patch failed at (\d+)', output, re.M)
    return int(m.group(1)) if m else None


def _reason(output: str) -> str:
    """git am's explanation, without its advice on how to continue."""
    lines = []
    for line in output.splitlines():
        if line.startswith(('hint:', 'When you have resolved',
                            'If you prefer to skip', 'To restore the original',
                            'Use \'git am --show-current-patch')):
            continue
        lines.append(line)
    return '\n'.join(lines).strip()
