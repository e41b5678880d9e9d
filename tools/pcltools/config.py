"""Paths and pinned versions: the one place they are defined."""

from __future__ import annotations

import os
from pathlib import Path

# The base tree: Debian's kernel source package, pinned to one version.
# When that version can no longer be installed, the newest available
# version of the same package is used instead, with a warning.
BASE_PACKAGE = 'linux-source-6.12'
BASE_VERSION = '6.12.117-1~deb12u1'
BASE_TARBALL = Path('/usr/src') / f'{BASE_PACKAGE}.tar.xz'
BASE_TOPDIR = BASE_PACKAGE          # top-level directory inside the tarball

# Identity and date of the deterministic base commit.
BASE_TAG = 'pcl-base'
BASE_IDENT_NAME = 'pagecache-lock'
BASE_IDENT_EMAIL = 'base@pagecache-lock'
BASE_DATE = '946684800 +0000'       # 2000-01-01T00:00:00Z

# Branch holding the series in a tree the tools prepare.
QUEUE_BRANCH = 'pagecache-lock'
QUEUE_IDENT_NAME = 'pagecache-lock'
QUEUE_IDENT_EMAIL = 'queue@pagecache-lock'

# Debian packages needed to build and run the layers.
BUILD_PACKAGES = ['build-essential', 'flex', 'bison', 'bc', 'libelf-dev',
                  'libssl-dev', 'ccache', 'git', 'xz-utils', 'python3']
QEMU_PACKAGES = ['qemu-system-x86']
E2E_PACKAGES = ['e2fsprogs', 'xfsprogs']
FIO_PACKAGES = ['fio']           # make bench's fio part
# check/validate: b4 sorts mail threads; checkpatch.pl's spdxcheck.py needs
# Debian's python3 with ply and git.
CHECK_PACKAGES = ['b4', 'python3-ply', 'python3-git', 'python3-docutils']
# make test's type check of the tools (mypy --strict).
TYPECHECK_PACKAGES = ['python3-mypy']
# The tool tests: the type check, docutils for check/rst.py's tests, b4
# for the validate tests (b4 am, b4 prep).
TOOLTEST_PACKAGES = TYPECHECK_PACKAGES + ['python3-docutils', 'b4'] + \
    E2E_PACKAGES + FIO_PACKAGES


def repo_root() -> Path:
    """The pagecache-lock repository (parent of tools/)."""
    return Path(__file__).resolve().parent.parent.parent


def build_root() -> Path:
    return repo_root() / 'build'


def managed_tree() -> Path:
    return build_root() / 'linux'


def out_dir(config_name: str) -> Path:
    """kunit.py --build_dir for one configuration."""
    return build_root() / 'out' / config_name


def patches_dir() -> Path:
    return repo_root() / 'patches'


def overlay_dir() -> Path:
    return repo_root() / 'kunit'


def kconfigs_dir() -> Path:
    return repo_root() / 'kconfigs'


def ccache_dir() -> Path:
    return Path(os.environ.get('CCACHE_DIR', build_root() / 'ccache'))


def qemu_accel_cache() -> Path:
    """The QEMU accelerator chosen by the KVM probe (tcg or kvm)."""
    return build_root() / 'qemu-accel'


def e2e_dir() -> Path:
    """The end-to-end programs, their Makefile and their plans."""
    return repo_root() / 'tests/e2e'


# Debian's python3 (python3-ply, python3-git for scripts/spdxcheck.py,
# python3-mypy for the type check) comes first on these tools' PATH.
DEBIAN_BIN = '/usr/bin'
DEBIAN_PYTHON = '/usr/bin/python3'
