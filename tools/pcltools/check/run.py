"""The per-patch pipeline behind `tools/pcl check` and `tools/pcl validate`.

For every patch, in order: scripts/checkpatch.pl --strict, git am, the
checks a maintainer's bot runs (scripts/kernel-doc and docutils' rst
parser on the touched files, the Fixes: tags, the subject) and a UML
build of the tree at that patch (bisectability); then the KUnit suites
at the tip with the harness's kunit.py run, the same suites on the base
(cached) for a delta, scripts/get_maintainer.pl on the series and b4
prep on the series (b4prep.py).

Everything happens in the scratch tree (scratch.py). Cheap re-runs:
- patches with the same patch-ids on the same base as in the last run
  keep their commits (the tree does not move, so make has nothing to
  redo for them);
- one build directory for every step (the one kunit.py uses for the
  scratch tree), so each step recompiles only what the patch touched,
  through ccache;
- build results are cached by tree and configuration, checkpatch results
  by patch and base, kernel-doc's and the rst parser's by script and file contents, KUnit
  results on the base by tree and kunitconfig.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .. import config, gitutil, kunitrun, series
from ..errors import Exit
from ..layers import Layer
from ..mbox import Intake, Patch
from ..ui import Progress
from . import (apply, b4prep, build, checkpatch, fixes, kerneldoc,
               kunitdelta, maintainers, plaintext, rst, scratch, subject,
               suites)
from .model import (NOT_BISECTED, Applies, Builds, Check, Context, Delta,
                    KunitResult, Result, StepResult)


def run(ctx: Context, intake: Intake, result: Result, report_dir: Path,
        progress: Optional[Progress] = None) -> Result:
    """Run the pipeline on intake.patches; fill and return result."""
    progress = progress or Progress()
    patches = intake.patches
    result.steps = [StepResult(p.position, p.total, p.subject, p.title,
                               str(p.path), msgid=p.msgid,
                               sha256=hashlib.sha256(
                                   p.path.read_bytes()).hexdigest())
                    for p in patches]
    with scratch.locked(ctx.state, progress):
        base = scratch.ensure_scratch(ctx, progress)
        result.base_commit = base
        if ctx.select_suites:
            choose_suites(ctx, patches, base, result, progress)
        result.config = config_name(ctx)
        _pipeline(ctx, patches, result, base, report_dir, progress)
        _b4_prep(ctx, patches, intake.cover_path, result, report_dir,
                 progress)
    return result


def _b4_prep(ctx: Context, patches: list[Patch], cover: Optional[Path],
             result: Result, report_dir: Path, progress: Progress) -> None:
    """b4 prep on the applied series, when all of it applied."""
    steps = result.steps
    if not steps or result.missing or \
            any(s.applies != Applies.YES for s in steps):
        why = 'the series is incomplete' if result.missing or not steps \
            else 'the series does not apply'
        result.b4 = Check(note=f'not run: {why}')
        return
    with progress.stage('b4 prep on the series'):
        result.b4 = b4prep.run(ctx.scratch, [s.commit for s in steps],
                               patches, cover, report_dir / 'b4')
    progress.say(f'b4 prep: {result.b4.describe()}')


def config_name(ctx: Context) -> str:
    """The build configuration, in words: kunit.py's UML configuration
    with the kunitconfig fragments."""
    return 'UML, kunit.py arch_uml.config + ' + ' + '.join(
        [p.name for p in ctx.kunitconfigs] +
        [c.kunitconfig for c in ctx.suite_choices])


def choose_suites(ctx: Context, patches: list[Patch], base: str,
                  result: Result, progress: Progress) -> None:
    """The suites of the .kunitconfig directories the series touches."""
    touched = suites.touched_paths(
        plaintext.decoded(p.path.read_bytes(), p.subject).decode(
            errors='replace') for p in patches)
    dirs = suites.kunitconfig_dirs(ctx.scratch, base) | \
        suites.added_dirs(touched)
    ctx.suite_choices = suites.select(touched, dirs)
    result.suites_selected = True
    result.suites = [c.describe() for c in ctx.suite_choices]
    progress.say('KUnit suites for the touched files: ' +
                 ('; '.join(result.suites) or 'none'))


@dataclass
class _Start:
    """Where the scratch branch starts this run: the commits of the last
    run that stay (have), how many (reuse) and how many of those are the
    series' own patches (kept)."""
    have: list[tuple[str, Optional[str]]]
    reuse: int
    kept: int
    cached_base: Optional[KunitResult]


def _start(ctx: Context, tree: Path, patches: list[Patch], base: str,
           progress: Progress) -> _Start:
    """Commits of the last run that can stay: same patch-ids on the same
    base and, for the series' own patches, a cached build result; move
    the scratch branch there and apply the series below (onto)."""
    n_onto = len(ctx.onto)
    want = [scratch.patch_id(tree, p.read_bytes()) for p in ctx.onto] + \
        [scratch.patch_id(tree, p.path.read_bytes()) for p in patches]
    have = scratch.existing_commits(tree, base) if ctx.cache else []
    reuse = 0
    while reuse < min(len(want), len(have)) and want[reuse] and \
            want[reuse] == have[reuse][1] and (
                reuse < n_onto or build.build_cache(ctx, scratch.commit_tree(
                    tree, have[reuse][0])).exists()):
        reuse += 1
    cached_base = None
    if ctx.kunit:
        base_commit = have[n_onto - 1][0] if n_onto and reuse >= n_onto \
            else (base if not n_onto else None)
        cached_base = kunitdelta.cached_base_kunit(
            ctx, scratch.commit_tree(tree, base_commit)
            if base_commit else None)
        if cached_base is None:
            reuse = min(reuse, n_onto)      # the base must be built
    target = have[reuse - 1][0] if reuse else base
    if gitutil.head(tree) != target or gitutil.changed_tracked_files(tree):
        progress.say(f'scratch tree: to {target[:12]} ({reuse} commit(s) '
                     'of the last run kept)')
        scratch.move_to(tree, target)
    if n_onto > reuse:
        with progress.stage(f'applying {ctx.onto_desc} below the series'):
            series.apply(tree, series.Series(ctx.onto[0].parent,
                                             ctx.onto[reuse:]))
    return _Start(have, reuse, max(0, reuse - n_onto), cached_base)


def _apply(ctx: Context, tree: Path, patch: Patch, step: StepResult,
           kept: Optional[str], tag: str, progress: Progress) -> bool:
    """The patch's commit: kept from the last run, or made by git am.
    False when it does not apply."""
    if kept:
        step.commit = kept
        step.tree = scratch.commit_tree(tree, step.commit)
        step.applies = Applies.YES
        step.apply_detail = ('same patch-id on the same tree as in the '
                             'last run: its commit is reused')
        return True
    with progress.stage(f'{tag}: git am'):
        ok, detail = apply.git_am(tree, patch.path)
    step.applies = Applies.YES if ok else Applies.NO
    step.apply_detail = detail
    if not ok:
        progress.say(f'{tag}: does not apply:\n{detail}')
        return False
    step.commit = gitutil.head(tree)
    step.tree = scratch.tree_id(tree)
    return True


def _bot_checks(ctx: Context, tree: Path, patch: Patch, step: StepResult,
                history: bool, report_dir: Path, tag: str,
                progress: Progress, below: Optional[str] = None) -> None:
    """kernel-doc and the rst parser on the files the patch touches (at
    its commit and the parent), its Fixes: tags (against the tree below) and its subject
    (against the history below the series, below: the series' own
    earlier patches are not the touched files' history)."""
    applied = step.applies == Applies.YES
    parent = f'{step.commit}^' if applied else gitutil.head(tree)
    data = patch.path.read_bytes()
    plain = plaintext.decoded(data, patch.subject)
    name = patch.path.name if plain == data else \
        f'checkpatch/{step.position:04d}.patch'
    mail = plain.decode(errors='replace')
    with progress.stage(f'{tag}: kernel-doc, rst, Fixes: tags, subject'):
        if applied:
            step.kerneldoc = kerneldoc.run(
                ctx, tree, step.commit,
                report_dir / 'kernel-doc' / f'{step.position:04d}.txt')
            step.rst = rst.run(ctx, tree, step.commit,
                               report_dir / 'rst' / f'{step.position:04d}.txt')
        else:
            step.kerneldoc = Check(note='not run: the patch does not apply')
            step.rst = Check(note='not run: the patch does not apply')
        step.fixes = fixes.check(mail, tree, parent, history,
                                 step.checkpatch, name)
        step.subject_check = subject.check(
            step.title, tree, below or parent, suites.touched_paths([mail]))
    progress.say(f'{tag}: ' + '; '.join(
        f'{words}: {_said(c)}' for _, words, c in step.bot_checks()))


def _said(check: Check) -> str:
    if check.problem:
        return check.problem
    if not check.ran:
        return check.note or 'not run'
    said = check.counts() if check.before < 0 else \
        f'{check.warnings} new warnings, {check.checks} new checks'
    return said + (' (cached)' if check.cached else '')


def _build(ctx: Context, tree: Path, out: Path, step: StepResult,
           from_cache: bool, report_dir: Path, tag: str,
           progress: Progress) -> None:
    """The build of the tree at this patch (or its cached result)."""
    if from_cache:
        outcome = build.BuildOutcome(**json.loads(
            build.build_cache(ctx, step.tree).read_text()))
        cached = True
    else:
        outcome, cached = build.cached_build(
            ctx, tree, out, scratch.touched(tree),
            report_dir / 'build' / f'{step.position:04d}.log', progress,
            f'{tag}: build (UML, {out.name})')
    step.builds = Builds.YES if outcome.ok else Builds.NO
    step.build_detail = outcome.detail
    step.build_cached = cached
    step.build_secs = outcome.secs
    step.warnings = outcome.warnings
    progress.say(f'{tag}: build: ' + ('ok' if outcome.ok else 'FAILED') +
                 (' (cached)' if cached else ''))
    if not outcome.ok:
        progress.say(outcome.detail)


def _pipeline(ctx: Context, patches: list[Patch], result: Result, base: str,
              report_dir: Path, progress: Progress) -> None:
    tree = ctx.scratch
    start = _start(ctx, tree, patches, base, progress)
    out = kunitrun.build_dir(tree, kunitdelta.layer(ctx, 'tip'))
    if ctx.kunit:
        result.kunit_base = start.cached_base or \
            kunitdelta.run_base_kunit(ctx, tree, progress)
        progress.say('KUnit at the base: ' + result.kunit_base.summary +
                     (' (cached)' if result.kunit_base.cached else ''))

    history = fixes.has_history(tree, base)
    below: Optional[str] = None      # the commit below the series
    if not history:
        result.notes.append(checkpatch.NO_HISTORY_NOTE)
    gap = ''                         # why later patches are not built
    tip_elsewhere: Optional[Path] = None
    first_missing = min(result.missing) if result.missing else 0
    for i, (patch, step) in enumerate(zip(patches, result.steps)):
        tag = f'patch {step.label}'
        if first_missing and step.position > first_missing and not gap:
            gap = f'{first_missing}/{step.total} is missing'
        with progress.stage(f'{tag}: checkpatch'):
            step.checkpatch = checkpatch.run(
                ctx, tree, patch.path, base,
                report_dir / 'checkpatch' / f'{step.position:04d}.txt',
                patch.subject,
                () if history else checkpatch.NO_HISTORY_IGNORE)
        cp = step.checkpatch
        progress.say(f'{tag}: checkpatch: ' + (cp.problem or
                     f'{cp.errors} errors, {cp.warnings} warnings, '
                     f'{cp.checks} checks'))
        kept = start.have[len(ctx.onto) + i][0] if i < start.kept else None
        applied = _apply(ctx, tree, patch, step, kept, tag, progress)
        _bot_checks(ctx, tree, patch, step, history, report_dir, tag,
                    progress, below)
        if below is None and applied:
            below = gitutil.git(tree, 'rev-parse', f'{step.commit}^').strip()
        if not applied:
            gap = gap or f'{step.label} does not apply'
            continue
        if gap:
            step.builds = Builds.SKIPPED
            step.build_detail = f'not built: {gap}'
            continue
        last = i == len(patches) - 1
        if last and ctx.kunit and scratch.same_content(tree, ctx.tip_tree):
            assert ctx.tip_tree is not None
            tip_elsewhere = ctx.tip_tree
            step.build_detail = (f'same tree as {ctx.tip_tree}: built there, '
                                 'by the KUnit run')
            progress.say(f'{tag}: {step.build_detail}')
            continue
        if not ctx.bisect and not last and not (
                ctx.cache and build.build_cache(ctx, step.tree).exists()):
            step.build_detail = f'not built: {NOT_BISECTED}'
            step.not_bisected = True
            continue
        _build(ctx, tree, out, step, i < start.kept or
               not ctx.bisect and not last, report_dir, tag, progress)

    _kunit_tip(ctx, tree, result, tip_elsewhere, len(patches), report_dir,
               progress)
    with progress.stage('get_maintainer.pl on the series'):
        result.to, result.cc, result.maintainers_problem = \
            maintainers.maintainers(tree, [p.path for p in patches])


def _kunit_tip(ctx: Context, tree: Path, result: Result,
               tip_elsewhere: Optional[Path], n: int, report_dir: Path,
               progress: Progress) -> None:
    """KUnit at the tip, when every patch applied and the tip builds (in
    the scratch tree, or in the prepared tree of the same content), and
    its delta against the base."""
    applied_all = bool(result.steps) and not result.missing and \
        all(s.applies == Applies.YES for s in result.steps)
    tip_builds = bool(result.steps) and (
        result.steps[-1].builds == Builds.YES or tip_elsewhere is not None)
    if not ctx.kunit:
        return
    if not (applied_all and tip_builds):
        why = 'the series is incomplete' if result.missing else \
            'the series does not apply' if not applied_all else \
            'the tip does not build'
        result.kunit = KunitResult('tip', note=f'not run: {why}')
        result.delta = Delta(note=f'not available: {why}')
        return
    where = tip_elsewhere or tree
    tip_layer: Optional[Layer] = kunitdelta.layer(ctx, 'tip')
    left_out: list[str] = []
    if ctx.select_suites and tip_elsewhere is None:
        tip_layer, left_out = _fit_tip(ctx, tree, result)
    if tip_layer is None:
        return
    with progress.stage(f'KUnit at the tip (kunit.py run, UML, {where})'):
        outcome = kunitrun.run(where, tip_layer, list(ctx.kunit_args),
                               series_len=n)
    result.kunit = kunitdelta.kunit_result('tip', outcome)
    result.kunit.left_out = left_out
    result.kunit.kunitconfigs = [
        'the defaults less what was left out (' + ', '.join(
            _shown(d, where) for d in ctx.default_kunitconfigs) + ')'
        if p.parent == ctx.state else _shown(p, where)
        for p in tip_layer.kunitconfigs]
    if tip_elsewhere is not None:
        last_step = result.steps[-1]
        broke = outcome.code == Exit.BUILD_FAILED and \
            not result.kunit.config_problem
        last_step.builds = Builds.NO if broke else Builds.YES
        if broke:
            last_step.build_detail = build.relative(outcome.message, where)
    _copy(outcome.build_dir / 'test.log', report_dir / 'kunit-tip.log')
    _copy(outcome.build_dir / 'results.json', report_dir / 'kunit-tip.json')
    result.delta = kunitdelta.delta(result.kunit_base, result.kunit)


def _fit_tip(ctx: Context, tree: Path, result: Result
             ) -> tuple[Optional[Layer], list[str]]:
    """The tip's KUnit layer fitted to the series, and the defaults'
    entries left out; no layer (result.kunit says why) when no suite
    covers the touched files or the configuration fails."""
    out = kunitrun.build_dir(tree, kunitdelta.layer(ctx, 'tip'))
    fitted = kunitdelta.fit(ctx, tree, out, 'tip')
    if fitted is None:
        why = 'make olddefconfig failed at the tip'
        result.kunit = KunitResult('tip', ran=True,
                                   code=int(Exit.BUILD_FAILED), message=why)
        result.delta = Delta(note=f'not available: {why}')
        return None, []
    if not fitted.has_suite:
        why = 'no KUnit suite covers the touched files'
        result.kunit = KunitResult('tip', note=f'not run: {why}',
                                   left_out=fitted.left_out)
        result.delta = Delta(note=f'not available: {why}')
        return None, fitted.left_out
    return kunitdelta.layer(ctx, 'tip', fitted.kunitconfigs), fitted.left_out


def _shown(frag: Path, tree: Path) -> str:
    """A kunitconfig fragment as the report names it: relative to the
    tree (fs/ext4/.kunitconfig) or to this repository."""
    for top in (tree, config.repo_root()):
        try:
            return str(frag.resolve().relative_to(top.resolve()))
        except ValueError:
            continue
    return str(frag)


def _copy(src: Path, dest: Path) -> None:
    if src.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
