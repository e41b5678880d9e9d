"""Counting cases: Case and Counts, and the leaf cases of kunit.py's JSON
(KernelCI format); the closing count line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

JsonObj = dict[str, Any]


@dataclass
class Case:
    group: str
    name: str
    status: str             # PASS, FAIL, SKIP or ERROR (crashed)
    message: str = ''


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    crashed: int = 0
    cases: list[Case] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped + self.crashed

    def add_case(self, case: Case) -> None:
        self.cases.append(case)
        if case.status == 'PASS':
            self.passed += 1
        elif case.status == 'SKIP':
            self.skipped += 1
        elif case.status == 'ERROR':
            self.crashed += 1
        else:
            self.failed += 1

    def merge(self, other: 'Counts') -> None:
        for case in other.cases:
            self.add_case(case)

    def closing_line(self) -> str:
        line = f'{self.passed} passed, {self.failed + self.crashed} failed'
        if self.skipped:
            line += f', {self.skipped} skipped'
        return line


def _leaves(group: JsonObj, prefix: str) -> Iterator[Case]:
    name = group.get('name', '')
    path = prefix if name == 'KUnit Test Group' or not name else \
        f'{prefix}.{name}' if prefix else name
    for case in group.get('test_cases', []):
        yield Case(path, case.get('name', ''), case.get('status', 'FAIL'))
    for sub in group.get('sub_groups', []):
        yield from _leaves(sub, path)


def from_kunit_json(obj: JsonObj, layer: str = '') -> Counts:
    """Count the leaf cases of kunit.py's --json output."""
    counts = Counts()
    for case in _leaves(obj, layer):
        counts.add_case(case)
    return counts
