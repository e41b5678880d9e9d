"""Synthesized check/validate results for the report writers' tests
(KCIDB, patchwork, the reply, the warning deltas): the shape of this
project's own series, all passing, and a series with a build break."""

from __future__ import annotations

import hashlib
from pathlib import Path

from . import helpers  # noqa: F401  (puts tools/ on sys.path)
from pcltools import mbox, series
from pcltools.check.model import (Applies, Builds, Check, Checkpatch, Delta,
                                  Finding, KunitCase, KunitResult, Result,
                                  StepResult)

REPO = Path(__file__).resolve().parents[2]
BASE_COMMIT = 'b27cf4deeccd' + '0' * 28
BASE_DESC = 'Linux 6.12.117 (Debian linux-source-6.12 6.12.117-1~deb12u1)'
CONFIG = 'UML, kunit.py arch_uml.config + .kunitconfig + e2e.config + ' \
    'e2e_uml.config'
# A few cases of each of the project's suites.
SUITES = {
    'pagecache_lock': ['add_shared', 'block_shared', 'add_excludes_block',
                       'fair_to_block'],
    'pagecache_lock_lockdep': ['ab_ba_reported'],
    'faults_disabled_mapping': ['marker_set_and_cleared'],
    'pagecache_lock_fault': ['self_fault_sigbus', 'ab_ba_retry'],
    'pagecache_lock_gup': ['self_sourced_overlap'],
    'pagecache_lock_add_paths': ['readahead', 'fault_around', 'splice'],
}


def kunit_passing(where: str = 'tip') -> KunitResult:
    cases = [KunitCase(s, n, 'PASS') for s, names in SUITES.items()
             for n in names]
    return KunitResult(where, ran=True, code=0, cases=cases,
                       summary=f'{len(cases)} passed, 0 failed, 0 skipped',
                       reports='no kernel reports')


def bot_passing(step: StepResult) -> StepResult:
    """The step with kernel-doc, rst, Fixes: tags and subject run and
    clean."""
    step.kerneldoc = Check(ran=True, checked='mm/pagecache_lock.c',
                           before=0, now=0)
    step.rst = Check(ran=True, checked='no .rst file touched', before=0,
                     now=0)
    step.fixes = Check(ran=True, checked='no tag')
    step.subject_check = Check(ran=True, checked=f'"{step.title}"')
    return step


def b4_passing(n: int) -> Check:
    return Check(ran=True, checked=f'b4 0.12.0 prep -e, -p: {n} patches and '
                 'the cover letter')


def project_series() -> Result:
    """This project's patches/ (its real subjects and file contents),
    every check passing."""
    queue = series.read(REPO / 'patches')
    n = len(queue.patches)
    steps = []
    for i, path in enumerate(queue.patches, 1):
        p = mbox.read_patch(path, i, n)
        steps.append(bot_passing(StepResult(
            i, n, p.subject, p.title, str(path),
            checkpatch=Checkpatch(ran=True), applies=Applies.YES,
            builds=Builds.YES, build_detail='120 files compiled',
            build_secs=30.0 + i, commit=f'{i:040x}',
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            msgid=f'2026010{i % 10}.{i}-pcl@example.org')))
    cover = queue.cover
    title = mbox.read_patch(cover, 0, n).subject if cover.exists() else ''
    tip = kunit_passing()
    base = kunit_passing('base')
    base.cases = [c for c in base.cases if c.suite == 'pagecache_lock']
    return Result(
        'check', f'patches/ ({n} patches)', base=BASE_DESC,
        base_commit=BASE_COMMIT, config=CONFIG, title=title, total=n,
        steps=steps, kunit=tip, kunit_base=base,
        delta=Delta(available=True,
                    added=[c.full_name for c in tip.cases
                           if c.suite != 'pagecache_lock']),
        to=['Maint Ainer <maint@example.org>'],
        cc=['linux-mm@kvack.org', 'linux-fsdevel@vger.kernel.org'],
        b4=b4_passing(n), code=0, verdict='PASS', seconds=600.0,
        started='2026-01-02T03:04:05+00:00')


BUILD_ERROR = ("1 error line(s):\nmm/pagecache_lock.c: In function "
               "'pagecache_lock_add':\nmm/pagecache_lock.c:41:9: error: "
               "'holder' undeclared (first use in this function)\n"
               "   41 |         holder = current;\n"
               "      |         ^~~~~~")


def build_break_series() -> Result:
    """Four patches posted as a series: 1/4 builds, 2/4 breaks the
    build, 3/4 and 4/4 are not built; 4/4 has a checkpatch error; KUnit
    at the tip does not run."""
    titles = ['mm: add the lock', 'mm: use the lock, broken',
              'mm: document the lock', 'mm: a style slip']
    steps = []
    for i, title in enumerate(titles, 1):
        steps.append(bot_passing(StepResult(
            i, 4, f'[PATCH v2 {i}/4] {title}', title, f'/x/{i:04d}.patch',
            checkpatch=Checkpatch(ran=True), applies=Applies.YES,
            builds=Builds.SKIPPED, sha256=hashlib.sha256(
                title.encode()).hexdigest(),
            msgid=f'20260102.{i}-break@example.org')))
    steps[0].builds, steps[0].build_detail = Builds.YES, '3 files compiled'
    steps[1].builds, steps[1].build_detail = Builds.NO, BUILD_ERROR
    for s in steps[2:]:
        s.build_detail = 'not built: 2/4 does not build'
    steps[3].checkpatch = Checkpatch(
        ran=True, errors=1, warnings=1,
        findings=[Finding('WARNING', 'line length of 101 exceeds 100 columns',
                          'mm/pagecache_lock.c:12'),
                  Finding('ERROR', 'code indent should use tabs where '
                          'possible', 'mm/pagecache_lock.c:30')])
    return Result(
        'validate', 'break.mbox', base=BASE_DESC, base_commit=BASE_COMMIT,
        config=CONFIG, title='[PATCH v2 0/4] mm: a lock', total=4,
        cover_msgid='20260102.0-break@example.org', method='b4 am',
        messages=5, steps=steps,
        kunit=KunitResult('tip', note='not run: the tip does not build'),
        delta=Delta(note='not available: the tip does not build'),
        to=['Maint Ainer <maint@example.org>'], cc=['linux-mm@kvack.org'],
        code=7, verdict='FAIL: 2/4 does not build; checkpatch errors in 4/4',
        seconds=120.0, started='2026-01-02T03:04:05+00:00')


def warnings_series() -> Result:
    """Three patches that all build: 2/3 adds two compiler warnings and a
    checkpatch warning; 3/3 is clean again."""
    steps = [bot_passing(StepResult(i, 3, f'[PATCH {i}/3] p{i}', f'p{i}',
                                    f'/x/{i:04d}.patch',
                                    checkpatch=Checkpatch(ran=True),
                                    applies=Applies.YES, builds=Builds.YES,
                                    sha256=f'{i:064x}'))
             for i in (1, 2, 3)]
    steps[1].warnings = [
        "mm/filemap.c:10: warning: unused variable 'x' [-Wunused-variable]",
        "mm/filemap.c:20: warning: unused variable 'y' [-Wunused-variable]"]
    steps[1].checkpatch = Checkpatch(ran=True, warnings=1, findings=[
        Finding('WARNING', 'Missing a blank line after declarations',
                'mm/filemap.c:11')])
    return Result('validate', 'w.mbox', base=BASE_DESC,
                  base_commit=BASE_COMMIT, config=CONFIG, total=3,
                  steps=steps, kunit=kunit_passing(), b4=b4_passing(3),
                  code=0, verdict='PASS')

