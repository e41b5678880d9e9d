"""procio: a child's output arrives line by line, then None."""
from __future__ import annotations

import subprocess
import sys
import unittest

from pcltools import procio


class LineQueueTest(unittest.TestCase):
    def test_lines_arrive_in_order_then_none(self) -> None:
        proc = subprocess.Popen(
            [sys.executable, '-c', 'print("one"); print("two")'],
            stdout=subprocess.PIPE, text=True)
        q = procio.line_queue(proc)
        got = []
        while True:
            line = q.get(timeout=30)
            if line is None:
                break
            got.append(line)
        proc.wait()
        self.assertEqual(got, ['one\n', 'two\n'])

    def test_silent_child_gives_only_none(self) -> None:
        proc = subprocess.Popen([sys.executable, '-c', 'pass'],
                                stdout=subprocess.PIPE, text=True)
        self.assertIsNone(procio.line_queue(proc).get(timeout=30))
        proc.wait()


if __name__ == '__main__':
    unittest.main()
