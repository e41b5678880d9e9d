"""report.txt's reply for the list, in the shape of the kernel test
robot's replies: what was tested, the base, the configuration, how to
reproduce it with this repository's commands, the first error of each
patch, and, when there is something to fix, the tags to add (a neutral
tool identity, never a person)."""

from __future__ import annotations

import textwrap

from .. import buildlog, config
from . import stepdelta
from .model import Applies, Builds, Result, StepResult

REPORTER = f'{config.QUEUE_IDENT_NAME} validation <{config.QUEUE_IDENT_EMAIL}>'
CUT = '-------- 8< --------'
WIDTH = 72


def _first(text: str) -> str:
    return next((l.strip() for l in text.splitlines() if l.strip()), '')


def _clip(line: str) -> str:
    return line if len(line) <= WIDTH else line[:WIDTH - 3] + '...'


def first_errors(step: StepResult, delta: stepdelta.StepDelta
                 ) -> list[tuple[str, str]]:
    """The patch's first error (or new warning) of each kind: (what,
    the line)."""
    out = []
    if step.applies == Applies.NO:
        out.append(('does not apply (git am)', _first(step.apply_detail)))
    if step.builds == Builds.NO:
        out.append(('build error', buildlog.first_error_line(
            step.build_detail)))
    elif delta.build.adds and step.warnings:
        out.append((f'build: adds warnings ({delta.build.text()})',
                    step.warnings[0]))
    cp = step.checkpatch
    if cp.problem:
        out.append(('checkpatch: did not run', cp.problem))
    errors = [f for f in cp.findings if f.level == 'ERROR']
    first = errors[0] if errors else cp.findings[0] \
        if delta.checkpatch.adds and cp.findings else None
    if first:
        what = 'checkpatch error' if errors else \
            f'checkpatch: adds warnings ({delta.checkpatch.text()})'
        out.append((what, f'{first.level}: {first.message}' +
                    (f' ({first.where})' if first.where else '')))
    for _, words, c in step.bot_checks():
        if c.problem:
            out.append((f'{words}: did not run', c.problem))
            continue
        errors = [f for f in c.findings if f.level == 'ERROR']
        warned = [f for f in c.findings if f.level == 'WARNING']
        found = errors[0] if errors else warned[0] if warned else None
        if found is None:
            continue
        what = f'{words}: error' if errors else \
            f'{words}: adds warnings ({delta.kerneldoc.text()})' \
            if c is step.kerneldoc else f'{words}: warning'
        out.append((what, f'{found.level}: {found.message}' +
                    (f' ({found.where})' if found.where else '')))
    return out


def reproduce(result: Result) -> list[str]:
    """This repository's commands that redo the run."""
    no_kunit = ' --no-kunit' if result.kunit is None else ''
    if result.kind == 'check':
        return ['make check', f'# or: tools/pcl check{no_kunit}']
    source = result.source if result.source not in ('', 'stdin') \
        else 'series.mbox'
    onto = ' ONTO=series' if result.onto_sha256 else ''
    onto_opt = ' --onto-series' if result.onto_sha256 else ''
    return [f'make validate MBOX={source}{onto}',
            f'# or: tools/pcl validate {source}{onto_opt}{no_kunit}']


def lines(result: Result) -> list[str]:
    """The reply, between cut lines."""
    what = 'the patches of this repository' if result.kind == 'check' \
        else 'this series'
    deltas = {d.label: d for d in stepdelta.deltas(result)}
    found = [(s, first_errors(s, deltas[s.label])) for s in result.steps]
    found = [(s, errs) for s, errs in found if errs]
    problems = result.code != 0
    out = [CUT, 'Hi,', '']
    out.extend(textwrap.wrap(
        f'the pagecache-lock validation tested {what} and ' + (
            'found the problems below.' if problems else
            'found no error, but new warnings (below).' if found else
            'found no problem.'), WIDTH))
    out.append('')
    out.append(_clip(f'[validation: {result.verdict}]'))
    out.append('')
    if result.title:
        out.append(_clip(f'series:    {result.title}'))
    if result.base:
        out.append(_clip(f'base:      {result.base}'))
    if result.config:
        out.extend(textwrap.wrap(f'config:    {result.config}', WIDTH,
                                 subsequent_indent=' ' * 11))
    tested = 'checkpatch.pl --strict, git am, kernel-doc, the rst ' \
        'syntax, the Fixes: tags and the subject, a build at every patch' + \
        (', KUnit at the tip' if result.kunit is not None and
         result.kunit.ran else '') + \
        ', get_maintainer.pl' + (', b4 prep' if result.b4.ran else '')
    out.extend(textwrap.wrap(f'tested:    {tested}', WIDTH,
                             subsequent_indent=' ' * 11))
    out.append('reproduce: (in a clone of the pagecache-lock repository)')
    out.extend(f'           {c}' for c in reproduce(result))
    if problems or found:
        out.append('')
        out.append('If you fix the issue in a separate patch/commit (i.e. not '
                   'just a new')
        out.append('version of the same patch/commit), kindly add these tags:')
        out.append(f'| Reported-by: {REPORTER}')
        out.append('| Closes: <the lore.kernel.org link of this reply>')
    for pos in result.missing:
        out.append('')
        out.append(f'{pos}/{result.total}: missing from the input')
    if found:
        out.append('')
        out.append('Per patch, the first error of each kind:')
        for s, errs in found:
            out.append(_clip(f'  {s.label} {s.title}'))
            for kind, line in errs:
                out.append(f'    {kind}:')
                out.append(f'>>    {line}')
    k = result.kunit
    if k is not None and not k.ran:
        out.append('')
        out.append(_clip(f'KUnit at the tip: {k.note}'))
    elif k is not None:
        failing = [c.full_name for c in k.cases if c.status == 'FAIL']
        newly = result.delta.newly_failing
        if failing or newly or k.code:
            out.append('')
            out.append(_clip(f'KUnit at the tip: {k.summary}'))
            if newly:
                out.extend(textwrap.wrap('>>    newly failing: ' +
                                         ', '.join(newly), WIDTH,
                                         subsequent_indent='        '))
            elif failing:
                out.extend(textwrap.wrap('      failing: ' +
                                         ', '.join(failing), WIDTH,
                                         subsequent_indent='        '))
            if k.oops:
                out.append('      ' + _first(k.oops))
    out.append(CUT)
    return out
