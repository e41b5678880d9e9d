"""The tools' type annotations checked: mypy --strict over tools/pcltools
and tools/pcl, with Debian's mypy (python3-mypy, which `tools/pcl deps`
installs); a case of make test through tests/tools/test_types.py."""

from __future__ import annotations

import subprocess
import sys
from typing import Optional

from . import config


def interpreter() -> Optional[str]:
    """A python3 that has mypy: this one, else Debian's."""
    for python in dict.fromkeys([sys.executable, config.DEBIAN_PYTHON]):
        try:
            found = subprocess.run([python, '-c', 'import mypy'],
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL).returncode == 0
        except OSError:
            continue
        if found:
            return python
    return None


def command(python: str) -> list[str]:
    tools = config.repo_root() / 'tools'
    return [python, '-m', 'mypy', '--strict',
            f'--cache-dir={config.out_dir("mypy")}',
            str(tools / 'pcltools'), str(tools / 'pcl')]


def run() -> tuple[int, str]:
    """(exit status, mypy's output); 2 and a message without mypy."""
    python = interpreter()
    if python is None:
        return 2, ('mypy is not installed (Debian package '
                   f'{" ".join(config.TYPECHECK_PACKAGES)}; '
                   '`tools/pcl deps` installs it)')
    proc = subprocess.run(command(python), cwd=config.repo_root(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    return proc.returncode, proc.stdout
