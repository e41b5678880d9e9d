"""Progress output: steps with elapsed times, warnings, errors."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Iterator


def info(msg: str) -> None:
    print(f'[pcl] {msg}', flush=True)


def warn(msg: str) -> None:
    print(f'[pcl] WARNING: {msg}', file=sys.stderr, flush=True)


def error(msg: str) -> None:
    print(f'[pcl] ERROR: {msg}', file=sys.stderr, flush=True)


def fmt_secs(secs: float) -> str:
    if secs < 60:
        return f'{secs:.1f}s'
    return f'{int(secs // 60)}m{int(secs % 60):02d}s'


@contextlib.contextmanager
def step(what: str, heartbeat: float = 0) -> Iterator[None]:
    """Announce a step, then its elapsed time.

    With heartbeat > 0, print a line every that many seconds while the step
    runs, for steps that are otherwise silent (extracting, building).
    """
    info(f'{what} ...')
    start = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(heartbeat):
            info(f'  ... {what.lower()} ({fmt_secs(time.monotonic() - start)})')

    thread = None
    if heartbeat > 0:
        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
    try:
        yield
    except BaseException:
        done.set()
        info(f'{what}: failed after {fmt_secs(time.monotonic() - start)}')
        raise
    finally:
        done.set()
        if thread:
            thread.join()
    info(f'{what}: done in {fmt_secs(time.monotonic() - start)}')
