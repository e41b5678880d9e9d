"""Reading a child process's output line by line without blocking."""
from __future__ import annotations

import queue
import subprocess
import threading
from typing import Optional


def line_queue(proc: 'subprocess.Popen[str]') -> 'queue.Queue[Optional[str]]':
    """A queue fed with proc's stdout lines by a daemon thread, then None
    once the output ends; callers poll it with a timeout for heartbeats."""
    lines: 'queue.Queue[Optional[str]]' = queue.Queue()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    return lines
