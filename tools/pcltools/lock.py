"""One tools/pcl at a time per repository.

Runs share the managed tree and the build directories: a run re-applying
the series while another one builds would pull files from under the
build. The lock is held for a whole command; child tools/pcl processes
(make test's tool tests) see PCL_LOCK_HELD and do not take it again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import Iterator

from . import config, ui

HELD = 'PCL_LOCK_HELD'


@contextlib.contextmanager
def repository_lock() -> Iterator[None]:
    if os.environ.get(HELD):
        yield
        return
    path = config.build_root() / '.pcl.lock'
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'a+') as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or 'another process'
            ui.info(f'waiting for another tools/pcl run ({holder}) to finish')
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(f'pid {os.getpid()}\n')
        f.flush()
        os.environ[HELD] = '1'
        try:
            yield
        finally:
            del os.environ[HELD]
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)
