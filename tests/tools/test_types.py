"""mypy --strict over tools/: the tools' annotations are checked."""

import unittest

from . import helpers  # noqa: F401  (puts tools/ on sys.path)
from pcltools import typecheck


class TypeCheckTest(unittest.TestCase):
    def test_mypy_strict_is_clean(self) -> None:
        code, output = typecheck.run()
        self.assertEqual(code, 0, output)
        self.assertIn('Success: no issues found', output)
