"""The KCIDB submission of a check/validate result, checked against the
required fields, types, patterns and status enum of the KCIDB I/O schema
it targets, v5.3 (kernelci/kcidb-io, kcidb_io/schema/v05_03.py), by the
small checker below; for this project's own series (all passing) and
for a series with a build break."""

from __future__ import annotations

import copy
import datetime
import json
import re
import subprocess
import unittest
from pathlib import Path
from typing import Any, Callable

from . import results
from .helpers import TmpTestCase
from pcltools.check import kcidb, model, report
from pcltools.errors import Exit, PclError

# --- KCIDB I/O schema v5.3, the parts the submission uses --------------------

MAJOR, MINOR = 5, 3
ORIGIN = r'[a-z0-9_]+'                       # origin_pattern
ORIGIN_ID = ORIGIN + r':[^\0]*'              # origin_id_pattern (v5)
SHA1 = r'[0-9a-f]{40}'                       # git_commit_hash_pattern
SHA256 = r'[0-9a-f]{64}'                     # sha256_pattern
TEXT = r'[^\0]*'                             # free text: no NUL
TREE_PATH = r'([a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*)?'   # $defs/path
ARCH = r'[a-z0-9_]*'
STATUS = ('FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP')
EXCERPT = 16384                              # log_excerpt maxLength

Check = Callable[[Any], str]                 # '' when the value is right


def string(pattern: str = TEXT, max_len: int = 0) -> Check:
    def check(v: Any) -> str:
        if not isinstance(v, str):
            return f'not a string: {v!r}'
        if not re.fullmatch(pattern, v):
            return f'{v!r} does not match ^{pattern}$'
        if max_len and len(v) > max_len:
            return f'longer than {max_len}'
        return ''
    return check


def enum(*values: str) -> Check:
    return lambda v: '' if v in values else f'{v!r} not one of {values}'


def date_time(v: Any) -> str:
    try:
        datetime.datetime.fromisoformat(v)
    except (TypeError, ValueError):
        return f'not a date-time: {v!r}'
    return ''


def uri(v: Any) -> str:
    return '' if isinstance(v, str) and re.match(r'[a-z][a-z0-9+.-]*:', v) \
        else f'not a URI: {v!r}'


def email(v: Any) -> str:
    return '' if isinstance(v, str) and '@' in v else f'not an e-mail: {v!r}'


def boolean(v: Any) -> str:
    return '' if isinstance(v, bool) else f'not a boolean: {v!r}'


def number(v: Any) -> str:
    return '' if isinstance(v, (int, float)) and not isinstance(v, bool) \
        else f'not a number: {v!r}'


def obj(v: Any) -> str:
    return '' if isinstance(v, dict) else f'not an object: {v!r}'


def strings(pattern: str = TEXT) -> Check:
    item = string(pattern)

    def check(v: Any) -> str:
        if not isinstance(v, list):
            return f'not an array: {v!r}'
        return next((e for e in map(item, v) if e), '')
    return check


def resources(v: Any) -> str:
    if not isinstance(v, list):
        return f'not an array: {v!r}'
    for r in v:
        problems = record(r, {'name': string(r'[^/\0]+'), 'url': uri},
                          ('name', 'url'))
        if problems:
            return '; '.join(problems)
    return ''


def environment(v: Any) -> str:
    return '; '.join(record(v, {'compatible': strings(r'[^ \0]+(,[^ \0]+)*'),
                                'comment': string(), 'misc': obj}, ()))


def test_number(v: Any) -> str:
    return '; '.join(record(v, {'value': number,
                                'unit': string(),
                                'prefix': enum('metric', 'binary')},
                            ('value',)))


CHECKOUT = ({
    '_timestamp': date_time, 'id': string(ORIGIN_ID),
    'origin': string(ORIGIN), 'tree_name': string(),
    'git_repository_url': string(r'https://[^\0]*'),
    'git_commit_hash': string(SHA1), 'git_commit_name': string(),
    'git_commit_tags': strings(), 'git_commit_message': string(),
    'git_repository_branch': string(), 'git_repository_branch_tip': boolean,
    'patchset_files': resources, 'patchset_hash': string(f'|{SHA256}'),
    'message_id': email, 'comment': string(), 'start_time': date_time,
    'origin_builds_finish_time': date_time,
    'origin_tests_finish_time': date_time, 'contacts': strings(),
    'log_url': uri, 'log_excerpt': string(max_len=EXCERPT),
    'valid': boolean, 'misc': obj,
}, ('id', 'origin'))

BUILD = ({
    '_timestamp': date_time, 'checkout_id': string(ORIGIN_ID),
    'id': string(ORIGIN_ID), 'origin': string(ORIGIN), 'comment': string(),
    'start_time': date_time, 'duration': number,
    'architecture': string(ARCH), 'command': string(), 'compiler': string(),
    'input_files': resources, 'output_files': resources,
    'config_name': string(), 'config_url': uri, 'log_url': uri,
    'log_excerpt': string(max_len=EXCERPT), 'status': enum(*STATUS),
    'misc': obj,
}, ('checkout_id', 'id', 'origin'))

TEST = ({
    '_timestamp': date_time, 'build_id': string(ORIGIN_ID),
    'id': string(ORIGIN_ID), 'origin': string(ORIGIN),
    'environment': environment, 'path': string(TREE_PATH),
    'comment': string(), 'log_url': uri,
    'log_excerpt': string(max_len=EXCERPT), 'status': enum(*STATUS),
    'number': test_number, 'start_time': date_time, 'duration': number,
    'input_files': resources, 'output_files': resources, 'misc': obj,
}, ('build_id', 'id', 'origin'))


def record(v: Any, props: dict[str, Check], required: tuple[str, ...]
           ) -> list[str]:
    """An object of the schema: required fields there, no other fields
    than props (additionalProperties: false), no nulls, each value
    right."""
    if not isinstance(v, dict):
        return [f'not an object: {v!r}']
    out = [f'missing {k}' for k in required if k not in v]
    for k, value in v.items():
        if k not in props:
            out.append(f'unknown field {k}')
        elif value is None:
            out.append(f'{k} is null')
        else:
            why = props[k](value)
            if why:
                out.append(f'{k}: {why}')
    return out


def problems(data: Any) -> list[str]:
    """What keeps data from being a valid KCIDB v5.3 submission whose
    objects all link up."""
    if not isinstance(data, dict):
        return ['not an object']
    out = [f'unknown top-level field {k}' for k in data
           if k not in ('version', 'checkouts', 'builds', 'tests', 'issues',
                        'incidents')]
    version = data.get('version')
    if not isinstance(version, dict) or version.get('major') != MAJOR or \
            not isinstance(version.get('minor', 0), int) or \
            not 0 <= version.get('minor', 0) <= MINOR or \
            set(version) - {'major', 'minor'}:
        out.append(f'version: {version!r} is not {MAJOR}.0 .. {MAJOR}.{MINOR}')
    ids: dict[str, set[str]] = {}
    for kind, (props, required) in (('checkouts', CHECKOUT),
                                    ('builds', BUILD), ('tests', TEST)):
        items = data.get(kind, [])
        if not isinstance(items, list):
            out.append(f'{kind}: not an array')
            continue
        ids[kind] = set()
        for i, item in enumerate(items):
            out.extend(f'{kind}[{i}]: {p}' for p in record(item, props,
                                                           required))
            if isinstance(item, dict):
                if item.get('id') in ids[kind]:
                    out.append(f'{kind}[{i}]: id {item["id"]} twice')
                ids[kind].add(item.get('id', ''))
                origin = item.get('origin', '')
                if not str(item.get('id', '')).startswith(f'{origin}:'):
                    out.append(f'{kind}[{i}]: id not prefixed by {origin}:')
    for i, b in enumerate(data.get('builds', [])):
        if isinstance(b, dict) and b.get('checkout_id') not in \
                ids.get('checkouts', set()):
            out.append(f'builds[{i}]: no checkout {b.get("checkout_id")}')
    for i, t in enumerate(data.get('tests', [])):
        if isinstance(t, dict) and t.get('build_id') not in \
                ids.get('builds', set()):
            out.append(f'tests[{i}]: no build {t.get("build_id")}')
    return out


# --- the tests ---------------------------------------------------------------

NOW = datetime.datetime(2026, 1, 2, 3, 14, 5, tzinfo=datetime.timezone.utc)


def submission(result: model.Result, origin: str = kcidb.DEFAULT_ORIGIN
               ) -> dict[str, Any]:
    data = kcidb.submission(result, origin, now=NOW)
    return json.loads(json.dumps(data))          # as a lab reads it


class SchemaCheckerTest(unittest.TestCase):
    """The checker finds what the schema forbids (so that its passing
    means something)."""

    def setUp(self) -> None:
        self.good = submission(results.project_series())
        self.assertEqual(problems(self.good), [])

    def broken(self, change: Callable[[dict[str, Any]], None]) -> list[str]:
        data = copy.deepcopy(self.good)
        change(data)
        return problems(data)

    def test_each_violation_is_found(self) -> None:
        def drop(kind: str, key: str) -> Callable[[dict[str, Any]], None]:
            return lambda d: d[kind][0].pop(key)

        def put(kind: str, key: str, value: Any
                ) -> Callable[[dict[str, Any]], None]:
            return lambda d: d[kind][0].__setitem__(key, value)

        cases: list[tuple[Callable[[dict[str, Any]], None], str]] = [
            (lambda d: d.pop('version'), 'version'),
            (lambda d: d['version'].__setitem__('major', 4), 'version'),
            (lambda d: d['version'].__setitem__('minor', MINOR + 1),
             'version'),
            (drop('checkouts', 'origin'), 'missing origin'),
            (drop('builds', 'checkout_id'), 'missing checkout_id'),
            (drop('tests', 'build_id'), 'missing build_id'),
            (put('builds', 'id', 'pagecache_lock-no-colon'), 'does not match'),
            (put('tests', 'origin', 'Bad-Origin'), 'does not match'),
            (put('tests', 'status', 'OK'), 'not one of'),
            (put('builds', 'status', 'PASSED'), 'not one of'),
            (put('builds', 'valid', True), 'unknown field valid'),
            (put('tests', 'path', 'kunit..x'), 'does not match'),
            (put('tests', 'path', 'kunit.a b'), 'does not match'),
            (put('checkouts', 'patchset_hash', 'abc'), 'does not match'),
            (put('checkouts', 'git_commit_hash', 'b27cf4d'), 'does not match'),
            (put('checkouts', 'comment', None), 'is null'),
            (put('builds', 'log_excerpt', 'x' * (EXCERPT + 1)), 'longer'),
            (put('builds', 'duration', '31'), 'not a number'),
            (put('checkouts', 'start_time', 'yesterday'), 'date-time'),
            (put('tests', 'id', self.good['tests'][1]['id']), 'twice'),
            (put('tests', 'build_id', 'pagecache_lock:nowhere'), 'no build'),
        ]
        for change, expected in cases:
            found = self.broken(change)
            self.assertTrue(any(expected in p for p in found),
                            f'{expected!r} not in {found}')


class ProjectSeriesTest(unittest.TestCase):
    """This project's patches, everything passing."""

    def setUp(self) -> None:
        self.result = results.project_series()
        self.data = submission(self.result)
        self.n = len(self.result.steps)

    def test_valid_against_the_schema(self) -> None:
        self.assertEqual(problems(self.data), [])
        self.assertEqual(self.data['version'], {'major': 5, 'minor': 3})

    def test_checkout(self) -> None:
        [checkout] = self.data['checkouts']
        self.assertEqual(checkout['origin'], 'pagecache_lock')
        self.assertTrue(checkout['id'].startswith('pagecache_lock:'))
        self.assertEqual(checkout['git_commit_hash'], results.BASE_COMMIT)
        self.assertIn(results.BASE_DESC, checkout['comment'])
        self.assertTrue(checkout['valid'])
        self.assertEqual(checkout['contacts'], self.result.to + self.result.cc)
        self.assertEqual(checkout['message_id'], self.result.steps[0].msgid)

    def test_patchset_hash_is_kcidbs(self) -> None:
        """The schema's own definition, run in a shell:
        sha256sum *.patch | cut -c-64 | sha256sum | cut -c-64"""
        files = [s.file for s in self.result.steps]
        shell = subprocess.run(
            ['sh', '-c', 'sha256sum "$@" | cut -c-64 | sha256sum | '
             'cut -c-64', 'sh', *files], check=True, text=True,
            stdout=subprocess.PIPE)
        self.assertEqual(self.data['checkouts'][0]['patchset_hash'],
                         shell.stdout.strip())
        # The same from the files when the pipeline recorded no sha256.
        for s in self.result.steps:
            s.sha256 = ''
        self.assertEqual(kcidb.submission(self.result, now=NOW)['checkouts'][
            0]['patchset_hash'], shell.stdout.strip())
        self.assertEqual(kcidb.patchset_hash([]), '')

    def test_a_build_per_patch_and_configuration(self) -> None:
        builds = self.data['builds']
        self.assertEqual(len(builds), self.n)
        self.assertEqual({b['status'] for b in builds}, {'PASS'})
        self.assertEqual(len({b['id'] for b in builds}), self.n)
        self.assertEqual({b['config_name'] for b in builds}, {results.CONFIG})
        self.assertEqual({b['architecture'] for b in builds}, {'um'})
        self.assertIn(self.result.steps[0].title, builds[0]['comment'])
        self.assertEqual(builds[0]['duration'], 31.0)

    def test_tests(self) -> None:
        tests = self.data['tests']
        checkpatch = [t for t in tests if t['path'] == 'checkpatch']
        self.assertEqual(len(checkpatch), self.n)
        self.assertEqual({t['build_id'] for t in checkpatch},
                         {b['id'] for b in self.data['builds']})
        kunit = [t for t in tests if t['path'].startswith('kunit')]
        cases = sum(len(v) for v in results.SUITES.values())
        self.assertEqual(len(kunit), 1 + cases)
        tip = self.data['builds'][-1]['id']
        self.assertEqual({t['build_id'] for t in kunit}, {tip})
        self.assertIn('kunit.pagecache_lock_fault.ab_ba_retry',
                      [t['path'] for t in kunit])
        self.assertEqual({t['status'] for t in tests}, {'PASS'})

    def test_origin(self) -> None:
        data = submission(self.result, 'lab_42')
        self.assertEqual(problems(data), [])
        for kind in ('checkouts', 'builds', 'tests'):
            for item in data[kind]:
                self.assertEqual(item['origin'], 'lab_42')
                self.assertTrue(item['id'].startswith('lab_42:'))
        for bad in ('', 'Pagecache', 'page-cache', 'a:b', 'lab 1', 'é'):
            with self.assertRaises(PclError) as cm:
                kcidb.submission(self.result, bad)
            self.assertEqual(cm.exception.code, Exit.USAGE)
            self.assertIn('--kcidb-origin', cm.exception.message)


class BuildBreakTest(unittest.TestCase):
    """2/4 breaks the build, 3/4 and 4/4 are not built, 4/4 has a
    checkpatch error; KUnit does not run."""

    def setUp(self) -> None:
        self.result = results.build_break_series()
        self.data = submission(self.result)

    def test_valid_against_the_schema(self) -> None:
        self.assertEqual(problems(self.data), [])

    def test_statuses(self) -> None:
        builds = self.data['builds']
        self.assertEqual([b['status'] for b in builds],
                         ['PASS', 'FAIL', 'SKIP', 'SKIP'])
        self.assertIn("'holder' undeclared", builds[1]['log_excerpt'])
        self.assertNotIn('log_excerpt', builds[0])
        self.assertIn('2/4 does not build', builds[2]['comment'])
        checkpatch = [t for t in self.data['tests']
                      if t['path'] == 'checkpatch']
        self.assertEqual([t['status'] for t in checkpatch],
                         ['PASS', 'PASS', 'PASS', 'FAIL'])
        self.assertIn('ERROR: code indent', checkpatch[3]['log_excerpt'])
        [run] = [t for t in self.data['tests'] if t['path'] == 'kunit']
        self.assertEqual(run['status'], 'SKIP')
        self.assertIn('the tip does not build', run['comment'])
        self.assertTrue(self.data['checkouts'][0]['valid'])
        self.assertEqual(self.data['checkouts'][0]['message_id'],
                         self.result.cover_msgid)

    def test_a_patch_that_does_not_apply(self) -> None:
        s = self.result.steps[2]
        s.applies, s.builds = model.Applies.NO, model.Builds.NOT_BUILT
        s.apply_detail = 'error: patch failed: mm/filemap.c:12'
        data = submission(self.result)
        self.assertEqual(problems(data), [])
        [checkout] = data['checkouts']
        self.assertFalse(checkout['valid'])
        self.assertIn('3/4 does not apply', checkout['log_excerpt'])
        self.assertEqual(data['builds'][2]['status'], 'SKIP')

    def test_a_run_that_stopped(self) -> None:
        """Steps the pipeline never reached: MISS (the harness failed)."""
        self.result.fatal = 'git failed: fatal: unable to write index'
        for s in self.result.steps[2:]:
            s.builds, s.checkpatch = model.Builds.NOT_BUILT, model.Checkpatch()
        data = submission(self.result)
        self.assertEqual(problems(data), [])
        self.assertEqual([b['status'] for b in data['builds']],
                         ['PASS', 'FAIL', 'MISS', 'MISS'])
        self.assertEqual([t['status'] for t in data['tests']
                          if t['path'] == 'checkpatch'][2:], ['MISS', 'MISS'])

    def test_kunit_statuses(self) -> None:
        r = results.project_series()
        assert r.kunit is not None
        r.kunit.cases[0].status = 'FAIL'
        r.kunit.cases[1].status = 'SKIP'
        r.kunit.cases[2].status = 'ERROR'
        r.kunit.cases.append(model.KunitCase('pagecache_lock', 'odd case (1)',
                                             'PASS'))
        r.kunit.code = int(Exit.KERNEL_CRASHED)
        data = submission(r)
        self.assertEqual(problems(data), [])
        statuses = {t['path']: t['status'] for t in data['tests']}
        self.assertEqual(statuses['kunit'], 'FAIL')
        self.assertEqual(statuses['kunit.pagecache_lock.add_shared'], 'FAIL')
        self.assertEqual(statuses['kunit.pagecache_lock.block_shared'], 'SKIP')
        self.assertEqual(statuses['kunit.pagecache_lock.add_excludes_block'],
                         'ERROR')
        self.assertEqual(statuses['kunit.pagecache_lock.odd_case_1'], 'PASS')
        r.kunit.code = int(Exit.NO_TESTS)
        self.assertEqual([t['status'] for t in submission(r)['tests']
                          if t['path'] == 'kunit'], ['MISS'])


class WrittenTest(TmpTestCase):
    def test_report_directory_and_origin(self) -> None:
        paths = report.write(results.build_break_series(), self.tmp, 'lab_1')
        data = json.loads(paths['kcidb'].read_text())
        self.assertEqual(problems(data), [])
        self.assertEqual(data['checkouts'][0]['origin'], 'lab_1')
        self.assertTrue(Path(paths['patchwork']).exists())


if __name__ == '__main__':
    unittest.main()
