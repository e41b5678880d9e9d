"""b4 prep takes the series as a branch: the applied commits on a branch
whose description is the cover letter (as `make queue-prepare` leaves
it, b4's `prep-cover-strategy = branch-description`), enrolled with
`b4 prep -e <base>` and written out with `b4 prep -p`; b4's patches must
be the series' (same subjects, same diffs by `git patch-id --stable`),
and its cover letter must have the series' subject and text.

It runs in a throwaway clone of the scratch tree (`git clone --shared
--no-checkout`, a sparse checkout of nothing, so that the tree is clean
as b4 wants it and nothing of the kernel's files is written), so the
scratch tree's branches and configuration are left as they were."""

from __future__ import annotations

import email
import email.policy
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from .. import gitutil, mbox, patchqueue
from .model import Check

PACKAGE = 'b4'
BRANCH = 'pcl-b4-prep'
BASE_BRANCH = 'pcl-b4-base'         # what b4 finds the fork point with
CHECK_NAME = 'b4 prep'


def _b4(work: Path, log: list[str], *args: str) -> tuple[int, str]:
    proc = subprocess.run(['b4', *args], cwd=work, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log.append(f'$ b4 {" ".join(args)}\n{proc.stdout}')
    return proc.returncode, proc.stdout


def _patch_id(work: Path, data: bytes) -> str:
    out = gitutil.git(work, 'patch-id', '--stable', input=data)
    return out.split()[0] if out.strip() else ''


def _version() -> str:
    try:
        proc = subprocess.run(['b4', '--version'], text=True,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    except OSError:
        return ''
    return proc.stdout.strip() if proc.returncode == 0 else ''


def _text(cover: patchqueue.Cover) -> list[str]:
    """The cover letter's text as b4 and git write it: lines without
    trailing blanks, b4's '---' before its shortlog left out."""
    lines = [line.rstrip() for line in cover.blurb.strip('\n').split('\n')]
    while lines and lines[-1] in ('', '---'):
        lines.pop()
    return lines


def _compare_cover(check: Check, ours: patchqueue.Cover, path: Path) -> None:
    theirs = patchqueue.parse_cover(path.read_bytes())
    if theirs.subject != ours.subject:
        check.add('ERROR', f'the cover letter\'s subject is "{theirs.subject}"'
                  f', not "{ours.subject}"', path.name)
    a, b = _text(ours), _text(theirs)
    if a != b:
        line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y),
                    min(len(a), len(b)))
        check.add('ERROR', f'the cover letter\'s text differs from line '
                  f'{line + 1}: "{b[line] if line < len(b) else "(end)"}" '
                  f'where the series has "{a[line] if line < len(a) else "(end)"}"',
                  path.name)


def run(tree: Path, base: str, tip: str, patches: list[mbox.Patch],
        cover_path: Optional[Path], log_path: Path) -> Check:
    """b4 prep on the series applied in tree (base..tip)."""
    version = _version()
    if not version:
        return Check(problem=f'b4 is not installed (Debian package {PACKAGE};'
                     ' `tools/pcl deps --check` installs it)')
    if cover_path is None and len(patches) > 1:
        return Check(note='not run: the series has no cover letter, which '
                     'b4 prep takes from the branch description')
    base = gitutil.git(tree, 'rev-parse', '--verify', base).strip()
    check = Check(ran=True, checked=f'b4 {version} prep -e, -p: '
                  f'{len(patches)} patches' +
                  (' and the cover letter' if len(patches) > 1 else ''))
    cover = patchqueue.parse_cover(cover_path.read_bytes()) \
        if cover_path is not None else None
    log: list[str] = []
    with tempfile.TemporaryDirectory(prefix='pcl-b4-') as tmp:
        work, out = Path(tmp) / 'tree', Path(tmp) / 'out'
        try:
            _enrol(tree, work, base, tip, cover)
        except gitutil.GitError as e:
            return Check(problem=f'the branch for b4 prep: {e.message}')
        rc, text = _b4(work, log, 'prep', '-e', BASE_BRANCH)
        if rc == 0:
            rc, text = _b4(work, log, 'prep', '-p', str(out))
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text('\n'.join(log))
        if rc != 0:
            last = next((line.strip() for line in reversed(text.splitlines())
                         if line.strip()), f'exit status {rc}')
            check.add('ERROR', f'b4 prep failed: {last}', log_path.name)
            return check
        written = sorted(out.glob('*.patch'))
        if cover is not None and len(patches) > 1:
            if not written or not written[0].name.startswith('0000-'):
                check.add('ERROR', 'b4 wrote no cover letter', str(out))
            else:
                _compare_cover(check, cover, written.pop(0))
        _compare_patches(check, work, patches, written)
    return check


def _enrol(tree: Path, work: Path, base: str, tip: str,
           cover: Optional[patchqueue.Cover]) -> None:
    gitutil.git(tree.parent, 'clone', '-q', '--shared', '--no-checkout',
                str(tree), str(work))
    for key, value in (('user.name', 'pagecache-lock check'),
                       ('user.email', 'check@pagecache-lock.invalid'),
                       ('b4.prep-cover-strategy', 'branch-description')):
        gitutil.git(work, 'config', key, value)
    gitutil.git(work, 'sparse-checkout', 'set', '--no-cone', '/.pcl-none')
    gitutil.git(work, 'branch', BASE_BRANCH, base)
    gitutil.git(work, 'checkout', '-q', '-b', BRANCH, tip)
    if cover is not None:
        gitutil.git(work, 'config', f'branch.{BRANCH}.description',
                    cover.description().rstrip('\n'))


def _compare_patches(check: Check, work: Path, patches: list[mbox.Patch],
                     written: list[Path]) -> None:
    if len(written) != len(patches):
        check.add('ERROR', f'b4 wrote {len(written)} patches, the series has '
                  f'{len(patches)}')
    for ours, path in zip(patches, written):
        data = path.read_bytes()
        msg = email.message_from_bytes(data, policy=email.policy.default)
        subject = ' '.join(str(msg.get('Subject', '')).split())
        _, title = mbox.parse_subject(subject)
        if title != ours.title:
            check.add('ERROR', f'{ours.label}: b4\'s subject is "{title}", '
                      f'not "{ours.title}"', path.name)
        if _patch_id(work, data) != _patch_id(work, ours.path.read_bytes()):
            check.add('ERROR', f'{ours.label}: b4\'s diff is not the '
                      'series\' (git patch-id --stable differs)', path.name)
