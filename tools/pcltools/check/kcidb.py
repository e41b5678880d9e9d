"""The check/validate result as one KCIDB submission (KernelCI's common
results database), in KCIDB I/O schema v5.3 (kernelci/kcidb-io,
kcidb_io/schema/v05_03.py):

- one checkout: the base commit and the series' patchset hash (sha256
  over the newline-terminated sha256 hex digests of the patches, in
  order: `sha256sum *.patch | cut -c-64 | sha256sum`), valid when every
  patch applied;
- a build a patch and configuration (one configuration: kunit.py's UML
  one with the series' kunitconfigs), with its status;
- tests: on every patch's build, checkpatch and the bot's checks
  (kernel-doc, rst, fixes, subject); on the tip's build, b4 prep on the
  series, the KUnit run and a test a KUnit case.

Every id starts with the origin and a colon; the origin must match the
schema's origin pattern, checked before anything runs (check_origin)."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from pathlib import Path
from typing import Optional

from ..errors import Exit, PclError
from . import stepdelta
from .model import (Builds, Check, JsonObj, KunitResult, Result,
                    StepResult)

SCHEMA_VERSION = (5, 3)
DEFAULT_ORIGIN = 'pagecache_lock'
ORIGIN = re.compile(r'[a-z0-9_]+')          # the schema's origin pattern
_SHA1 = re.compile(r'[0-9a-f]{40}')
_PATH_PART = re.compile(r'[^a-zA-Z0-9_-]+')
EXCERPT_MAX = 16384                          # log_excerpt's maxLength
KUNIT_STATUSES = {'PASS', 'FAIL', 'SKIP', 'ERROR'}


def check_origin(origin: str) -> None:
    """A usage error unless origin matches KCIDB's origin pattern."""
    if not ORIGIN.fullmatch(origin):
        raise PclError(Exit.USAGE, f'--kcidb-origin {origin!r}: KCIDB origins '
                       'are lower-case letters, digits and underscores '
                       f'(pattern ^{ORIGIN.pattern}$), e.g. {DEFAULT_ORIGIN}')


def patchset_hash(hashes: list[str]) -> str:
    """KCIDB's patchset hash of patches with these sha256 hex digests;
    '' for no patch."""
    if not hashes:
        return ''
    return hashlib.sha256(''.join(h + '\n' for h in hashes).encode()
                          ).hexdigest()


def step_hash(step: StepResult) -> str:
    """The patch's sha256: recorded by the pipeline, else of its file."""
    if step.sha256:
        return step.sha256
    return hashlib.sha256(Path(step.file).read_bytes()).hexdigest()


def _text(s: str, limit: int = 0) -> str:
    """A string the schema takes: no NUL, at most limit characters."""
    s = s.replace('\0', '')
    if limit and len(s) > limit:
        s = s[:limit - 4] + '\n...'
    return s


def test_path(*parts: str) -> str:
    """A dot-separated path of the schema's test tree: each part made of
    letters, digits, '_' and '-'."""
    out = []
    for part in parts:
        for p in part.split('.'):
            p = _PATH_PART.sub('_', p).strip('_') or '_'
            out.append(p)
    return '.'.join(out)


def _times(result: Result, now: Optional[datetime.datetime]
           ) -> tuple[str, str]:
    end = now or datetime.datetime.now(datetime.timezone.utc)
    start = result.started or (
        end - datetime.timedelta(seconds=result.seconds)).isoformat()
    return start, end.isoformat()


def _build_status(step: StepResult, result: Result) -> tuple[str, str]:
    """KCIDB status and why, for the build at this patch."""
    if step.builds == Builds.YES:
        return 'PASS', 'builds'
    if step.builds == Builds.NO:
        return 'FAIL', 'does not build'
    if step.builds == Builds.SKIPPED:
        return 'SKIP', step.build_detail or 'not built'
    if step.applies == 'no':
        return 'SKIP', 'not built: the patch does not apply'
    if result.fatal:                # the pipeline stopped before it
        return 'MISS', f'not built: {result.fatal.splitlines()[0]}'
    return 'SKIP', step.build_detail or 'not built'


def _checkpatch_status(step: StepResult, result: Result) -> str:
    cp = step.checkpatch
    if cp.problem:
        return 'ERROR'
    if not cp.ran:
        return 'MISS' if result.fatal else 'SKIP'
    return 'FAIL' if cp.errors else 'PASS'


def _kunit_status(k: KunitResult) -> str:
    if not k.ran:
        return 'SKIP'
    if k.code == Exit.OK:
        return 'PASS'
    if k.code in (Exit.TESTS_FAILED, Exit.KERNEL_CRASHED,
                  Exit.KERNEL_REPORTS, Exit.BUILD_FAILED):
        return 'FAIL'
    if k.code == Exit.NO_TESTS:
        return 'MISS'
    return 'ERROR'


class _Ids:
    """The ids of one submission: origin:<base>+<patchset>[:...]."""

    def __init__(self, origin: str, base: str, patchset: str) -> None:
        key = '+'.join(p for p in (base[:12], patchset[:16]) if p) or 'empty'
        self.checkout = f'{origin}:{key}'
        self.seen: set[str] = set()

    def build(self, step: StepResult, config: str) -> str:
        return f'{self.checkout}:{step.position:02d}-of-{step.total:02d}:' \
            f'{config}'

    def test(self, build_id: str, path: str) -> str:
        tid, n = f'{build_id}:{path}', 1
        while tid in self.seen:         # the same case name twice
            n += 1
            tid = f'{build_id}:{path}#{n}'
        self.seen.add(tid)
        return tid


def submission(result: Result, origin: str = DEFAULT_ORIGIN,
               now: Optional[datetime.datetime] = None) -> JsonObj:
    """The KCIDB I/O data for result (see the module's docstring)."""
    check_origin(origin)
    start, end = _times(result, now)
    hashes = list(result.onto_sha256) + [step_hash(s) for s in result.steps]
    patchset = patchset_hash(hashes)
    base = result.base_commit if _SHA1.fullmatch(result.base_commit) else ''
    ids = _Ids(origin, base, patchset)
    applied = bool(result.steps) and not result.missing and \
        all(s.applies == 'yes' for s in result.steps)

    checkout: JsonObj = {
        'id': ids.checkout, 'origin': origin,
        'patchset_hash': patchset,
        'comment': _text(' on '.join(p for p in (
            result.title or result.source, result.base) if p)),
        'start_time': start,
        'origin_builds_finish_time': end,
        'origin_tests_finish_time': end,
        'valid': applied,
        'contacts': [_text(a) for a in result.to + result.cc],
        'misc': {'kind': result.kind, 'source': _text(result.source),
                 'base': _text(result.base), 'patches': len(result.steps),
                 'missing': list(result.missing),
                 'patches_below': len(result.onto_sha256),
                 'verdict': _text(result.verdict),
                 'exit_status': result.code},
    }
    if base:
        checkout['git_commit_hash'] = base
    msgid = result.cover_msgid or next(
        (s.msgid for s in result.steps if s.msgid), '')
    if msgid:
        checkout['message_id'] = _text(msgid)
    failed = next((s for s in result.steps if s.applies == 'no'), None)
    if failed:
        checkout['log_excerpt'] = _text(
            f'{failed.label} does not apply:\n{failed.apply_detail}',
            EXCERPT_MAX)

    config = test_path(result.config.split(',')[0].lower() or 'uml')
    builds: list[JsonObj] = []
    tests: list[JsonObj] = []
    deltas = {d.label: d for d in stepdelta.deltas(result)}
    for s in result.steps:
        status, why = _build_status(s, result)
        d = deltas[s.label]
        build: JsonObj = {
            'checkout_id': ids.checkout, 'id': ids.build(s, config),
            'origin': origin,
            'comment': _text(f'{s.label} {s.title}: {why}'),
            'architecture': 'um',
            'config_name': _text(result.config or 'UML'),
            'status': status,
            'misc': {'patch': s.label, 'subject': _text(s.subject),
                     'cached': s.build_cached,
                     'warnings': [_text(w) for w in s.warnings],
                     'warnings_before': -1 if d.build.before is None
                     else d.build.before,
                     'adds_warnings': d.build.adds},
        }
        if s.build_secs > 0:
            build['duration'] = round(s.build_secs, 3)
        if s.commit:
            build['misc']['commit'] = s.commit
        if s.builds == Builds.NO and s.build_detail:
            build['log_excerpt'] = _text(s.build_detail, EXCERPT_MAX)
        builds.append(build)
        tests.append(_checkpatch_test(s, result, build['id'], ids, origin,
                                      d.checkpatch))
        tests.extend(_bot_test(s, name, words, c, result, build['id'], ids,
                               origin) for name, words, c in s.bot_checks())
    if result.steps:
        b4 = _bot_test(result.steps[-1], 'b4', 'b4 prep', result.b4, result,
                       builds[-1]['id'], ids, origin)
        b4['comment'] = _text(f'the series: b4 prep: {result.b4.describe()}')
        tests.append(b4)
    if result.steps and result.kunit is not None:
        tip = builds[-1]['id']
        tests.extend(_kunit_tests(result, tip, ids, origin, start))
    return {'version': {'major': SCHEMA_VERSION[0],
                        'minor': SCHEMA_VERSION[1]},
            'checkouts': [checkout], 'builds': builds, 'tests': tests}


def _checkpatch_test(s: StepResult, result: Result, build_id: str,
                     ids: _Ids, origin: str,
                     count: stepdelta.Count) -> JsonObj:
    cp = s.checkpatch
    test: JsonObj = {
        'build_id': build_id, 'id': ids.test(build_id, 'checkpatch'),
        'origin': origin, 'path': 'checkpatch',
        'status': _checkpatch_status(s, result),
        'comment': _text(f'{s.label} {s.title}: checkpatch.pl --strict: ' +
                         (cp.problem or f'{cp.errors} errors, {cp.warnings} '
                          f'warnings, {cp.checks} checks')),
        'misc': {'errors': cp.errors, 'warnings': cp.warnings,
                 'checks': cp.checks,
                 'before': -1 if count.before is None else count.before,
                 'adds_warnings': count.adds},
    }
    if cp.findings:
        test['log_excerpt'] = _text('\n'.join(
            f'{f.level}: {f.message}' + (f' ({f.where})' if f.where else '')
            for f in cp.findings), EXCERPT_MAX)
    return test


def _bot_status(check: Check, result: Result) -> str:
    outcome = check.outcome
    if outcome == 'broken':
        return 'ERROR'
    if outcome == 'not run':
        return 'MISS' if result.fatal else 'SKIP'
    return 'FAIL' if outcome == 'fail' else 'PASS'


def _bot_test(s: StepResult, name: str, words: str, check: Check,
              result: Result, build_id: str, ids: _Ids,
              origin: str) -> JsonObj:
    """A bot check of the patch (kernel-doc, rst, fixes, subject)."""
    test: JsonObj = {
        'build_id': build_id, 'id': ids.test(build_id, name),
        'origin': origin, 'path': test_path(name),
        'status': _bot_status(check, result),
        'comment': _text(f'{s.label} {s.title}: {words}: ' +
                         check.describe()),
        'misc': {'errors': check.errors, 'warnings': check.warnings,
                 'checks': check.checks},
    }
    if check.before >= 0:
        test['misc']['before'] = check.before
        test['misc']['this_patch'] = check.now
    if check.findings:
        test['log_excerpt'] = _text('\n'.join(
            f'{f.level}: {f.message}' + (f' ({f.where})' if f.where else '')
            for f in check.findings), EXCERPT_MAX)
    return test


def _kunit_tests(result: Result, build_id: str, ids: _Ids, origin: str,
                 start: str) -> list[JsonObj]:
    k = result.kunit
    assert k is not None
    d = result.delta
    run: JsonObj = {
        'build_id': build_id, 'id': ids.test(build_id, 'kunit'),
        'origin': origin, 'path': 'kunit', 'status': _kunit_status(k),
        'comment': _text('KUnit (UML) at the tip: ' +
                         (k.summary if k.ran else k.note or 'not run')),
        'environment': {'comment': 'UML (kunit.py run)'},
        'misc': {'exit_status': k.code,
                 'newly_failing': list(d.newly_failing),
                 'newly_passing': list(d.newly_passing),
                 'added': len(d.added), 'removed': len(d.removed),
                 'unexpected_reports': [_text(r) for r in k.unexpected]},
    }
    excerpt = k.oops or k.message
    if excerpt:
        run['log_excerpt'] = _text(excerpt, EXCERPT_MAX)
    out = [run]
    for c in k.cases:
        path = test_path('kunit', c.suite, c.name)
        out.append({
            'build_id': build_id, 'id': ids.test(build_id, path),
            'origin': origin, 'path': path,
            'status': c.status if c.status in KUNIT_STATUSES else 'ERROR',
            'comment': _text(c.full_name),
            'environment': {'comment': 'UML (kunit.py run)'},
            'start_time': start,
        })
    return out


def write(result: Result, path: Path, origin: str = DEFAULT_ORIGIN) -> None:
    path.write_text(json.dumps(submission(result, origin), indent=1) + '\n')
