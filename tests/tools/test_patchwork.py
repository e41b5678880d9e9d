"""Patchwork checks of a check/validate result: per patch, the contexts
checkpatch, apply, build, kunit and maintainers with patchwork's states
and a one-line description, in the fields of patchwork's REST API
(state, target_url, context, description) and as git-pw arguments."""

from __future__ import annotations

import json
import re
import unittest
from typing import Any

from . import results
from .helpers import TmpTestCase
from pcltools.check import model, patchwork
from pcltools.errors import Exit

# patchwork's Check model: state is one of these, context a slug
# (SlugField, max_length=255), description free text, target_url a URL.
STATES = {'pending', 'success', 'warning', 'fail'}
SLUG = re.compile(r'[-a-zA-Z0-9_]{1,255}')
API_FIELDS = {'state', 'target_url', 'context', 'description'}


def problems(data: Any) -> list[str]:
    out = []
    for p in data['patches']:
        label = f'{p["position"]}/{p["total"]}'
        contexts = [c['context'] for c in p['checks']]
        if contexts != ['checkpatch', 'apply', 'build', 'kernel-doc',
                        'rst', 'fixes', 'subject', 'kunit', 'maintainers',
                        'b4']:
            out.append(f'{label}: contexts {contexts}')
        for c, argv in zip(p['checks'], p['git_pw']):
            if set(c) - API_FIELDS or not {'state', 'context'} <= set(c):
                out.append(f'{label}: fields {sorted(c)}')
            if c['state'] not in STATES:
                out.append(f'{label}: state {c["state"]}')
            if not SLUG.fullmatch(c['context']):
                out.append(f'{label}: context {c["context"]!r}')
            d = c.get('description', '')
            if not d or '\n' in d or len(d) > patchwork.DESCRIPTION_MAX:
                out.append(f'{label}: description {d!r}')
            if argv != ['git-pw', 'check', 'create', '--context',
                        c['context'], '--state', c['state'],
                        '--description', d]:
                out.append(f'{label}: git-pw {argv}')
    return out


def checks(result: model.Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(patchwork.checks(result)))
    return data


def states(data: dict[str, Any], context: str) -> list[str]:
    return [next(c['state'] for c in p['checks'] if c['context'] == context)
            for p in data['patches']]


def description(data: dict[str, Any], pos: int, context: str) -> str:
    d: str = next(c['description'] for c in data['patches'][pos - 1]['checks']
                  if c['context'] == context)
    return d


class ProjectSeriesTest(unittest.TestCase):
    def test_all_success(self) -> None:
        result = results.project_series()
        n = len(result.steps)
        data = checks(result)
        self.assertEqual(problems(data), [])
        self.assertEqual(len(data['patches']), n)
        for context in patchwork.CONTEXTS:
            self.assertEqual(states(data, context), ['success'] * n, context)
        self.assertIn('KUnit (UML) at the tip of the series: 12 passed',
                      description(data, 1, 'kunit'))
        self.assertIn('To: 1 maintainer(s), Cc: 2',
                      description(data, 5, 'maintainers'))
        self.assertIn('before: 0, this patch: 0',
                      description(data, 2, 'build'))
        self.assertTrue(data['patches'][0]['msgid'].endswith('@example.org'))
        self.assertEqual(description(data, 1, 'fixes'), 'no Fixes: tag')
        self.assertIn('no new kernel-doc warning in mm/pagecache_lock.c '
                      '(warnings before: 0, this patch: 0)',
                      description(data, 1, 'kernel-doc'))
        self.assertIn('a subsystem prefix, at most 75 characters',
                      description(data, 1, 'subject'))


class BuildBreakTest(unittest.TestCase):
    def setUp(self) -> None:
        self.result = results.build_break_series()
        self.data = checks(self.result)

    def test_states(self) -> None:
        self.assertEqual(problems(self.data), [])
        self.assertEqual(states(self.data, 'build'),
                         ['success', 'fail', 'warning', 'warning'])
        self.assertEqual(description(self.data, 2, 'build'),
                         "does not build: mm/pagecache_lock.c:41:9: error: "
                         "'holder' undeclared (first use in this function)")
        self.assertIn('not built: 2/4 does not build',
                      description(self.data, 3, 'build'))
        self.assertEqual(states(self.data, 'checkpatch'),
                         ['success', 'success', 'success', 'fail'])
        self.assertIn('1 errors, 1 warnings', description(self.data, 4,
                                                          'checkpatch'))
        self.assertIn('code indent', description(self.data, 4, 'checkpatch'))
        self.assertEqual(states(self.data, 'apply'), ['success'] * 4)
        self.assertEqual(states(self.data, 'kunit'), ['warning'] * 4)
        self.assertIn('the tip does not build',
                      description(self.data, 1, 'kunit'))

    def test_apply_failure_and_kunit_failure(self) -> None:
        s = self.result.steps[2]
        s.applies = model.Applies.NO
        s.apply_detail = 'error: patch failed: mm/filemap.c:12\nmore'
        self.result.kunit = results.kunit_passing()
        self.result.kunit.code = int(Exit.TESTS_FAILED)
        self.result.delta.newly_failing = ['pagecache_lock.add_shared']
        data = checks(self.result)
        self.assertEqual(problems(data), [])
        self.assertEqual(states(data, 'apply'),
                         ['success', 'success', 'fail', 'success'])
        self.assertEqual(description(data, 3, 'apply'),
                         'does not apply (git am): error: patch failed: '
                         'mm/filemap.c:12')
        self.assertEqual(states(data, 'kunit'), ['fail'] * 4)
        self.assertIn('newly failing: pagecache_lock.add_shared',
                      description(data, 1, 'kunit'))

    def test_no_kunit_and_no_maintainers(self) -> None:
        self.result.kunit = None
        self.result.to, self.result.cc = [], []
        self.result.maintainers_problem = 'scripts/get_maintainer.pl failed'
        data = checks(self.result)
        self.assertEqual(problems(data), [])
        self.assertEqual(states(data, 'kunit'), ['warning'] * 4)
        self.assertIn('--no-kunit', description(data, 1, 'kunit'))
        self.assertEqual(states(data, 'maintainers'), ['warning'] * 4)


class WarningsTest(unittest.TestCase):
    def test_a_patch_adding_warnings_is_a_warning(self) -> None:
        data = checks(results.warnings_series())
        self.assertEqual(problems(data), [])
        self.assertEqual(states(data, 'build'),
                         ['success', 'warning', 'success'])
        self.assertIn('adds compiler warnings (before: 0, this patch: 2)',
                      description(data, 2, 'build'))
        self.assertEqual(states(data, 'checkpatch'),
                         ['success', 'warning', 'success'])
        self.assertIn('before: 0, this patch: 1',
                      description(data, 2, 'checkpatch'))

    def test_long_descriptions_are_one_short_line(self) -> None:
        r = results.warnings_series()
        r.steps[0].builds = model.Builds.NO
        r.steps[0].build_detail = '1 error line(s):\n' + 'x' * 500
        data = checks(r)
        self.assertEqual(problems(data), [])
        self.assertTrue(description(data, 1, 'build').endswith('...'))


class WrittenTest(TmpTestCase):
    def test_write(self) -> None:
        path = self.tmp / 'pw.json'
        patchwork.write(results.build_break_series(), path)
        data = json.loads(path.read_text())
        self.assertEqual(problems(data), [])
        self.assertEqual(data['series'], '[PATCH v2 0/4] mm: a lock')


if __name__ == '__main__':
    unittest.main()
