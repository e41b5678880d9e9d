"""The patch queue round trip: patches/ <-> commits in a kernel tree.

`prepare` applies the series as commits on a branch whose description holds
the cover letter's subject and text (tag pcl-base marks the base); `export`
writes the commits after pcl-base back with git format-patch, byte-for-byte
the same when nothing changed.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import basetree, config, deps, gitutil, overlay, series, tree, ui
from .errors import Exit, PclError

DEFAULT_PREFIX = 'PATCH'


@dataclass
class Cover:
    subject: str                  # without the [PATCH n/m] prefix
    blurb: str
    prefix: str = DEFAULT_PREFIX  # e.g. 'RFC PATCH v2'
    author: str = ''              # From: header, as written
    date: str = ''                # Date: header, as written

    def description(self) -> str:
        text = self.subject.strip() + '\n'
        if self.blurb.strip():
            text += '\n' + self.blurb.strip('\n') + '\n'
        return text


def parse_cover(data: bytes, suffix: str = '') -> Cover:
    """Read a cover letter; suffix is the shortlog and diffstat git would
    append (removed from the text to leave the blurb)."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    raw_subject = ' '.join(str(msg.get('Subject', '')).split())
    m = re.match(r'^\[(.*?)\s*\d+/\d+\]\s*(.*)$', raw_subject)
    prefix, subject = (m.group(1) or DEFAULT_PREFIX, m.group(2)) if m \
        else (DEFAULT_PREFIX, re.sub(r'^\[[^]]*\]\s*', '', raw_subject))
    body = msg.get_content() if not msg.is_multipart() else ''
    body = re.sub(r'\n-- \n[^\n]*\n?$', '\n', body)     # git's signature
    if suffix and body.endswith(suffix):
        blurb = body[:-len(suffix)]
    else:
        blurb = _cut_shortlog(body)
    return Cover(subject, blurb.strip('\n'), prefix,
                 str(msg.get('From', '')), str(msg.get('Date', '')))


def _cut_shortlog(body: str) -> str:
    """Blurb of a cover letter whose shortlog git did not write itself:
    cut at the first 'Author Name (N):' line followed by an indented one."""
    lines = body.split('\n')
    for i, line in enumerate(lines[:-1]):
        if re.match(r'^\S.* \(\d+\):$', line) and lines[i + 1].startswith('  '):
            return '\n'.join(lines[:i])
    return body


def _format_patch(tree: Path, outdir: Path, base: str, prefix: str,
                  cover_ident: Optional[tuple[str, str, str]]) -> None:
    env = {}
    if cover_ident:
        name, addr, date = cover_ident
        env = {'GIT_COMMITTER_NAME': name, 'GIT_COMMITTER_EMAIL': addr,
               'GIT_COMMITTER_DATE': date}
    gitutil.git(tree, '-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false',
                '-c', 'format.signoff=false', 'format-patch', '-q',
                '-o', str(outdir), '--zero-commit', '--no-signature',
                '--abbrev=12', '--no-thread', '--no-to', '--no-cc',
                '--cover-letter', '--cover-from-description=subject',
                f'--subject-prefix={prefix}', f'{base}..HEAD', env=env)


def git_suffix(tree: Path, base: str) -> str:
    """Shortlog and diffstat that format-patch puts in a cover letter."""
    with tempfile.TemporaryDirectory() as tmp:
        branch = gitutil.current_branch(tree)
        key = f'branch.{branch}.description'
        saved = gitutil.git(tree, 'config', key, check=False) if branch else ''
        if saved:
            gitutil.git(tree, 'config', '--unset', key)
        try:
            _format_patch(tree, Path(tmp), base, DEFAULT_PREFIX, None)
        finally:
            if saved:
                gitutil.git(tree, 'config', key, saved.rstrip('\n'))
        text = (Path(tmp) / series.COVER_LETTER).read_text()
    marker = '*** BLURB HERE ***\n\n'
    return text[text.index(marker) + len(marker):]


def set_description(tree: Path, queue: series.Series, base: str) -> None:
    """Store the cover letter's subject and text as the branch description."""
    branch = gitutil.current_branch(tree)
    if not branch or not queue.cover.exists() or not queue.patches:
        return
    cover = parse_cover(queue.cover.read_bytes(), git_suffix(tree, base))
    gitutil.git(tree, 'config', f'branch.{branch}.description',
                cover.description().rstrip('\n'))


def tag_base(tree_path: Path, base: str) -> None:
    old = gitutil.git(tree_path, 'rev-parse', '-q', '--verify',
                      f'refs/tags/{config.BASE_TAG}', check=False).strip()
    if old and old != base:
        ui.warn(f'moving tag {config.BASE_TAG} from {old[:12]} to {base[:12]}')
    if old != base:
        gitutil.git(tree_path, 'tag', '-f', config.BASE_TAG, base)


def prepare(dest: Optional[Path], queue: series.Series,
            overlay_dir: Path) -> Path:
    """Make dest (default: the managed tree) a working tree of the series."""
    if dest is None or dest.resolve() == config.managed_tree().resolve():
        path = tree.prepare_managed(queue, overlay_dir)
        base = gitutil.git(path, 'rev-parse', config.BASE_TAG).strip()
    elif not dest.exists() or (dest.is_dir() and not any(dest.iterdir())):
        version = deps.ensure(config.BUILD_PACKAGES, base=True) \
            or config.BASE_VERSION
        if dest.exists():
            dest.rmdir()
        dest.parent.mkdir(parents=True, exist_ok=True)
        basetree.create(dest, version)
        path = tree.prepare_managed(queue, overlay_dir, tree=dest)
        base = gitutil.git(path, 'rev-parse', config.BASE_TAG).strip()
    else:
        path = dest
        base = tree.prepare_user(path, queue, overlay_dir)
        tag_base(path, base)
    set_description(path, queue, base)
    written = overlay.install(overlay_dir, path)
    for rel in written:
        ui.info(f'kunit/{rel} differs from the tree: installed it as an '
                'uncommitted change')
    ui.info(f'Queue ready in {path}: {len(queue)} commits on '
            f'{gitutil.current_branch(path) or "HEAD"} after {config.BASE_TAG}')
    return path


def check_overlay_committed(tree_path: Path, overlay_dir: Path) -> None:
    for rel in overlay.files(overlay_dir):
        committed = gitutil.git_bytes(tree_path, 'cat-file', 'blob',
                                      f'HEAD:{rel}')
        if committed == (overlay_dir / rel).read_bytes():
            continue
        adder = gitutil.git(tree_path, 'log', '--diff-filter=A', '--format=%h',
                            f'{config.BASE_TAG}..HEAD', '--', rel,
                            check=False).split()
        commit = adder[-1] if adder else '<commit that adds it>'
        raise PclError(
            Exit.EXPORT_REFUSED,
            f'kunit/{rel} differs from {rel} committed at HEAD of '
            f'{tree_path}: commit it in the tree into the patch that adds it '
            f'(cp kunit/{rel} {tree_path}/{rel} && git -C {tree_path} commit '
            f'--fixup={commit} {rel} && git -C {tree_path} rebase -i '
            f'--autosquash {config.BASE_TAG}), then export again')


def _cover_ident(cover: Cover) -> Optional[tuple[str, str, str]]:
    if not cover.author or not cover.date:
        return None
    name, addr = email.utils.parseaddr(cover.author)
    try:
        when = email.utils.parsedate_to_datetime(cover.date)
    except (TypeError, ValueError):
        return None
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = '+' if minutes >= 0 else '-'
    tz = f'{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}'
    return name, addr, f'{int(when.timestamp())} {tz}'


def export(tree_path: Path, patches_dir: Path, overlay_dir: Path) -> list[str]:
    """Write the commits after pcl-base to patches_dir; return changed files."""
    if not gitutil.is_repo(tree_path):
        raise PclError(Exit.USAGE, f'{tree_path} is not a git tree')
    if not gitutil.git_ok(tree_path, 'rev-parse', '-q', '--verify',
                          f'refs/tags/{config.BASE_TAG}'):
        raise PclError(Exit.USAGE, f'{tree_path} has no tag {config.BASE_TAG}: '
                       'run `tools/pcl queue prepare` first')
    busy = gitutil.operation_in_progress(tree_path)
    if busy:
        raise PclError(Exit.EXPORT_REFUSED,
                       f'{tree_path}: a {busy} is in progress; finish it first')
    base = gitutil.git(tree_path, 'rev-parse', config.BASE_TAG).strip()
    if gitutil.git(tree_path, 'rev-list', '--merges', f'{base}..HEAD').strip():
        raise PclError(Exit.EXPORT_REFUSED,
                       f'{tree_path}: merge commits after {config.BASE_TAG}')
    check_overlay_committed(tree_path, overlay_dir)
    uncommitted = tree.foreign_changes(tree_path, overlay_dir)
    if uncommitted:
        ui.warn('uncommitted changes are not exported: ' +
                ', '.join(uncommitted[:5]))

    old = series.COVER_LETTER
    old_cover = parse_cover((patches_dir / old).read_bytes()) \
        if (patches_dir / old).exists() else Cover('', '')
    count = int(gitutil.git(tree_path, 'rev-list', '--count',
                            f'{base}..HEAD').strip())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if count:
            _format_patch(tree_path, out, base, old_cover.prefix,
                          _cover_ident(old_cover))
        names = sorted(p.name for p in out.glob('*.patch')
                       if p.name != series.COVER_LETTER)
        (out / series.SERIES_FILE).write_text(
            ''.join(n + '\n' for n in names))
        changed = _sync(out, patches_dir)
    if tree_path.resolve() == config.managed_tree().resolve():
        tree.record_state(tree_path, series.read(patches_dir))
    return changed


def _sync(new: Path, patches_dir: Path) -> list[str]:
    """Make patches_dir hold new's files; touch only files that change."""
    patches_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    wanted = {p.name for p in new.iterdir()}
    for path in sorted(patches_dir.iterdir()):
        stale = series.PATCH_NAME.match(path.name) and path.name not in wanted
        # An empty series keeps the cover letter: git cannot rewrite it.
        if stale and not (path.name == series.COVER_LETTER and
                          not (new / series.COVER_LETTER).exists()):
            path.unlink()
            changed.append(path.name)
    for name in sorted(wanted):
        target = patches_dir / name
        data = (new / name).read_bytes()
        if not target.exists() or target.read_bytes() != data:
            shutil.copyfile(new / name, target)
            changed.append(name)
    return changed
