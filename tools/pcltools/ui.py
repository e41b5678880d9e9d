"""Progress output: steps with elapsed times and heartbeats, warnings,
errors. The one place progress lines are worded and timed."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Callable, Iterator, Optional

# Seconds between the "... still at it" lines of a silent step.
HEARTBEAT = 30.0


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
def beating(every: float, beat: Callable[[float], None]) -> Iterator[None]:
    """Call beat(elapsed seconds) every `every` seconds while the block
    runs (never when every <= 0)."""
    start = time.monotonic()
    done = threading.Event()

    def loop() -> None:
        while not done.wait(every):
            beat(time.monotonic() - start)

    thread = threading.Thread(target=loop, daemon=True) if every > 0 \
        else None
    if thread:
        thread.start()
    try:
        yield
    finally:
        done.set()
        if thread:
            thread.join()


@contextlib.contextmanager
def step(what: str, heartbeat: float = 0) -> Iterator[None]:
    """Announce a step, then its elapsed time.

    With heartbeat > 0, print a line every that many seconds while the step
    runs, for steps that are otherwise silent (extracting, building).
    """
    info(f'{what} ...')
    start = time.monotonic()
    try:
        with beating(heartbeat, lambda secs: info(
                f'  ... {what.lower()} ({fmt_secs(secs)})')):
            yield
    except BaseException:
        info(f'{what}: failed after {fmt_secs(time.monotonic() - start)}')
        raise
    info(f'{what}: done in {fmt_secs(time.monotonic() - start)}')


class Progress:
    """'[ 3m12s] patch 2/11: build ...' lines, stamped with the time since
    the start, with a heartbeat (check and validate)."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def stamp(self) -> str:
        return f'[{fmt_secs(time.monotonic() - self.start):>6}]'

    def say(self, msg: str) -> None:
        info(f'{self.stamp()} {msg}')

    @contextlib.contextmanager
    def stage(self, what: str, status: Optional[Callable[[], str]] = None
              ) -> Iterator[None]:
        self.say(f'{what} ...')
        began = time.monotonic()

        def beat(secs: float) -> None:
            extra = status() if status else ''
            self.say(f'  ... {what}{", " + extra if extra else ""} '
                     f'({fmt_secs(secs)})')

        with beating(HEARTBEAT, beat):
            yield
        self.say(f'{what}: {fmt_secs(time.monotonic() - began)}')
