"""Per-patch deltas, the way netdev's NIPA reports them: for the build
warnings and for checkpatch, "before: N, this patch: M", where before is
the step below (the patch before it in the series), so that a patch that
adds warnings is named even when the tip builds; and the failing KUnit
cases on the base and at the tip.

kernel-doc's count is the patch's own, as NIPA's kdoc check counts it:
its warnings in the files the patch touches at the parent (before) and
at the patch; the patch adds warnings when it introduces one
(check/kerneldoc.py), even when one it fixes keeps the count the same.

Build warnings are the compiler's warnings in the files a patch touches
(check/build.py); the builds are incremental, so each count is what the
patch's own rebuild printed. Below the first patch is the base, whose
warnings are not counted: its "before" is unknown (None)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .model import Builds, KunitResult, Result, StepResult


@dataclass
class Count:
    """One check's count below a patch and at it."""
    before: Optional[int]           # None: unknown (the base, not built)
    now: Optional[int]              # None: not counted at this patch
    new: Optional[int] = None       # kernel-doc: the warnings introduced

    @property
    def adds(self) -> bool:
        if self.new is not None:
            return self.new > 0
        return self.now is not None and self.now > (self.before or 0)

    def text(self) -> str:
        def fmt(n: Optional[int]) -> str:
            return '-' if n is None else str(n)
        return f'before: {fmt(self.before)}, this patch: {fmt(self.now)}'


@dataclass
class StepDelta:
    label: str
    title: str
    build: Count
    checkpatch: Count
    kerneldoc: Count = field(default_factory=lambda: Count(None, None))


def build_warnings(step: StepResult) -> Optional[int]:
    """The step's compiler warnings, when it was built."""
    return len(step.warnings) if step.builds == Builds.YES else None


def checkpatch_warnings(step: StepResult) -> Optional[int]:
    """checkpatch's errors and warnings (its CHECKs are --strict style
    notes, not counted), when it ran."""
    cp = step.checkpatch
    return cp.errors + cp.warnings if cp.ran and not cp.problem else None


def kerneldoc_warnings(step: StepResult) -> Count:
    """kernel-doc's warnings in the files the patch touches, at its
    parent and at the patch, and how many it introduces, when it ran."""
    kd = step.kerneldoc
    if not kd.ran or kd.problem or kd.before < 0:
        return Count(None, None)
    return Count(kd.before, kd.now, kd.warnings)


def deltas(result: Result) -> list[StepDelta]:
    """One StepDelta a patch, in order; before is the step below when it
    is the patch just before this one."""
    out = []
    below: Optional[StepResult] = None
    for s in result.steps:
        adjacent = below is not None and below.position == s.position - 1
        out.append(StepDelta(
            s.label, s.title,
            Count(build_warnings(below) if below and adjacent else None,
                  build_warnings(s)),
            Count(checkpatch_warnings(below) if below and adjacent else None,
                  checkpatch_warnings(s)),
            kerneldoc_warnings(s)))
        below = s
    return out


def kunit_failing(result: Result) -> Optional[Count]:
    """Failing KUnit cases (FAIL or ERROR) on the base and at the tip,
    when both ran."""
    b, k = result.kunit_base, result.kunit
    if b is None or k is None or not b.ran or not k.ran:
        return None

    def failing(r: KunitResult) -> int:
        return sum(c.status in ('FAIL', 'ERROR') for c in r.cases)
    return Count(failing(b), failing(k))


def adding(result: Result) -> list[StepDelta]:
    """The patches that add build warnings or checkpatch warnings."""
    return [d for d in deltas(result)
            if d.build.adds or d.checkpatch.adds or d.kerneldoc.adds]


def lines(result: Result) -> list[str]:
    """report.txt's delta section: the patches with warnings, each with
    both counts; the ones that add warnings are marked."""
    shown = [d for d in deltas(result)
             if d.build.now or d.build.before or d.checkpatch.now or
             d.checkpatch.before or d.kerneldoc.now or d.kerneldoc.before]
    if not result.steps:
        return []
    if not shown:
        return ['Warnings per patch: none (no build, checkpatch or '
                'kernel-doc warning at any', 'patch)']
    out = ['Warnings per patch (build: compiler warnings in the files the '
           'patch touches;', 'checkpatch: errors + warnings; kernel-doc: '
           'its warnings in the files the patch', 'touches, at the parent '
           'and at the patch):']
    for d in shown:
        adds = d.build.adds or d.checkpatch.adds or d.kerneldoc.adds
        out.append(f'  {d.label} {d.title}' +
                   (' -- ADDS WARNINGS' if adds else ''))
        out.append(f'    build:      {d.build.text()}')
        out.append(f'    checkpatch: {d.checkpatch.text()}')
        if d.kerneldoc.now or d.kerneldoc.before:
            out.append(f'    kernel-doc: {d.kerneldoc.text()}' +
                       (f' ({d.kerneldoc.new} new)' if d.kerneldoc.new
                        else ''))
    return out
