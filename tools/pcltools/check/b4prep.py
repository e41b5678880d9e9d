"""b4 prep takes the series as a branch: the applied commits on a branch
whose description is the cover letter (as `make queue-prepare` leaves
it, b4's `prep-cover-strategy = branch-description`), enrolled with
`b4 prep -e` on a branch at the base and written out with `b4 prep -p`.
b4's patches must be the series': each, applied (`git mailinfo`, `git
apply --cached`) onto the tree of the series' commit below it, must give
the tree of the series' own commit, with the same subject; its cover
letter must have the series' subject and text.

It runs in a throwaway clone of the scratch tree (`git clone --shared
--no-checkout`, a sparse checkout of nothing, so that the tree is clean
as b4 wants it and none of the kernel's files is written), with git and
b4 reading no global or system configuration (a `diff.noprefix` or
`b4.*` setting of the user's would change what b4 writes), so the
scratch tree's branches and configuration are left as they were. What
b4 wrote is kept in the report directory (b4/)."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from .. import config, gitutil, mbox, patchqueue
from .model import Check

PACKAGE = 'b4'
BRANCH = 'pcl-b4-prep'
BASE_BRANCH = 'pcl-b4-base'         # what b4 finds the fork point with


def environment() -> dict[str, str]:
    """git's and b4's environment in the clone: no global or system
    configuration, b4's settings and an identity through git's
    environment configuration, a UTF-8 locale."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('GIT_CONFIG_')}
    env.update(GIT_CONFIG_GLOBAL='/dev/null', GIT_CONFIG_NOSYSTEM='1',
               LC_ALL='C.UTF-8')
    settings = [('b4.prep-cover-strategy', 'branch-description'),
                ('b4.attestation-policy', 'off'),
                ('user.name', config.QUEUE_IDENT_NAME),
                ('user.email', config.QUEUE_IDENT_EMAIL)]
    for i, (key, value) in enumerate(settings):
        env[f'GIT_CONFIG_KEY_{i}'] = key
        env[f'GIT_CONFIG_VALUE_{i}'] = value
    env['GIT_CONFIG_COUNT'] = str(len(settings))
    return env


def _version() -> str:
    try:
        proc = subprocess.run(['b4', '--version'], text=True,
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    except OSError:
        return ''
    return proc.stdout.strip() if proc.returncode == 0 else ''


class _Clone:
    """The throwaway clone, b4 run in it, and its log."""

    def __init__(self, tree: Path, work: Path) -> None:
        self.tree, self.work = tree, work
        self.env = environment()
        self.log: list[str] = []

    def git(self, *args: str, index: Optional[Path] = None) -> str:
        env = dict(self.env)
        if index is not None:
            env['GIT_INDEX_FILE'] = str(index)
        return gitutil.git(self.work, *args, env=env)

    def enrol(self, base: str, tip: str,
              cover: Optional[patchqueue.Cover]) -> None:
        gitutil.git(self.tree.parent, 'clone', '-q', '--shared',
                    '--no-checkout', str(self.tree), str(self.work),
                    env=self.env)
        self.git('sparse-checkout', 'set', '--no-cone', '/.pcl-none')
        self.git('branch', BASE_BRANCH, base)
        self.git('checkout', '-q', '-b', BRANCH, tip)
        if cover is not None:
            self.git('config', f'branch.{BRANCH}.description',
                     cover.description().rstrip('\n'))

    def b4(self, *args: str) -> tuple[int, str]:
        proc = subprocess.run(['b4', *args], cwd=self.work, env=self.env,
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        text = proc.stdout.decode(errors='replace')
        self.log.append(f'$ b4 {" ".join(args)}\n{text}')
        return proc.returncode, text

    def tree_after(self, below: str, patch: Path, scratch: Path) -> str:
        """The tree of below with the mail's patch applied, or the reason
        it does not apply."""
        info = scratch / 'info'
        info.mkdir(exist_ok=True)
        diff = info / 'patch'
        gitutil.git(self.work, 'mailinfo', '-k', str(info / 'msg'),
                    str(diff), input=patch.read_bytes(), env=self.env)
        index = scratch / 'index'
        index.unlink(missing_ok=True)
        self.git('read-tree', below, index=index)
        env = dict(self.env, GIT_INDEX_FILE=str(index))
        rc, out = gitutil.output(self.work, 'apply', '--cached', str(diff),
                                 env=env)
        if rc != 0:
            return 'does not apply: ' + (out.strip().splitlines() or
                                         ['git apply failed'])[0]
        return self.git('write-tree', index=index).strip()


def run(tree: Path, commits: list[str], patches: list[mbox.Patch],
        cover_path: Optional[Path], report_dir: Path) -> Check:
    """b4 prep on the series applied in tree as commits (in order);
    b4's output and log go to report_dir."""
    version = _version()
    if not version:
        return Check(problem=f'b4 is not installed (Debian package {PACKAGE};'
                     ' `tools/pcl deps --check` installs it)')
    if cover_path is None and len(patches) > 1:
        return Check(note='not run: the series has no cover letter, which '
                     'b4 prep takes from the branch description')
    base = gitutil.git(tree, 'rev-parse', '--verify',
                       f'{commits[0]}^').strip()
    check = Check(ran=True, checked=f'b4 {version} prep -e, -p: '
                  f'{len(patches)} patches' +
                  (' and the cover letter' if len(patches) > 1 else ''))
    cover = patchqueue.parse_cover(cover_path.read_bytes()) \
        if cover_path is not None else None
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True)
    log_path = report_dir / 'prep.txt'
    with tempfile.TemporaryDirectory(prefix='pcl-b4-') as tmp:
        clone = _Clone(tree, Path(tmp) / 'tree')
        out = report_dir / 'patches'
        try:
            clone.enrol(base, commits[-1], cover)
            rc, text = clone.b4('prep', '-e', BASE_BRANCH)
            if rc == 0:
                rc, text = clone.b4('prep', '-p', str(out))
        except gitutil.GitError as e:
            return Check(problem=f'the branch for b4 prep: {e.message}')
        finally:
            log_path.write_text('\n'.join(clone.log), encoding='utf-8')
        if rc != 0:
            last = next((line.strip() for line in reversed(text.splitlines())
                         if line.strip()), f'exit status {rc}')
            return Check(problem=f'b4 prep failed: {last} (log: {log_path})')
        written = sorted(out.glob('*.patch'))
        if cover is not None and len(patches) > 1:
            if not written or not written[0].name.startswith('0000-'):
                check.add('ERROR', 'b4 wrote no cover letter', str(out))
            else:
                _compare_cover(check, cover, written.pop(0), report_dir)
        _compare_patches(check, clone, base, commits, patches, written,
                         Path(tmp), report_dir)
    return check


def _subject(path: Path) -> str:
    msg = email.message_from_bytes(path.read_bytes(),
                                   policy=email.policy.default)
    return ' '.join(str(msg.get('Subject', '')).split())


def _compare_patches(check: Check, clone: _Clone, base: str,
                     commits: list[str], patches: list[mbox.Patch],
                     written: list[Path], scratch: Path,
                     report_dir: Path) -> None:
    if len(written) != len(patches):
        check.add('ERROR', f'b4 wrote {len(written)} patches, the series has '
                  f'{len(patches)}')
    for i, (ours, path) in enumerate(zip(patches, written)):
        where = str(path.relative_to(report_dir.parent))
        _, title = mbox.parse_subject(_subject(path))
        if title != ours.title:
            check.add('ERROR', f'{ours.label}: b4\'s subject is "{title}", '
                      f'not "{ours.title}"', where)
        below = commits[i - 1] if i else base
        got = clone.tree_after(below, path, scratch)
        want = clone.git('rev-parse', f'{commits[i]}^{{tree}}').strip()
        if got != want:
            check.add('ERROR', f'{ours.label}: b4\'s patch ' + (
                got if got.startswith('does not apply') else
                'gives another tree than the series\' commit') +
                ' (applied onto the series\' commit below it)', where)


def _text(cover: patchqueue.Cover) -> list[str]:
    """The cover letter's text as compared: lines without trailing
    blanks, runs of blank lines as one (b4 collapses them), b4's '---'
    before its shortlog left out."""
    lines: list[str] = []
    for line in cover.blurb.strip('\n').split('\n'):
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and lines[-1] in ('', '---'):
        lines.pop()
    return lines


def _why(ours: list[str], line: int) -> str:
    """What b4 is known to do to such a line of a branch description."""
    if line >= len(ours):
        return ''
    text = ours[line]
    if text.startswith('#'):
        return ': b4 drops the lines of a branch description that start ' \
            'with "#" (its comments)'
    if text.startswith(('To: ', 'Cc: ')):
        return ': b4 takes To: and Cc: lines of a branch description as ' \
            'recipients'
    last = max((i + 1 for i, x in enumerate(ours) if not x), default=0)
    if line == last and text != text.lstrip():
        return ': b4 strips the indentation of the first line of a branch ' \
            'description\'s last paragraph; start that paragraph unindented'
    return ''


def _compare_cover(check: Check, ours: patchqueue.Cover, path: Path,
                   report_dir: Path) -> None:
    where = str(path.relative_to(report_dir.parent))
    theirs = patchqueue.parse_cover(path.read_bytes())
    if theirs.subject != ours.subject:
        check.add('ERROR', f'the cover letter\'s subject is "{theirs.subject}"'
                  f', not "{ours.subject}"', where)
    a, b = _text(ours), _text(theirs)
    if a == b:
        return
    line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y),
                min(len(a), len(b)))
    mine = a[line] if line < len(a) else '(end)'
    b4s = b[line] if line < len(b) else '(end)'
    check.add('ERROR', f'the cover letter\'s text differs from line '
              f'{line + 1}: "{b4s}" where the series has "{mine}"' +
              _why(a, line), where)
