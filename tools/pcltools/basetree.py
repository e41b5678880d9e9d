"""Create the base git tree from Debian's kernel source tarball."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from . import config, gitutil, ui
from .errors import Exit, PclError

BASE_VERSION_FILE = 'pcl-base-version'


def upstream_version(debian_version: str) -> str:
    """'6.12.117-1~deb12u1' -> '6.12.117'."""
    return re.sub(r'-[^-]*$', '', debian_version)


def base_message(debian_version: str) -> str:
    return (f'Linux {upstream_version(debian_version)} '
            f'(Debian {config.BASE_PACKAGE} {debian_version})')


def base_env() -> dict[str, str]:
    return {
        'GIT_AUTHOR_NAME': config.BASE_IDENT_NAME,
        'GIT_AUTHOR_EMAIL': config.BASE_IDENT_EMAIL,
        'GIT_AUTHOR_DATE': config.BASE_DATE,
        'GIT_COMMITTER_NAME': config.BASE_IDENT_NAME,
        'GIT_COMMITTER_EMAIL': config.BASE_IDENT_EMAIL,
        'GIT_COMMITTER_DATE': config.BASE_DATE,
    }


def recorded_version(tree: Path) -> str:
    path = gitutil.git_dir(tree) / BASE_VERSION_FILE
    return path.read_text().strip() if path.exists() else ''


def init_repo(src: Path, debian_version: str) -> None:
    """git init src and commit all of it as the tagged base commit."""
    gitutil.git(src, 'init', '-q', '-b', config.QUEUE_BRANCH)
    for key, value in (('user.name', config.QUEUE_IDENT_NAME),
                       ('user.email', config.QUEUE_IDENT_EMAIL),
                       ('gc.auto', '0'),
                       ('core.abbrev', '12')):
        gitutil.git(src, 'config', key, value)
    with ui.step('Committing the base tree', heartbeat=20):
        # Debian's top-level .gitignore ignores everything: force-add.
        gitutil.git(src, 'add', '-f', '-A', '.')
        gitutil.git(src, 'commit', '-q', '--no-verify', '-m',
                    base_message(debian_version), env=base_env())
    gitutil.git(src, 'tag', config.BASE_TAG)
    (gitutil.git_dir(src) / BASE_VERSION_FILE).write_text(debian_version + '\n')


def create(dest: Path, debian_version: str) -> None:
    """Extract tarball and make dest a git tree of it, tagged pcl-base.

    Works in a scratch directory next to dest and renames it into place at
    the end, so an interrupted run leaves no half-made tree at dest.
    """
    tarball, topdir = config.BASE_TARBALL, config.BASE_TOPDIR
    if not tarball.exists():
        raise PclError(Exit.BASE_TREE, f'{tarball} not found '
                       f'(is {config.BASE_PACKAGE} installed?)')
    scratch = dest.parent / f'.{dest.name}.new'
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        with ui.step(f'Extracting {tarball.name} ({debian_version})',
                     heartbeat=20):
            proc = subprocess.run(['tar', '-xf', str(tarball), '-C',
                                   str(scratch)], stderr=subprocess.PIPE,
                                  text=True)
            if proc.returncode != 0:
                raise PclError(Exit.BASE_TREE, f'cannot extract {tarball}',
                               proc.stderr)
        src = scratch / topdir
        if not (src / 'Makefile').exists():
            raise PclError(Exit.BASE_TREE,
                           f'{tarball} has no {topdir}/Makefile')
        init_repo(src, debian_version)
        if dest.exists():
            shutil.rmtree(dest)
        src.rename(dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
