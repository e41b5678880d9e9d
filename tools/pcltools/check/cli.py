"""`tools/pcl check` (pre-submit, on patches/) and `tools/pcl validate`
(a posted series, from an mbox): their options and commands. The work is
in run.py, ../mbox.py and report.py."""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from .. import basetree, config, deps, gitutil, kunitrun, lock, mbox, overlay
from .. import layers, series, ui
from ..errors import Exit, PclError
from . import kcidb, patchwork, report, run, verdict
from .kcidb import DEFAULT_ORIGIN
from .model import Context, Result


@dataclass
class Options:
    """What the command line chooses for a check or validation."""
    kunitconfig: list[str] = field(default_factory=list)
    kunit_args: list[str] = field(default_factory=list)
    suite: Optional[str] = None
    no_kunit: bool = False
    no_cache: bool = False
    junit: Optional[str] = None
    json: Optional[str] = None
    kcidb: Optional[str] = None
    kcidb_origin: str = DEFAULT_ORIGIN
    patchwork: Optional[str] = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        """The options of args, checked: a bad origin or an output file
        that cannot be written is a usage error, before anything runs."""
        opts = cls(list(args.kunitconfig or []), list(args.kunit_args),
                   args.suite, args.no_kunit, args.no_cache, args.junit,
                   args.json, args.kcidb, args.kcidb_origin, args.patchwork)
        kcidb.check_origin(opts.kcidb_origin)
        for option, value in (('--junit', opts.junit), ('--json', opts.json),
                              ('--kcidb', opts.kcidb),
                              ('--patchwork', opts.patchwork)):
            if value is not None:
                check_output_file(option, value)
        return opts


def check_output_file(option: str, value: str) -> None:
    """A usage error unless value names a file that can be written."""
    path = Path(value).expanduser()
    parent = path.resolve().parent
    why = ''
    if not value:
        why = 'an empty file name'
    elif path.is_dir():
        why = 'a directory, not a file'
    elif not parent.is_dir():
        why = f'no such directory: {parent}'
    elif not os.access(parent, os.W_OK | os.X_OK) or (
            path.exists() and not os.access(path, os.W_OK)):
        why = 'not writable'
    if why:
        raise PclError(Exit.USAGE, f'{option} {value}: {why}')


def default_report_dir(kind: str) -> Path:
    return config.build_root() / 'reports' / kind


def ensure_base() -> tuple[Path, str]:
    """The managed tree's base commit (pcl-base), created when missing.
    Never recreates or moves an existing managed tree."""
    version = deps.ensure(config.BUILD_PACKAGES + config.CHECK_PACKAGES,
                          base=True) or config.BASE_VERSION
    tree = config.managed_tree()

    def missing() -> bool:
        return not gitutil.is_repo(tree) or not gitutil.git_ok(
            tree, 'rev-parse', '-q', '--verify', config.BASE_TAG)

    if missing():
        with lock.repository_lock():    # other runs use the managed tree
            if missing():
                basetree.create(tree, version)
    recorded = basetree.recorded_version(tree) or version
    if recorded != version:
        ui.warn(f'{tree} has base {recorded}, {version} is installable: '
                f'validating on {recorded} (`tools/pcl tree` updates it)')
    return tree, basetree.base_message(recorded)


def context(args: Options, onto: list[Path], bisect: bool = True,
            tip_tree: Optional[Path] = None, fit: bool = False) -> Context:
    """fit: a series posted against the base (validate without
    --onto-series): its own scratch tree and build directory, and KUnit
    fitted to it (the suites of the directories it touches; the defaults'
    options the tree does not have left out)."""
    tree, desc = ensure_base()
    # make test's UML layer configuration, so that the tip's KUnit run
    # and the per-patch builds reuse its build directory.
    defaults = list(layers.all_layers()['uml'].kunitconfigs)
    fragments = defaults + [Path(p).resolve() for p in args.kunitconfig or []]
    for f in fragments:
        if not f.is_file():
            raise PclError(Exit.USAGE, f'{f}: no such kunitconfig fragment')
    extra = kunitrun.extra_args(args.kunit_args, args.suite)
    if onto:
        desc += f' + the pagecache-lock series ({len(onto)} patches)'
    return Context(
        source=tree, base_ref=config.BASE_TAG, base_desc=desc,
        state=config.build_root() / 'validate', kunitconfigs=fragments,
        onto=onto, onto_desc=f'the pagecache-lock series ({len(onto)} '
        'patches)', kunit_args=extra, kunit=not args.no_kunit,
        cache=not args.no_cache, bisect=bisect, tip_tree=tip_tree,
        scratch_name='linux-base' if fit else 'linux', select_suites=fit,
        default_kunitconfigs=defaults)


def finish(result: Result, out: Path, args: Options, started: float) -> int:
    result.seconds = time.monotonic() - started
    if not result.started:
        result.started = (datetime.datetime.now(datetime.timezone.utc) -
                          datetime.timedelta(seconds=result.seconds)
                          ).isoformat()
    verdict.verdict(result)
    paths = report.write(result, out, args.kcidb_origin)
    for name, dest in (('junit', args.junit), ('json', args.json),
                       ('kcidb', args.kcidb), ('patchwork', args.patchwork)):
        if dest:
            shutil.copyfile(paths[name], dest)
    sys.stdout.flush()
    print('\n' + report.text(result), end='', flush=True)
    ui.info(f'report written to {out}/ (report.txt, report.json, junit.xml, '
            'kcidb.json, patchwork.json)')
    return result.code


ContextFactory = Callable[[list[Path]], Context]


def _execute(make_context: ContextFactory, onto: list[Path],
             intake: mbox.Intake, result: Result, out: Path) -> None:
    """Run the pipeline; a failure that stops it becomes result.fatal."""
    try:
        ctx = make_context(onto)
        result.base = ctx.base_desc
        run.run(ctx, intake, result, out)
    except PclError as e:
        result.fatal, result.fatal_code = e.message, int(e.code)
        if e.details:
            result.fatal += '\n' + e.details.strip()
        ui.error(e.message)


def _prepare_out(output: Optional[str], kind: str) -> Path:
    out = Path(output).expanduser().resolve() if output else \
        default_report_dir(kind)
    for stale in ('checkpatch', 'kernel-doc', 'rst', 'build', 'patches',
                  'b4'):
        shutil.rmtree(out / stale, ignore_errors=True)
    for stale in ('kunit-tip.log', 'kunit-tip.json', 'input.mbox'):
        (out / stale).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    return out


def check_series(queue: series.Series, out: Path,
                 make_context: ContextFactory) -> Result:
    n = len(queue.patches)
    intake = mbox.Intake(patches=[mbox.read_patch(p, i, n) for i, p in
                                  enumerate(queue.patches, 1)], total=n)
    result = Result('check', f'patches/ ({n} patches)', total=n)
    if queue.cover.exists():
        result.title = mbox.read_patch(queue.cover, 0, n).subject
        intake.cover_path = queue.cover
    _execute(make_context, [], intake, result, out)
    return result


def cmd_check(args: argparse.Namespace) -> int:
    started = time.monotonic()
    opts = Options.from_args(args)
    out = _prepare_out(args.output, 'check')
    queue = series.read(config.patches_dir())
    if not queue.patches:
        raise PclError(Exit.USAGE, f'{config.patches_dir()}: the series is '
                       'empty, nothing to check')
    result = check_series(queue, out, lambda onto: context(opts, onto))
    if result.steps and all(s.applies == 'yes' for s in result.steps):
        for rel in overlay.files(config.overlay_dir()):
            if overlay.differs(config.overlay_dir(),
                               config.build_root() / 'validate/linux', rel):
                result.notes.append(f'kunit/{rel} differs from the copy in '
                                    'the series (checked: the series; '
                                    'export with `tools/pcl queue export`)')
    return finish(result, out, opts, started)


def validate_mbox(source: str, out: Path, make_context: ContextFactory,
                  onto: list[Path], label: Optional[str] = None,
                  work_parent: Optional[Path] = None) -> Result:
    work = mbox.temp_workdir(work_parent or
                             config.build_root() / 'validate' / 'intake')
    try:
        path = mbox.read_input(source, work)
        ui.info(f'reading {"stdin" if source == "-" else source}')
        intake = mbox.intake(path, work)
        shutil.copyfile(path, out / 'input.mbox')
        result = Result(
            'validate', label or ('stdin' if source == '-' else source),
            title=intake.cover_subject, method=intake.method,
            messages=intake.messages, replies=intake.replies,
            missing=list(intake.missing), total=intake.total,
            notes=list(intake.notes), problems=list(intake.problems),
            cover_msgid=intake.cover_msgid,
            onto_sha256=[hashlib.sha256(p.read_bytes()).hexdigest()
                         for p in onto])
        if intake.patches:
            for p in intake.patches:
                dest = out / 'patches' / f'{p.position:04d}.patch'
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p.path, dest)
                p.path = dest
            _execute(make_context, onto, intake, result, out)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _options_after_mbox(args: argparse.Namespace) -> argparse.Namespace:
    """`validate x.mbox -o DIR -- ...`: the remainder starts at the first
    word after the mbox; parse the options in it as options."""
    rest = list(args.kunit_args)
    if not rest or rest[0].split('=', 1)[0] not in args.option_strings:
        return args
    cut = rest.index('--') if '--' in rest else len(rest)
    parser: argparse.ArgumentParser = args.parser
    return parser.parse_args([*rest[:cut], args.mbox, *rest[cut:]])


def cmd_validate(args: argparse.Namespace) -> int:
    args = _options_after_mbox(args)
    started = time.monotonic()
    opts = Options.from_args(args)
    out = _prepare_out(args.output, 'validate')
    onto = series.read(config.patches_dir()).patches \
        if args.onto_series else []
    if args.onto_series and not onto:
        raise PclError(Exit.USAGE, '--onto-series: patches/ is empty')
    result = validate_mbox(args.mbox, out,
                           lambda o: context(opts, o, fit=not o), onto)
    return finish(result, out, opts, started)


# --- command line ----------------------------------------------------------

def _common(sp: argparse.ArgumentParser) -> list[argparse.Action]:
    """The options of check and validate."""
    return [
        sp.add_argument('-o', '--output', metavar='DIR',
                        help='report directory (default: '
                        'build/reports/<command>)'),
        sp.add_argument('--kunitconfig', action='append', metavar='FILE',
                        help='another kunitconfig fragment, on top of '
                        '.kunitconfig (repeatable)'),
        sp.add_argument('--suite', metavar='GLOB',
                        help='kunit.py filter_glob'),
        sp.add_argument('--no-kunit', action='store_true',
                        help='checkpatch, git am, the bot checks and builds '
                        'only'),
        sp.add_argument('--no-cache', action='store_true',
                        help='redo every step (no cached results, no commits '
                        'kept from the last run)'),
        sp.add_argument('--junit', metavar='FILE',
                        help='also copy the JUnit XML here'),
        sp.add_argument('--json', metavar='FILE',
                        help='also copy the JSON here'),
        sp.add_argument('--kcidb', metavar='FILE',
                        help='also write the KCIDB submission (I/O schema '
                        f'v{kcidb.SCHEMA_VERSION[0]}.{kcidb.SCHEMA_VERSION[1]}'
                        ') here'),
        sp.add_argument('--kcidb-origin', metavar='NAME',
                        default=kcidb.DEFAULT_ORIGIN,
                        help='the KCIDB origin, the prefix of every id '
                        f'(default {kcidb.DEFAULT_ORIGIN}; lower-case letters, '
                        'digits and _)'),
        sp.add_argument('--patchwork', metavar='FILE',
                        help='also write the patchwork checks (per patch: '
                        + ', '.join(patchwork.CONTEXTS) + ') here as JSON'),
        sp.add_argument('kunit_args', nargs=argparse.REMAINDER,
                        help='after --: arguments passed to kunit.py run'),
    ]


def add_parsers(sub: 'argparse._SubParsersAction[argparse.ArgumentParser]'
                ) -> None:
    sp = sub.add_parser(
        'check', help='pre-submit check of patches/: checkpatch, git am, '
        'kernel-doc, rst syntax, Fixes: tags, subject and a build at every '
        'patch, KUnit '
        'at the tip, get_maintainer',
        description='For every patch of patches/ in order: '
        'scripts/checkpatch.pl --strict, git am, scripts/kernel-doc and '
        "docutils' rst parser on the touched files (the warnings the patch "
        'introduces), the Fixes: tags '
        '(form and commit), the subject (prefix, length, no period), a UML '
        'build of the tree at that patch; then KUnit at the tip and on the '
        'base (delta), and '
        'scripts/get_maintainer.pl on the series. Works in a scratch tree '
        '(build/validate/linux).')
    _common(sp)
    sp.set_defaults(func=cmd_check)

    sp = sub.add_parser(
        'validate', help='validate a posted series from an mbox (or - for '
        'stdin) with the same pipeline',
        description='Read a series from an mbox (git format-patch --stdout, '
        'a saved thread, b4 am output; replies and other revisions are '
        'sorted out with b4 or git mailsplit), apply it onto the base (or '
        'onto base + this project\'s series with --onto-series) in a scratch '
        'tree, and run the check pipeline on it.')
    actions = [sp.add_argument('mbox', help='mbox file, - for stdin, or a '
                               'Message-Id or lore URL (fetched with b4 am)'),
               sp.add_argument('--onto-series', action='store_true',
                               help='apply onto the base plus this '
                               'project\'s series (for follow-up series)')]
    actions += _common(sp)
    # The options, as spelt, for options given after the mbox.
    spellings = {'-h', '--help'} | {o for a in actions
                                    for o in a.option_strings}
    sp.set_defaults(func=cmd_validate, parser=sp, option_strings=spellings)
