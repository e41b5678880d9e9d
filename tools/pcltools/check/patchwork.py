"""The check/validate result as patchwork checks: per patch, the contexts
checkpatch, apply, build, kernel-doc, rst, fixes, subject, kunit,
maintainers and b4, each with a patchwork
state (success, warning, fail, pending) and a one-line description.

Each check holds the fields of patchwork's REST API
(POST /api/patches/<id>/checks/: state, target_url, context,
description; target_url is left out, there is none); beside them, the
same as `git-pw check create` arguments, to which the patch's id is
appended. The patch is found by its Message-Id
(GET /api/patches/?msgid=...). KUnit, get_maintainer.pl and b4 prep
run on the whole series: their checks are the same on every patch and
say so."""

from __future__ import annotations

import json
from pathlib import Path

from .. import buildlog
from ..errors import Exit
from . import stepdelta
from .model import Applies, Builds, Check, JsonObj, Result, StepResult

CONTEXTS = ('checkpatch', 'apply', 'build', 'kernel-doc', 'rst', 'fixes',
            'subject', 'kunit', 'maintainers', 'b4')
STATES = ('pending', 'success', 'warning', 'fail')
DESCRIPTION_MAX = 200


def _one_line(text: str) -> str:
    line = ' '.join(text.split())
    if len(line) > DESCRIPTION_MAX:
        line = line[:DESCRIPTION_MAX - 3] + '...'
    return line


def _first_line(text: str) -> str:
    return next((l.strip() for l in text.splitlines() if l.strip()), '')


def checkpatch(step: StepResult, count: stepdelta.Count) -> tuple[str, str]:
    cp = step.checkpatch
    if cp.problem:
        return 'warning', f'checkpatch.pl did not run: {cp.problem}'
    if not cp.ran:
        return 'pending', 'checkpatch.pl has not run'
    counts = f'{cp.errors} errors, {cp.warnings} warnings, {cp.checks} checks'
    delta = f' ({count.text()})'
    if cp.errors:
        first = next((f for f in cp.findings if f.level == 'ERROR'), None)
        return 'fail', counts + delta + (f'; {first.message}' if first
                                         else '')
    if cp.warnings or cp.checks:
        return 'warning', counts + delta
    return 'success', 'no errors, warnings or checks'


def apply(step: StepResult) -> tuple[str, str]:
    if step.applies == Applies.YES:
        return 'success', 'applies (git am)'
    if step.applies == Applies.NO:
        first = _first_line(step.apply_detail)
        return 'fail', 'does not apply (git am)' + (f': {first}' if first
                                                   else '')
    return 'pending', 'git am has not run'


def build(step: StepResult, count: stepdelta.Count,
          result: Result) -> tuple[str, str]:
    if step.builds == Builds.YES:
        if count.adds:
            return 'warning', f'builds; adds compiler warnings ' \
                f'({count.text()})'
        if step.warnings:
            return 'warning', f'builds; {len(step.warnings)} compiler ' \
                f'warning(s) ({count.text()})'
        return 'success', f'builds (UML; {count.text()})'
    if step.builds == Builds.NO:
        return 'fail', 'does not build: ' + buildlog.first_error_line(
            step.build_detail)
    if step.builds == Builds.SKIPPED:
        return 'warning', step.build_detail or 'not built'
    if result.fatal:
        return 'pending', 'not built: the run stopped: ' + \
            _first_line(result.fatal)
    return 'warning', step.build_detail or 'not built'


_PASSED = {
    'kernel-doc': 'no new kernel-doc warning in {checked} (warnings before: '
                  '{before}, this patch: {now})',
    'rst': 'no new reStructuredText warning in {checked} (warnings before: '
           '{before}, this patch: {now})',
    'fixes': 'Fixes: tags: {checked}, each in the right form, naming a '
             'commit below with its subject',
    'b4': '{checked}: the series\' subjects and trees, and its cover '
          'letter when it has more than one patch',
    'subject': 'subject {checked}: a subsystem prefix, at most 75 '
               'characters, no trailing period',
}


def bot(name: str, words: str, check: Check,
        result: Result) -> tuple[str, str]:
    """kernel-doc, rst, fixes or subject: fail on errors, warning on
    warnings or checks (as checkpatch's), or when it did not run."""
    outcome = check.outcome
    if outcome == 'pass':
        if name == 'fixes' and not check.findings and \
                check.checked == 'no tag':
            return 'success', 'no Fixes: tag'
        return 'success', _PASSED[name].format(
            checked=check.checked, before=check.before, now=check.now)
    if outcome == 'broken':
        return 'warning', f'{words} did not run: {check.problem}'
    if outcome == 'not run':
        return ('pending' if result.fatal else 'warning'), \
            f'{words}: {check.note or "not run"}'
    first = check.first()
    said = f'{words}: {check.describe()}' + (
        f'; {first.message}' + (f' ({first.where})' if first.where else '')
        if first else '')
    state = {'fail': 'fail', 'warn': 'warning', 'note': 'warning'}.get(
        outcome, 'success')
    return state, said


def kunit(result: Result) -> tuple[str, str]:
    k = result.kunit
    if k is None:
        return 'warning', 'KUnit not run (--no-kunit)'
    if not k.ran:
        return 'warning', f'KUnit at the tip: {k.note}'
    d = result.delta
    where = f'KUnit (UML) at the tip of the series: {k.summary}'
    if d.newly_failing:
        where += f'; newly failing: {", ".join(d.newly_failing[:3])}'
    if k.code == Exit.KERNEL_CRASHED:
        return 'fail', where + '; the kernel crashed'
    if k.code == Exit.BUILD_FAILED:
        return 'fail', where + '; the KUnit kernel does not build'
    if k.code == Exit.TESTS_FAILED or d.newly_failing:
        return 'fail', where
    if k.code == Exit.KERNEL_REPORTS:
        return 'warning', where + '; unexpected kernel reports'
    if k.code != Exit.OK:
        return 'fail', where + (f'; {_first_line(k.message)}' if k.message
                                else '')
    return 'success', where


def maintainers(result: Result) -> tuple[str, str]:
    if result.maintainers_problem:
        return 'warning', f'get_maintainer.pl: {result.maintainers_problem}'
    if not result.to and not result.cc:
        return 'warning', 'get_maintainer.pl found no maintainer or list'
    return 'success', f'get_maintainer.pl on the series: To: ' \
        f'{len(result.to)} maintainer(s), Cc: {len(result.cc)} ' \
        'reviewer(s) and list(s)'


def _check(context: str, state: str, description: str) -> JsonObj:
    assert context in CONTEXTS and state in STATES, (context, state)
    return {'context': context, 'state': state,
            'description': _one_line(description)}


def git_pw(check: JsonObj) -> list[str]:
    """`git-pw check create` for a check; the patch's id goes last."""
    return ['git-pw', 'check', 'create', '--context', check['context'],
            '--state', check['state'], '--description', check['description']]


def checks(result: Result) -> JsonObj:
    """The checks of every patch of result, ready to post."""
    deltas = {d.label: d for d in stepdelta.deltas(result)}
    series_wide = [('kunit', *kunit(result)),
                   ('maintainers', *maintainers(result)),
                   ('b4', *bot('b4', 'b4 prep', result.b4, result))]
    patches = []
    for s in result.steps:
        d = deltas[s.label]
        per_patch = [('checkpatch', *checkpatch(s, d.checkpatch)),
                     ('apply', *apply(s)),
                     ('build', *build(s, d.build, result))]
        per_patch += [(name, *bot(name, words, c, result))
                      for name, words, c in s.bot_checks()]
        found = [_check(c, st, desc) for c, st, desc in
                 per_patch + series_wide]
        patches.append({
            'position': s.position, 'total': s.total, 'subject': s.subject,
            'msgid': s.msgid, 'checks': found,
            'git_pw': [git_pw(c) for c in found]})
    return {'series': result.title, 'source': result.source,
            'base': result.base, 'missing': list(result.missing),
            'patches': patches}


def write(result: Result, path: Path) -> None:
    path.write_text(json.dumps(checks(result), indent=1) + '\n')
