"""tests/e2e/plan and tests/e2e/bench-plan: the programs, in the order
init runs them, with their time limits; and the variants a kernel is
booted in: "on" (the mechanism as the series has it), "lockdep" (the
same with kconfigs/lockdep.config), "off" (ext2.pagecache_lock=0 on the
kernel command line: the coherency baseline)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import Exit, PclError

SOURCES = Path('tests/e2e')
PLAN = SOURCES / 'plan'
BENCH_PLAN = SOURCES / 'bench-plan'     # make bench's programs
BENCH_VARIANTS = ('on', 'off')
OFF_PARAM = 'ext2.pagecache_lock=0'


@dataclass(frozen=True)
class Variant:
    key: str                    # command line name
    name: str                   # KTAP suite name, run directory
    title: str
    fragments: tuple[str, ...]  # files in kconfigs/
    kernel: str                 # kernel build directory name
    boot_args: tuple[str, ...] = ()


VARIANTS = {
    'on': Variant('on', 'e2e', 'mechanism on', ('e2e.config',), 'kernel'),
    'lockdep': Variant('lockdep', 'e2e_lockdep', 'mechanism on, lockdep',
                       ('e2e.config', 'lockdep.config'), 'kernel-lockdep'),
    'off': Variant('off', 'e2e_off', f'mechanism off ({OFF_PARAM})',
                   ('e2e.config',), 'kernel', (OFF_PARAM,)),
}
# make test's variants, and --all's.
ALL_VARIANTS = ('on', 'lockdep', 'off')


@dataclass(frozen=True)
class Program:
    name: str
    limit: int                  # seconds init lets it run
    argv: tuple[str, ...]


def read_plan(path: Path) -> list[Program]:
    """Parse tests/e2e/plan: 'name limit program [args...]' lines."""
    programs: list[Program] = []
    try:
        text = path.read_text()
    except OSError as e:
        raise PclError(Exit.USAGE, f'{path}: cannot read the plan ({e})')
    for n, raw in enumerate(text.splitlines(), 1):
        words = raw.split('#', 1)[0].split()
        if not words:
            continue
        if len(words) < 3 or not words[1].isdigit() or int(words[1]) <= 0:
            raise PclError(Exit.USAGE, f'{path}:{n}: expected "name '
                           f'seconds program [args...]", got: {raw.strip()}')
        if not re.fullmatch(r'[A-Za-z0-9_]+', words[0]):
            raise PclError(Exit.USAGE, f'{path}:{n}: bad program name '
                           f'{words[0]!r} (letters, digits, _)')
        if any(p.name == words[0] for p in programs):
            raise PclError(Exit.USAGE, f'{path}:{n}: {words[0]} twice')
        programs.append(Program(words[0], int(words[1]), tuple(words[2:])))
    if not programs:
        raise PclError(Exit.USAGE, f'{path}: no programs')
    return programs


def select(programs: list[Program], only: Optional[str]) -> list[Program]:
    if not only:
        return programs
    wanted = [w for w in only.split(',') if w]
    unknown = [w for w in wanted if w not in {p.name for p in programs}]
    if unknown:
        raise PclError(Exit.USAGE, 'unknown e2e program(s): ' +
                       ', '.join(unknown) + ' (known: ' +
                       ', '.join(p.name for p in programs) + ')')
    return [p for p in programs if p.name in wanted]
