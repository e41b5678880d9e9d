"""Exit codes and the exception that carries them.

Every failure a user can cause or meet has its own exit code, so scripts
can tell them apart; the table is also in README.md.
"""

from __future__ import annotations

import enum


class Exit(enum.IntEnum):
    OK = 0
    TESTS_FAILED = 1        # kunit.py ran and some case failed
    USAGE = 2               # bad command line or argument
    MISSING_PACKAGES = 3    # packages missing and not root to install them
    BASE_TREE = 4           # base tree cannot be obtained or is unusable
    DIRTY_TREE = 5          # kernel tree has changes the tools must not touch
    PATCH_FAILED = 6        # a patch of the series does not apply
    BUILD_FAILED = 7        # kernel configuration or compilation failed
    KERNEL_CRASHED = 8      # the kernel crashed, panicked or timed out
    EXPORT_REFUSED = 9      # queue export refused (overlay not committed ...)
    KERNEL_REPORTS = 10     # unexpected kernel reports (lockdep, WARNING ...)
    NO_TESTS = 11           # the run executed no test case
    INTERNAL = 12           # a tool failed unexpectedly (git, apt ...)
    KUNITCONFIG = 13        # a kunitconfig option the tree does not have


class PclError(Exception):
    """A failure with a one-line message and an exit code."""

    def __init__(self, code: Exit, message: str, details: str = '') -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
