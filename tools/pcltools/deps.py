"""Debian package checks and installation.

The tools install what they need when run as root (apt-get update, then
apt-get install -y) and say what they install; without root they stop
with the list of missing packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Iterable, Optional, Sequence

from . import config, ui
from .errors import Exit, PclError


def _run(cmd: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output (replaced in tests)."""
    env = dict(os.environ, LC_ALL='C', DEBIAN_FRONTEND='noninteractive')
    return subprocess.run(list(cmd), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def _run_visible(cmd: Sequence[str]) -> int:
    """Run a command with its output on the terminal (apt-get install)."""
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    return subprocess.run(list(cmd), env=env).returncode


def is_root() -> bool:
    return os.geteuid() == 0


def have_dpkg() -> bool:
    return shutil.which('dpkg-query') is not None


def installed_version(pkg: str) -> Optional[str]:
    proc = _run(['dpkg-query', '-W', '-f=${db:Status-Abbrev} ${Version}',
                 pkg])
    if proc.returncode != 0:
        return None
    fields = proc.stdout.split()
    if len(fields) != 2 or not fields[0].startswith('ii'):
        return None
    return fields[1]


def missing_packages(pkgs: Iterable[str]) -> list[str]:
    return [p for p in pkgs if installed_version(p) is None]


def available_versions(pkg: str) -> list[str]:
    """Versions apt can install, from `apt-cache madison`."""
    proc = _run(['apt-cache', 'madison', pkg])
    versions = []
    for line in proc.stdout.splitlines():
        fields = [f.strip() for f in line.split('|')]
        if len(fields) >= 3 and fields[0] == pkg and fields[1] not in versions:
            versions.append(fields[1])
    return versions


def compare_versions(a: str, b: str) -> int:
    if _run(['dpkg', '--compare-versions', a, 'lt', b]).returncode == 0:
        return -1
    if _run(['dpkg', '--compare-versions', a, 'gt', b]).returncode == 0:
        return 1
    return 0


def newest(versions: Iterable[str]) -> Optional[str]:
    ordered = sorted(set(versions), key=cmp_to_key(compare_versions))
    return ordered[-1] if ordered else None


@dataclass
class BasePlan:
    """Which base package version to use, and whether to install it."""
    version: Optional[str]
    install: bool
    warning: str = ''


def plan_base(installed: Optional[str], available: Sequence[str],
              pinned: str = config.BASE_VERSION,
              can_install: bool = True) -> BasePlan:
    """Decide the base version: the pinned one, else the newest 6.12."""
    pkg = config.BASE_PACKAGE
    if installed == pinned:
        return BasePlan(pinned, False)
    if pinned in available and can_install:
        return BasePlan(pinned, True)
    if installed and not can_install:
        return BasePlan(installed, False,
                        f'{pkg} {pinned} (pinned) is not installed; using the '
                        f'installed {installed} (run as root to install the '
                        f'pinned version)')
    best = newest(list(available) + ([installed] if installed else []))
    if best is None:
        return BasePlan(None, False)
    return BasePlan(best, best != installed,
                    f'{pkg} {pinned} (pinned) is not available any more; '
                    f'falling back to the newest version, {best}')


_apt_updated = False


def apt_update() -> None:
    global _apt_updated
    if _apt_updated:
        return
    with ui.step('Updating the package lists (apt-get update)'):
        proc = _run(['apt-get', 'update'])
        if proc.returncode != 0:
            raise PclError(Exit.MISSING_PACKAGES, 'apt-get update failed',
                           proc.stdout[-2000:])
    _apt_updated = True


def apt_install(specs: Sequence[str]) -> None:
    ui.info('Installing Debian packages: ' + ' '.join(specs))
    with ui.step('apt-get install'):
        rc = _run_visible(['apt-get', 'install', '-y', '--no-install-recommends',
                           '--allow-downgrades', *specs])
    if rc != 0:
        raise PclError(Exit.MISSING_PACKAGES,
                       'apt-get install failed for: ' + ' '.join(specs))


def ensure(pkgs: Sequence[str], base: bool = False) -> Optional[str]:
    """Make sure pkgs (and with base=True the base source package) are
    installed. Returns the base package version in use (or None)."""
    if not have_dpkg():
        ui.warn('not a Debian system: cannot check for packages '
                f'({" ".join(pkgs)}); assuming the tools are present')
        return None

    missing = missing_packages(pkgs)
    root = is_root()
    base_installed = installed_version(config.BASE_PACKAGE) if base else None
    need_base = base and base_installed != config.BASE_VERSION

    if not root:
        if base and base_installed is None:
            missing.append(config.BASE_PACKAGE)
        if missing:
            raise PclError(
                Exit.MISSING_PACKAGES,
                'missing Debian packages: ' + ' '.join(missing) +
                ' (run as root to install them, or: sudo apt-get install ' +
                ' '.join(missing) + ')')
        if need_base:
            plan = plan_base(base_installed, [], can_install=False)
            ui.warn(plan.warning)
            return plan.version
        return base_installed if base else None

    specs = list(missing)
    version = base_installed
    if missing or need_base:
        apt_update()
    if need_base:
        plan = plan_base(base_installed,
                         available_versions(config.BASE_PACKAGE))
        if plan.version is None:
            raise PclError(Exit.BASE_TREE,
                           f'{config.BASE_PACKAGE} is neither installed nor '
                           'available from the configured Debian archives')
        if plan.warning:
            ui.warn(plan.warning)
        if plan.install:
            specs.append(f'{config.BASE_PACKAGE}={plan.version}')
        version = plan.version
    if specs:
        apt_install(specs)
    return version
