import os
import subprocess
import sys
import unittest
from unittest import mock

from .helpers import TmpTestCase
from pcltools import config, lock


class LockTest(TmpTestCase):
    def test_held_for_the_command_and_by_children(self) -> None:
        with mock.patch.object(config, 'build_root', lambda: self.tmp), \
                mock.patch.dict(os.environ):
            os.environ.pop(lock.HELD, None)
            with lock.repository_lock():
                self.assertEqual(os.environ.get(lock.HELD), '1')
                self.assertIn(f'pid {os.getpid()}',
                              (self.tmp / '.pcl.lock').read_text())
                # Another process cannot take it meanwhile.
                probe = ('import fcntl,sys; f=open(sys.argv[1]); '
                         'fcntl.flock(f, fcntl.LOCK_EX|fcntl.LOCK_NB)')
                rc = subprocess.run([sys.executable, '-c', probe,
                                     str(self.tmp / '.pcl.lock')],
                                    stderr=subprocess.DEVNULL).returncode
                self.assertNotEqual(rc, 0)
                with lock.repository_lock():     # nested: no deadlock
                    pass
            self.assertNotIn(lock.HELD, os.environ)
            with lock.repository_lock():         # released: taken again
                pass


if __name__ == '__main__':
    unittest.main()
