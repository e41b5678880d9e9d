"""A UML build of the tree at one patch (bisectability), configured the
way kunit.py configures it, in the build directory KUnit at the tip uses;
results cached by tree and configuration."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import buildlog, kbuild
from ..ui import Progress
from .model import Context
from .scratch import cache_key, tree_id


def gcc_version() -> str:
    try:
        return subprocess.run(['gcc', '--version'], stdout=subprocess.PIPE,
                              text=True).stdout.split('\n', 1)[0]
    except OSError:
        return ''


_WARNING = re.compile(r'^(\S+?):(\d+):(?:\d+:)? warning: (.*)$', re.M)


@dataclass
class BuildOutcome:
    ok: bool
    detail: str = ''
    warnings: list[str] = field(default_factory=list)
    secs: float = 0.0


def olddefconfig(tree: Path, out: Path, text: str) -> subprocess.CompletedProcess[str]:
    out.mkdir(parents=True, exist_ok=True)
    (out / '.config').write_text(text)
    return subprocess.run(kbuild.make_command(out, 'olddefconfig'), cwd=tree,
                          env=dict(kbuild.env(), LC_ALL='C'),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors='replace')


def build(ctx: Context, tree: Path, out: Path, touched: list[str],
          log: Path, progress: Progress, what: str) -> BuildOutcome:
    """Configure (kunit.py's way) and build the tree in out."""
    began = time.monotonic()
    proc = olddefconfig(tree, out, kbuild.uml_config(tree,
                                                     ctx.fragments_in(tree)))
    if proc.returncode != 0:
        log.write_text(proc.stdout)
        return BuildOutcome(False, 'make olddefconfig failed:\n' +
                            '\n'.join(proc.stdout.strip().splitlines()[-8:]),
                            secs=time.monotonic() - began)
    jobs = ctx.jobs or len(os.sched_getaffinity(0))
    cmd = kbuild.make_command(out, 'all', 'compile_commands.json', jobs=jobs)
    compiled = [0]
    err_lines: list[str] = []
    env = dict(kbuild.env(), LC_ALL='C')
    with progress.stage(what, lambda: f'{compiled[0]} files compiled'):
        with subprocess.Popen(cmd, cwd=tree, env=env, text=True,
                              errors='replace', stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL) as proc2:
            assert proc2.stdout is not None and proc2.stderr is not None
            stderr_pipe = proc2.stderr
            t = threading.Thread(target=lambda: err_lines.extend(stderr_pipe),
                                 daemon=True)
            t.start()
            for line in proc2.stdout:
                if line.startswith('  CC '):
                    compiled[0] += 1
            t.join()
            rc = proc2.wait()
    stderr = ''.join(err_lines)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(' '.join(cmd) + '\n' + stderr)
    warnings = _touched_warnings(stderr, tree, touched)
    secs = time.monotonic() - began
    if rc == 0:
        return BuildOutcome(True, f'{compiled[0]} files compiled',
                            warnings, secs)
    errors = buildlog.first_errors(stderr)
    n = buildlog.count_errors(stderr)
    detail = (f'{n} error line(s):\n{errors}' if errors else
              'make failed:\n' + '\n'.join(stderr.strip().splitlines()[-10:]))
    return BuildOutcome(False, relative(detail, tree), warnings, secs)


def relative(text: str, tree: Path) -> str:
    return text.replace(str(tree.resolve()) + '/', '').replace(
        str(tree) + '/', '')


def _touched_warnings(stderr: str, tree: Path, touched: list[str]) -> list[str]:
    found = []
    for m in _WARNING.finditer(relative(stderr, tree)):
        path = m.group(1)
        if path.startswith('./'):
            path = path[2:]
        if path in touched:
            found.append(f'{path}:{m.group(2)}: warning: {m.group(3)}')
    return list(dict.fromkeys(found))


def fragments(ctx: Context) -> str:
    """The configuration's fragments for cache keys: the given files'
    text and the chosen directories (their .kunitconfig is in the tree)."""
    return ''.join(p.read_text() for p in ctx.kunitconfigs) + ''.join(
        f'{c.kunitconfig}\n' for c in ctx.suite_choices)


def build_cache(ctx: Context, tree_hash: str) -> Path:
    """Where the build result of a tree is kept; the tree hash covers
    the kernel sources and kunit.py's arch config."""
    key = cache_key(tree_hash, fragments(ctx), ' '.join(kbuild.make_options()),
               gcc_version())
    return ctx.state / 'cache' / 'builds' / f'{key}.json'


def cached_build(ctx: Context, tree: Path, out: Path, touched: list[str],
                 log: Path, progress: Progress, what: str
                 ) -> tuple[BuildOutcome, bool]:
    cache = build_cache(ctx, tree_id(tree))
    if ctx.cache and cache.exists():
        return BuildOutcome(**json.loads(cache.read_text())), True
    outcome = build(ctx, tree, out, touched, log, progress, what)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(asdict(outcome)))
    return outcome, False
