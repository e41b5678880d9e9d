"""The check/validate report, worded here: plain text (with the per-patch
warning deltas, stepdelta.py, and a reply for the list, reply.py), JSON,
JUnit XML (the harness's writer), a KCIDB submission (kcidb.py) and
patchwork checks (patchwork.py), written to one directory; and its cases
for the closing count."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from pathlib import Path
from typing import Optional

from .. import junit, ui
from ..errors import Exit
from ..tally import Case, Counts
from . import kcidb, patchwork, reply, stepdelta
from .model import NOT_BISECTED, Applies, Builds, Check, Result, StepResult

FINDINGS_SHOWN = 5
DELTA_SHOWN = 20


def _cp_cell(step: StepResult) -> str:
    cp = step.checkpatch
    if cp.problem:
        return 'failed'
    if not cp.ran:
        return '--'
    return f'{cp.errors}/{cp.warnings}/{cp.checks}'


def _apply_cell(step: StepResult) -> str:
    return {Applies.YES: 'ok', Applies.NO: 'FAIL'}.get(step.applies, '--')


def _build_cell(step: StepResult) -> str:
    cell = {Builds.YES: 'ok', Builds.NO: 'FAIL',
            Builds.SKIPPED: 'skip'}.get(step.builds, '--')
    if step.builds == Builds.YES and step.warnings:
        cell = 'warn'
    return cell


def _bot_cell(check: Check) -> str:
    """A bot check in the table: ok, warn (warnings), note (checks only),
    FAIL (errors), err (the check itself failed), -- (not run)."""
    return {'broken': 'err', 'not run': '--', 'fail': 'FAIL', 'warn': 'warn',
            'note': 'note'}.get(check.outcome, 'ok')


def _indent(text: str, prefix: str = '      ') -> str:
    return textwrap.indent(text.rstrip(), prefix)


def _by_suite(names: list[str]) -> str:
    """'suite: N' per top-level suite (parameterised cases included)."""
    suites = Counter(n.split('.', 1)[0] for n in names)
    return ', '.join(f'{s}: {c}' for s, c in suites.items())


def table(result: Result) -> list[str]:
    rows = []
    width = max([len(s.label) for s in result.steps] + [4])
    rows.append(f'  {"#":>{width}}  apply  checkpatch E/W/C  build  kdoc  '
                'rst   fixes  subj  subject')
    steps = {s.position: s for s in result.steps}
    positions = sorted(set(steps) | set(result.missing))
    for pos in positions:
        if pos in steps:
            s = steps[pos]
            kdoc, rst, tags, subj = (_bot_cell(c)
                                     for _, _, c in s.bot_checks())
            rows.append(f'  {s.label:>{width}}  {_apply_cell(s):<5}  '
                        f'{_cp_cell(s):<16}  {_build_cell(s):<5}  '
                        f'{kdoc:<4}  {rst:<4}  {tags:<5}  {subj:<4}  '
                        f'{s.title}')
        else:
            label = f'{pos}/{result.total}'
            rows.append(f'  {label:>{width}}  (missing from the input)')
    return rows


def details(result: Result) -> list[str]:
    out: list[str] = []
    failed: Optional[StepResult] = None   # the last patch that broke
    for s in result.steps:
        lines: list[str] = []
        if s.applies == Applies.NO:
            lines.append('    does not apply (git am):')
            lines.append(_indent(s.apply_detail))
        cp = s.checkpatch
        if cp.problem:
            lines.append(f'    checkpatch: {cp.problem}')
        elif cp.findings:
            lines.append(f'    checkpatch: {cp.errors} errors, {cp.warnings} '
                         f'warnings, {cp.checks} checks')
            order = {'ERROR': 0, 'WARNING': 1, 'CHECK': 2}
            found = sorted(cp.findings, key=lambda f: order.get(f.level, 3))
            for f in found[:FINDINGS_SHOWN]:
                where = f' ({f.where})' if f.where else ''
                lines.append(f'      {f.level}: {f.message}{where}')
            if len(found) > FINDINGS_SHOWN:
                lines.append(f'      ... and {len(found) - FINDINGS_SHOWN} '
                             'more')
        lines.extend(bot_details(s))
        if s.builds == Builds.NO and failed and \
                s.build_detail == failed.build_detail:
            lines.append(f'    build failed: the same error(s) as '
                         f'{failed.label}')
        elif s.builds == Builds.NO:
            lines.append('    build failed: ' + s.build_detail.splitlines()[0])
            rest = '\n'.join(s.build_detail.splitlines()[1:])
            if rest.strip():
                lines.append(_indent(rest))
            failed = s
        if s.warnings:
            lines.append(f'    build: {len(s.warnings)} compiler warning(s) '
                         'in files the patch touches:')
            lines.extend(f'      {w}' for w in s.warnings[:FINDINGS_SHOWN])
        if lines:
            out.append(f'  {s.label} {s.title}')
            out.extend(lines)
    return out


def bot_details(step: StepResult) -> list[str]:
    """The bot checks' findings of a patch (kernel-doc, rst, Fixes: tags,
    subject), most serious first."""
    lines: list[str] = []
    order = {'ERROR': 0, 'WARNING': 1, 'CHECK': 2}
    for _, words, c in step.bot_checks():
        if not (c.problem or c.findings):
            continue
        lines.extend(textwrap.wrap(f'{words}: {c.describe()}', 76,
                                   initial_indent='    ',
                                   subsequent_indent='      '))
        found = sorted(c.findings, key=lambda f: order.get(f.level, 3))
        for f in found[:FINDINGS_SHOWN]:
            where = f' ({f.where})' if f.where else ''
            lines.extend(textwrap.wrap(f'{f.level}: {f.message}{where}', 76,
                                       initial_indent='      ',
                                       subsequent_indent='        ',
                                       break_long_words=False,
                                       break_on_hyphens=False))
        if len(found) > FINDINGS_SHOWN:
            lines.append(f'      ... and {len(found) - FINDINGS_SHOWN} more')
    return lines


def build_times(result: Result) -> list[str]:
    """The wall time of each patch's build (a cached result: the time it
    took when it was made)."""
    cells = [f'{s.label} {ui.fmt_secs(s.build_secs)}' +
             (' (cached)' if s.build_cached else '')
             for s in result.steps if s.build_secs > 0]
    if not cells:
        return []
    return textwrap.wrap('Build times: ' + ', '.join(cells), 76,
                         subsequent_indent='  ')


def suite_lines(result: Result) -> list[str]:
    """Which directories' KUnit suites were chosen, and by which files."""
    if not result.suites_selected:
        return []
    if not result.suites:
        return ['KUnit suites by touched directory: none (no directory '
                'above the touched', '  files has a .kunitconfig)']
    out = ['KUnit suites by touched directory:']
    for line in result.suites:
        out.extend(textwrap.wrap(line, 74, initial_indent='  ',
                                 subsequent_indent='    '))
    return out


def kunit_lines(result: Result) -> list[str]:
    k = result.kunit
    if k is None:
        return ['KUnit: not run (--no-kunit)']
    out = suite_lines(result)
    if k.left_out:
        out.extend(textwrap.wrap(
            'Left out of the tool\'s default kunitconfig (the tree at the '
            'tip does not have them): ' + ', '.join(k.left_out), 76,
            subsequent_indent='  '))
    if not k.ran:
        out.append(f'KUnit (UML) at the tip: {k.note}')
    else:
        status = k.summary
        if k.code == Exit.KERNEL_CRASHED:
            status += ' -- THE KERNEL CRASHED'
        out.append(f'KUnit (UML) at the tip: {status}')
        if k.kunitconfigs:
            out.extend(textwrap.wrap('  kunitconfigs: ' + ', '.join(
                k.kunitconfigs), 76, subsequent_indent='    '))
        if k.config_problem:
            out.extend(textwrap.wrap(
                '  kunitconfig options the tree does not have: ' +
                k.config_problem, 76, subsequent_indent='    '))
        if k.code == Exit.KERNEL_CRASHED:
            out.append('  ' + k.message.splitlines()[0] if k.message else '')
            if k.crashed_cases:
                out.append('  did not complete: ' + ', '.join(
                    k.crashed_cases[:DELTA_SHOWN]))
            out.append('  oops summary:')
            out.append(_indent(k.oops, '    '))
        elif k.code not in (Exit.OK, Exit.TESTS_FAILED,
                            Exit.KERNEL_REPORTS) and k.message:
            out.append(_indent('\n'.join(k.message.splitlines()[:6]), '  '))
        failing = [c.full_name for c in k.cases if c.status == 'FAIL']
        if failing:
            out.append('  failing: ' + ', '.join(failing[:DELTA_SHOWN]))
        if k.reports:
            out.append(f'  {k.reports}')
        for r in k.unexpected[:FINDINGS_SHOWN]:
            out.append(f'    unexpected: {r}')
    b = result.kunit_base
    d = result.delta
    if b is not None and (b.ran or b.note):
        base = b.summary + (' (cached)' if b.cached else '')
        out.append(f'KUnit (UML) at the base: {base}' +
                   (f'; {b.note}' if b.note and b.ran else ''))
    if d.available:
        out.append(f'KUnit delta: {len(d.newly_failing)} newly failing, '
                   f'{len(d.newly_passing)} newly passing, {len(d.added)} '
                   f'added, {len(d.removed)} removed')
        broken = stepdelta.kunit_failing(result)
        if broken is not None:
            out.append(f'  failing cases: before (the base): '
                       f'{broken.before}, with the series (the tip): '
                       f'{broken.now}')
        for what, names in (('newly failing', d.newly_failing),
                            ('newly passing', d.newly_passing)):
            for name in names[:DELTA_SHOWN]:
                out.append(f'  {what}: {name}')
        if d.added:
            out.extend(textwrap.wrap('  added: ' + _by_suite(d.added), 76,
                                     subsequent_indent='    '))
        if d.removed:
            out.extend(textwrap.wrap('  removed: ' + _by_suite(d.removed), 76,
                                     subsequent_indent='    '))
    elif d.note:
        out.append(f'KUnit delta: {d.note}')
    return out


def _addresses(label: str, addrs: list[str]) -> list[str]:
    if not addrs:
        return []
    lines = textwrap.wrap(', '.join(addrs), 72, break_long_words=False,
                          break_on_hyphens=False)
    return [f'{label}: {lines[0]}'] + [f'    {l}' for l in lines[1:]]


def text(result: Result) -> str:
    what = 'check' if result.kind == 'check' else 'validation'
    n = len(result.steps)
    out = [f'pagecache-lock {what} of {result.source}']
    if result.title:
        out.append(f'Series: {result.title}')
    if result.kind == 'validate' and result.messages:
        out.append(f'Input:  {result.messages} message(s), {n} patch(es)' +
                   (', a cover letter' if result.title else '') +
                   (f', {result.replies} repl(y/ies)' if result.replies
                    else '') + (f'; read with {result.method}'
                                if result.method else ''))
    if result.base:
        out.append(f'Base:   {result.base}')
    out.extend(textwrap.wrap(
        'Checks: checkpatch.pl --strict, git am, kernel-doc, the rst '
        'syntax, the Fixes: tags and the subject, a UML build at every patch, ' +
        ('KUnit (UML) at the tip and on the base, '
         if result.kunit is not None and result.kunit.ran else '') +
        'get_maintainer.pl' + (', b4 prep' if result.b4.ran else ''), 76,
        subsequent_indent='        '))
    for p in result.problems:
        out.append(f'Problem: {p}')
    if any(s.not_bisected for s in result.steps):
        out.append(f'Note: {NOT_BISECTED}; "--" in the build column')
    cached = [s.label for s in result.steps if s.build_cached]
    if cached:
        out.extend(textwrap.wrap(
            f'Note: {len(cached)} of the builds are results kept from an '
            'earlier run of the same tree and configuration (--no-cache '
            'redoes them)', 76, subsequent_indent='  '))
    for note in result.notes:
        out.extend(textwrap.wrap(f'Note: {note}', 76, subsequent_indent='  '))
    if result.steps or result.missing:
        out.append('')
        out.extend(table(result))
        out.extend(build_times(result))
        det = details(result)
        if det:
            out.append('')
            out.append('Details:')
            out.extend(det)
    if result.steps:
        out.append('')
        out.extend(kunit_lines(result))
        out.append('')
        if result.to or result.cc:
            out.extend(_addresses('To', result.to))
            out.extend(_addresses('Cc', result.cc))
        elif result.maintainers_problem:
            out.append(f'get_maintainer.pl: {result.maintainers_problem}')
        out.extend(b4_lines(result))
        out.append('')
        out.extend(stepdelta.lines(result))
    out.append('')
    out.append(f'Result: {result.verdict} (exit status {result.code}; '
               f'{ui.fmt_secs(result.seconds)})')
    if result.steps or result.missing:
        out.append('')
        out.append('Reply for the list:')
        out.extend(reply.lines(result))
    return '\n'.join(out) + '\n'


def counts(result: Result, kunit_cases: bool = True) -> dict[str, Counts]:
    """JUnit/closing-line view: a case per patch and check, plus KUnit."""
    series = Counts()
    group = f'{result.kind}.series'
    if result.problems:
        series.add_case(Case(group, 'input', 'FAIL', '; '.join(
            result.problems)))
    for pos in result.missing:
        series.add_case(Case(group, f'{pos:02d}/{result.total} present', 'FAIL',
                             'missing from the input'))
    for s in result.steps:
        name = f'{s.position:02d}/{s.total} {s.title}'
        cp = s.checkpatch
        series.add_case(Case(group, f'{name}: checkpatch',
                             'FAIL' if cp.errors or cp.problem else 'PASS',
                             cp.problem or f'{cp.errors} errors, '
                             f'{cp.warnings} warnings, {cp.checks} checks'))
        series.add_case(Case(group, f'{name}: applies',
                             {Applies.YES: 'PASS',
                              Applies.NO: 'FAIL'}.get(s.applies, 'SKIP'),
                             s.apply_detail))
        series.add_case(Case(group, f'{name}: builds',
                             {Builds.YES: 'PASS',
                              Builds.NO: 'FAIL'}.get(s.builds, 'SKIP'),
                             s.build_detail))
        for check_name, _, bot in s.bot_checks():
            series.add_case(Case(group, f'{name}: {check_name}',
                                 bot_status(bot), bot_message(bot)))
    layers = {result.kind: series}
    k = result.kunit
    if k is not None:
        kunit = Counts()
        if k.ran and kunit_cases:
            for c in k.cases:
                kunit.add_case(Case(f'kunit-tip.{c.suite}', c.name, c.status))
        status = 'PASS' if k.ran and k.code == 0 else \
            'SKIP' if not k.ran else 'FAIL'
        kunit.add_case(Case('kunit-tip', 'run', status,
                            k.message or k.note or k.summary))
        d = result.delta
        if d.available:
            kunit.add_case(Case('kunit-tip', 'no newly failing case',
                                'FAIL' if d.newly_failing else 'PASS',
                                ', '.join(d.newly_failing)))
        layers['kunit'] = kunit
    if result.steps:
        series.add_case(Case(group, 'b4 prep', bot_status(result.b4),
                             bot_message(result.b4)))
    return layers


def b4_lines(result: Result) -> list[str]:
    """b4 prep on the series: what it did, its errors."""
    b4 = result.b4
    said = b4.describe() if b4.outcome in ('not run', 'broken') else \
        f'{b4.outcome}: {b4.describe()}'
    out = textwrap.wrap(f'b4 prep: {said}', 76, subsequent_indent='  ')
    for f in b4.findings:
        out.extend(textwrap.wrap(f'{f.level}: {f.message}' +
                                 (f' ({f.where})' if f.where else ''), 76,
                                 initial_indent='  ',
                                 subsequent_indent='    '))
    return out


def bot_status(check: Check) -> str:
    """A bot check as a case: FAIL for errors or when it did not run
    (as checkpatch's case), SKIP when not run, PASS with warnings or
    checks (as checkpatch's warnings)."""
    return {'broken': 'FAIL', 'fail': 'FAIL', 'not run': 'SKIP'}.get(
        check.outcome, 'PASS')


def bot_message(check: Check) -> str:
    first = check.first()
    return check.describe() + (
        f'; {first.level}: {first.message}' +
        (f' ({first.where})' if first.where else '') if first else '')


def write(result: Result, directory: Path,
          origin: str = kcidb.DEFAULT_ORIGIN) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {'text': directory / 'report.txt',
             'json': directory / 'report.json',
             'junit': directory / 'junit.xml',
             'kcidb': directory / 'kcidb.json',
             'patchwork': directory / 'patchwork.json'}
    paths['text'].write_text(text(result))
    paths['json'].write_text(json.dumps(result.to_json(), indent=1) + '\n')
    junit.write(paths['junit'], counts(result))
    kcidb.write(result, paths['kcidb'], origin)
    patchwork.write(result, paths['patchwork'])
    return paths
