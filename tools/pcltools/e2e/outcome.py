"""How the programs of one boot ended (init's status file) and their
KTAP, assembled into the variant's subtest: an incomplete program gets a
failing case 'completed' that says why, so a hang names the program."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .. import kernlog, ktap
from .disk import Check
from .machine import Boot
from .plan import Program, Variant

INVALIDATION_FAILURE = 'Page cache invalidation failure on direct I/O'
STALE = re.compile(r'#\s*stale_reads mode=(\S+) total=(\d+)')


@dataclass
class Ending:
    """How a program ended, from init's status file."""
    how: str                    # exit=N, signal=N, timeout, hung, running,
    seconds: float = 0.0        # not-run, fork-failed

    @property
    def exit_code(self) -> Optional[int]:
        m = re.fullmatch(r'exit=(\d+)', self.how)
        return int(m.group(1)) if m else None


def read_status(path: Path, programs: list[Program]) -> dict[str, Ending]:
    """init's /out/status: 'start NAME' and 'end NAME HOW SECONDS'."""
    endings = {p.name: Ending('not-run') for p in programs}
    text = path.read_text(errors='replace') if path.exists() else ''
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == 'start' and words[1] in endings:
            endings[words[1]] = Ending('running')
        elif len(words) >= 3 and words[0] == 'end' and words[1] in endings:
            secs = float(words[3]) if len(words) > 3 and \
                re.fullmatch(r'[\d.]+', words[3]) else 0.0
            endings[words[1]] = Ending(words[2], secs)
    return endings


def _why_incomplete(ending: Ending, wall_killed: bool,
                    limit: float) -> str:
    if ending.how == 'running':
        return ('did not finish: UML was killed after the wall-clock limit '
                f'of {limit:.0f} s (hang)') if wall_killed else \
            'did not finish: the kernel stopped while it ran (crash?)'
    if ending.how == 'timeout':
        return f'killed after its time limit ({ending.seconds:.0f} s)'
    if ending.how == 'hung':
        return ('hung in the kernel: could not be killed after its time '
                'limit')
    if ending.how.startswith('signal='):
        return f'killed by signal {ending.how[7:]}'
    if ending.exit_code is not None:
        return f'exited with status {ending.exit_code} before its last case'
    return ending.how


def program_ktap(name: str, lines: list[str], ending: Ending,
                 wall_killed: bool = False, limit: float = 0) -> \
        tuple[list[str], bool]:
    """One program's KTAP as a subtest body (unindented) and whether it
    passed.  An incomplete run gets one more, failing, case 'completed'
    that says why, so a hang is a failure that names the program."""
    planned: Optional[int] = None
    body: list[str] = []
    results_: list[bool] = []
    for line in lines:
        line = line.rstrip('\n')
        if line.startswith('KTAP version') or line.startswith('TAP version'):
            continue
        m = ktap.PLAN.match(line)
        if m and planned is None:
            planned = int(m.group(1))
            continue
        m = ktap.RESULT.match(line)
        if m:
            results_.append(m.group(1) is None)
        body.append(line)
    complete = ending.exit_code in (0, 1) and planned is not None and \
        len(results_) == planned
    out = ['KTAP version 1', f'# Subtest: {name}']
    if complete:
        out.append(f'1..{planned}')
        out += body
        return out, all(results_)
    n = len(results_) + 1
    out.append(f'1..{n}')
    out += body
    why = _why_incomplete(ending, wall_killed, limit)
    out.append(f'# {name}: {why}')
    out.append(f'not ok {n} completed')
    return out, False


FSCK_LINES = 20                 # of a failing checker's output, in the KTAP


def variant_ktap(variant: Variant, programs: list[Program], out: Path,
                 endings: dict[str, Ending], boot_: Boot,
                 limit: float, fsck: Optional[Check] = None) -> \
        tuple[list[str], bool]:
    """The variant's subtest: one sub-subtest per program, then a case
    fsck for the test disk checked after the boot, when given."""
    lines = ['KTAP version 1', f'# Subtest: {variant.name}',
             f'1..{len(programs) + (1 if fsck else 0)}']
    all_ok = True
    for i, prog in enumerate(programs, 1):
        ending = endings[prog.name]
        if ending.how == 'not-run':
            reason = 'not run: ' + ('an earlier program hung'
                                    if _any_hang(endings) else
                                    'init did not get to it')
            lines.append(f'not ok {i} {prog.name} # {reason}')
            all_ok = False
            continue
        ktap_file = out / f'{prog.name}.ktap'
        text = ktap_file.read_text(errors='replace').splitlines() \
            if ktap_file.exists() else []
        sub, ok = program_ktap(prog.name, text, ending, boot_.killed, limit)
        lines += ktap.indent(sub)
        lines.append(f'{"" if ok else "not "}ok {i} {prog.name}')
        all_ok = all_ok and ok
    if fsck:
        lines += _fsck_case(fsck, len(programs) + 1)
        all_ok = all_ok and fsck.ok
    return lines, all_ok


def _fsck_case(fsck: Check, number: int) -> list[str]:
    """The test disk's check as a case: clean, or the checker's last
    lines."""
    if fsck.ok:
        return [f'# fsck: {fsck.command}: clean', f'ok {number} fsck']
    tail = fsck.output.strip().splitlines()[-FSCK_LINES:]
    return [f'# fsck: {fsck.command}: {line}' for line in tail] + \
        [f'not ok {number} fsck # {fsck.command} found errors']


def _any_hang(endings: dict[str, Ending]) -> bool:
    return any(e.how in ('hung', 'running') for e in endings.values())


def stale_counts(text: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in STALE.finditer(text)]


def attribute(console: str, line_no: int) -> str:
    """The program that was running at a console line (from init's
    'e2e: start NAME' lines), or ''."""
    current = ''
    for i, line in enumerate(console.splitlines(), 1):
        if i >= line_no:
            break
        m = re.match(r'e2e: start (\S+)', line)
        if m:
            current = m.group(1)
        elif re.match(r'e2e: \S+: (exit|killed by)', line):
            current = ''
    return current


def problem(boot_: Boot, endings: dict[str, Ending]) -> str:
    """A crash or a hang (for exit code 8), naming the programs."""
    stuck = [n for n, e in endings.items()
             if e.how in ('hung', 'running', 'timeout')]
    crash = kernlog.CRASH.search(boot_.console)
    if crash:
        return f'kernel crash ({crash.group(0).strip()})' + \
            (f' while {", ".join(stuck)} ran' if stuck else '')
    if boot_.killed or stuck:
        return f'hang in {", ".join(stuck) or "boot"}'
    return ''
