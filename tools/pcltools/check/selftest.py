"""make test's validate layer: this project's own series, exported from
the prepared tree as a threaded mbox, validated as a posted series."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from .. import config, gitutil, patchqueue, series, ui
from ..errors import Exit, PclError
from ..tally import Case, Counts
from . import report
from .cli import Options, context, default_report_dir, finish, validate_mbox
def export_mbox(tree: Path, dest: Path) -> int:
    """The prepared tree's series as one threaded mbox with a cover letter
    (what `git send-email` would send); returns the number of patches."""
    queue = series.read(config.patches_dir())
    if tree.resolve() == config.managed_tree().resolve():
        base = config.BASE_TAG
        # The cover letter, as make queue-prepare leaves it.
        patchqueue.set_description(tree, queue, base)
    else:
        base = series.applied_base(tree, queue) or ''
        if not base:
            raise PclError(Exit.USAGE, f'{tree}: the series is not at HEAD')
    n = int(gitutil.git(tree, 'rev-list', '--count', f'{base}..HEAD').strip())
    text = gitutil.git(tree, 'format-patch', '--stdout', '--thread',
                       '--cover-letter', '--cover-from-description=subject',
                       '--no-signature', f'{base}..HEAD')
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text)
    return n


def layer(tree: Path) -> tuple[Counts, Exit]:
    """make test: validate this project's own series, exported from the
    prepared tree as a threaded mbox, as a posted series would be.

    To cost little beyond the other layers, earlier patches are not built
    (their cached results from `tools/pcl check` are shown when present),
    and when the tip has the prepared tree's content, KUnit at the tip
    runs in the prepared tree, whose build the UML layer has just made."""
    started = time.monotonic()
    out = default_report_dir('make-test')
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    counts = Counts()
    try:
        n = export_mbox(tree, out / 'series.mbox')
    except PclError as e:
        ui.error(e.message)
        counts.add_case(Case('validate', 'export', 'FAIL', e.message))
        return counts, e.code
    ui.info(f'validating the series exported from {tree} ({n} patches, '
            f'{out / "series.mbox"})')
    args = Options()
    result = validate_mbox(str(out / 'series.mbox'), out,
                           lambda onto: context(args, onto, bisect=False,
                                                tip_tree=tree), [],
                           label='the series exported from the prepared tree')
    code = finish(result, out, args, started)
    for layer in report.counts(result, kunit_cases=False).values():
        counts.merge(layer)
    complete = len(result.steps) == n
    counts.add_case(Case('validate', f'all {n} patches read from the mbox',
                         'PASS' if complete else 'FAIL'))
    return counts, Exit(code) if code else (
        Exit.OK if complete else Exit.TESTS_FAILED)
