"""KUnit at the tip and on the base (the base run cached by tree and
kunitconfig), and the delta between them: cases newly failing, newly
passing, added and removed."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from .. import buildlog, kbuild, kernlog, kunitrun
from ..errors import Exit
from ..layers import Layer
from ..ui import Progress
from .build import fragments, gcc_version, olddefconfig, relative
from .model import Context, Delta, KunitCase, KunitResult
from .scratch import cache_key, tree_id


def layer(ctx: Context, where: str,
          kunitconfigs: Optional[list[Path]] = None) -> Layer:
    return Layer('uml', f'KUnit on UML at the {where}',
                 kunitconfigs or ctx.kunitconfigs)


def kunit_result(where: str, outcome: kunitrun.Outcome) -> KunitResult:
    kr = KunitResult(where, ran=True, code=int(outcome.code),
                     message=relative(outcome.message, outcome.build_dir)
                     if outcome.message else '')
    kr.summary = outcome.counts.closing_line() if outcome.counts.total \
        else 'no test case ran'
    prefix = outcome.layer.name + '.'
    kr.cases = [KunitCase(c.group[len(prefix):] if c.group.startswith(prefix)
                          else c.group, c.name, c.status)
                for c in outcome.counts.cases]
    kr.crashed_cases = [c.full_name for c in kr.cases if c.status == 'ERROR']
    log = outcome.build_dir / 'test.log'
    kr.log = str(log)
    if outcome.scan is not None:
        kr.reports = outcome.scan.summary()
        kr.unexpected = [f'{r.title}' + (f' (in {r.case})' if r.case else '')
                         for r in outcome.scan.unexpected]
    if outcome.code == Exit.KERNEL_CRASHED:
        kr.oops = oops_summary(log)
    if outcome.code == Exit.BUILD_FAILED:
        kr.config_problem = missing_options(outcome.message)
    return kr


_MISSING = re.compile(r'^Missing: (.*)$', re.M)


def missing_options(message: str) -> str:
    """kunit.py's list of kunitconfig options the generated .config
    lacks ('CONFIG_A=y, CONFIG_B=y'); '' when the build failed otherwise.
    """
    problem = buildlog.config_problem(message)
    if not problem:
        return ''
    m = _MISSING.search(problem)
    return m.group(1).strip() if m else problem.splitlines()[0]


def oops_summary(log: Path) -> str:
    """The crash's first lines: its title and what follows."""
    text = log.read_text(errors='replace') if log.exists() else ''
    scan = kernlog.scan(text)
    crash = [r for r in scan.reports if kernlog.CRASH_TITLE.search(r.title)]
    if crash:
        r = crash[0]
        block = [l.strip() for l in r.block.splitlines() if l.strip()]
        where = f' (in {r.case})' if r.case else ''
        return '\n'.join(block[:8]) + where
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return '\n'.join(lines[-8:]) if lines else 'no kernel log'


@dataclass
class Fitted:
    """The kunitconfigs of a run fitted to the tree: what to pass kunit.py,
    the entries left out (the tree does not have them) and whether any
    suite is left to run."""
    kunitconfigs: list[Path]
    left_out: list[str] = field(default_factory=list)
    has_suite: bool = True


def options(frag: Path) -> list[str]:
    """A fragment's entries: its option lines and '# ... is not set'."""
    found = []
    for line in frag.read_text().splitlines():
        s = line.strip()
        if s and (not s.startswith('#') or 'is not set' in s):
            found.append(s)
    return found


def fit(ctx: Context, tree: Path, out: Path, where: str
        ) -> Optional[Fitted]:
    """Configure out as the builds do and leave out the entries the tree
    does not have: at the base those of every fragment (the series may
    add the options its suites need), at the tip only the tool's own
    defaults' (a missing option of the user's or a directory's
    kunitconfig is kunit.py's to report). None when olddefconfig fails."""
    frags = ctx.fragments_in(tree)
    proc = olddefconfig(tree, out, kbuild.uml_config(tree, frags))
    if proc.returncode != 0:
        return None
    have = set((out / '.config').read_text().splitlines())
    filtered = frags if where == 'base' else \
        [f for f in frags if f in ctx.default_kunitconfigs]
    others = [f for f in frags if f not in filtered]
    chosen = [f for f in frags if f not in ctx.kunitconfigs]
    kept: list[str] = []
    dropped: list[str] = []
    kept_chosen = False
    for frag in filtered:
        for entry in options(frag):
            known = entry in have
            (kept if known else dropped).append(entry)
            kept_chosen = kept_chosen or (known and frag in chosen)
    path = ctx.state / f'kunitconfig.{where}'
    path.write_text(''.join(l + '\n' for l in kept))
    lines = kept + [e for f in others for e in options(f)]
    has_suite = bool(suites(lines)) or kept_chosen or \
        any(f in chosen for f in others)
    return Fitted([path] + others, list(dict.fromkeys(dropped)), has_suite)


SUITE_OPTION = re.compile(r'CONFIG_\w+_(?:TESTS?|KUNIT)=y')


def suites(lines: list[str]) -> list[str]:
    """The kunitconfig lines that enable a suite: not KUnit itself
    (CONFIG_KUNIT=y), nor the options the end-to-end fragments add
    (ext2 ...). A base with none of them has nothing to run."""
    return [l for l in lines if SUITE_OPTION.fullmatch(l.strip())]


def base_cache(ctx: Context, base_tree: str) -> Path:
    key = cache_key(base_tree, fragments(ctx), ' '.join(ctx.kunit_args),
                    'fit' if ctx.select_suites else '',
               gcc_version())
    return ctx.state / 'cache' / 'kunit-base' / f'{key}.json'


def cached_base_kunit(ctx: Context, base_tree: Optional[str]
                      ) -> Optional[KunitResult]:
    if not ctx.cache or not base_tree:
        return None
    cache = base_cache(ctx, base_tree)
    if not cache.exists():
        return None
    kr = KunitResult.from_json(json.loads(cache.read_text()))
    kr.cached = True
    return kr


def run_base_kunit(ctx: Context, tree: Path, progress: Progress
                   ) -> KunitResult:
    """The suites on the base state the tree is at (options the base
    does not know are left out of the kunitconfig)."""
    out = kunitrun.build_dir(tree, layer(ctx, 'base'))
    fitted = fit(ctx, tree, out, 'base')
    if fitted is None:
        return KunitResult('base', note='make olddefconfig failed at the base')
    dropped = fitted.left_out
    note = ('not in the base tree: ' + ', '.join(dropped)) if dropped else ''
    if not fitted.has_suite:
        kr = KunitResult('base', ran=False, summary='no suite at the base',
                         note=note or 'no suite of the kunitconfig exists at '
                         'the base')
    else:
        with progress.stage('KUnit at the base (kunit.py run, UML)'):
            outcome = kunitrun.run(tree, layer(ctx, 'base',
                                               fitted.kunitconfigs),
                                   list(ctx.kunit_args), series_len=0)
        kr = kunit_result('base', outcome)
        kr.note = note
        if outcome.code not in (Exit.OK, Exit.TESTS_FAILED,
                                Exit.KERNEL_REPORTS, Exit.NO_TESTS):
            return kr               # not cached: may be transient
    cache = base_cache(ctx, tree_id(tree))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(asdict(kr)))
    return kr


def delta(base: Optional[KunitResult], tip: Optional[KunitResult]) -> Delta:
    d = Delta()
    if tip is None or not tip.ran:
        d.note = 'no KUnit run at the tip'
        return d
    if base is None:
        d.note = 'no KUnit result at the base'
        return d
    if base.ran and base.code not in (Exit.OK, Exit.TESTS_FAILED,
                                      Exit.KERNEL_REPORTS, Exit.NO_TESTS):
        d.note = f'the base run failed: {base.message.splitlines()[0]}' \
            if base.message else 'the base run failed'
        return d
    d.available = True
    before = {c.full_name: c.status for c in base.cases}
    after = {c.full_name: c.status for c in tip.cases}
    bad = ('FAIL', 'ERROR')
    for name, status in after.items():
        if name not in before:
            d.added.append(name)
        elif status in bad and before[name] not in bad:
            d.newly_failing.append(name)
        elif status == 'PASS' and before[name] in bad:
            d.newly_passing.append(name)
    d.removed = [n for n in before if n not in after]
    return d
