"""What every machine of the end-to-end layer shares (the root holding
init, the programs and the plan, as a directory or an ext2 image, a
boot with a hard wall-clock limit after which the whole process group is
killed), and the UML machine's command line (the root a hostfs
directory).  The test disk is disk.py's."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .. import procio, ui
from ..errors import Exit, PclError
from . import disk
from .plan import PLAN, SOURCES, Program

ROOT_MIN_MB = 64                # the QEMU root image: at least this, or
ROOT_SLACK_MB = 32              # its content and this much more
UML_MEM = '512M'
BOOT_MARGIN = 60            # seconds for boot, mount, power-off
# Seconds init gives a program it killed (SIGKILL) to go, passed to init
# on the kernel command line; the wall-clock limit adds KILL_SLACK.
KILL_GRACE = 10
KILL_SLACK = 5
GRACE_PARAM = 'pcl_e2e.kill_grace'
# Every boot: the KUnit layers' kernels are booted for their programs.
COMMON_ARGS = ('kunit.enable=0', f'{GRACE_PARAM}={KILL_GRACE}')


@dataclass
class Boot:
    console: str
    seconds: float
    killed: bool                # the wall-clock limit was reached
    returncode: int


def wall_limit(programs: list[Program]) -> int:
    """The hard limit of one boot: every program's limit, plus margins."""
    return BOOT_MARGIN + sum(p.limit + KILL_GRACE + KILL_SLACK
                             for p in programs)


def make_image(image: Path, label: str, content: Path) -> None:
    """A fresh ext2 image populated from the directory content (mke2fs
    -d): the QEMU machine's root."""
    image.unlink(missing_ok=True)
    used = sum(f.stat().st_size for f in content.rglob('*') if f.is_file())
    size = max(ROOT_MIN_MB, used * 5 // 4 // (1 << 20) + ROOT_SLACK_MB)
    proc = subprocess.run([disk.find_tool('mke2fs'), '-q', '-F', '-t',
                           'ext2', '-b', '4096', '-L', label, '-d',
                           str(content), str(image), f'{size}M'],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True)
    if proc.returncode != 0:
        raise PclError(Exit.INTERNAL, f'mke2fs {image} failed:\n'
                       f'{proc.stdout.strip()}')


def prepare_root(root: Path, progs: Path, programs: list[Program],
                 plan: Path = PLAN,
                 files: Optional[dict[str, Path]] = None) -> None:
    """The hostfs root: /init, /bin/<program>, /plan, empty /out, and
    files (path in the root: the file to copy there, such as a module)."""
    shutil.rmtree(root / 'out', ignore_errors=True)
    for sub in ('bin', 'out', 'dev', 'mnt', 'proc', 'sys'):
        (root / sub).mkdir(parents=True, exist_ok=True)
    _install(progs / 'init', root / 'init')
    for where, src in (files or {}).items():
        (root / where).parent.mkdir(parents=True, exist_ok=True)
        _install(src, root / where)
    for prog in {p.argv[0] for p in programs}:
        if not (progs / prog).is_file():
            raise PclError(Exit.USAGE, f'{plan}: program {prog} is not '
                           f'built by {SOURCES}/Makefile')
        _install(progs / prog, root / 'bin' / prog)
    (root / 'plan').write_text(''.join(
        f'{p.name} {p.limit} {" ".join(p.argv)}\n' for p in programs))


def _install(src: Path, dest: Path) -> None:
    dest.unlink(missing_ok=True)
    shutil.copy2(src, dest)


def uml_command(kernel: Path, run_dir: Path, root: Path, image: Path,
                extra: tuple[str, ...]) -> list[str]:
    """UML's command line; its umid directory goes in run_dir, not in
    ~/.uml, so a killed machine leaves nothing behind elsewhere."""
    return [str(kernel), f'mem={UML_MEM}', f'ubd0={image}', 'root=/dev/root',
            'rootfstype=hostfs', f'rootflags={root}', 'rw', 'init=/init',
            'console=tty', 'con0=fd:0,fd:1', 'con=null',
            f'uml_dir={run_dir}', 'umid=uml', *COMMON_ARGS, *extra]


def boot(cmd: list[str], log: Path, limit: float,
         progress: Callable[[str], None] = ui.info,
         label: str = 'UML') -> Boot:
    """Run the machine, console to log; kill its whole process group at
    limit."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            errors='backslashreplace', start_new_session=True)
    lines = procio.line_queue(proc)
    killed = False
    last = start
    with log.open('w') as f:
        while True:
            left = start + limit - time.monotonic()
            if left <= 0 and not killed:
                progress(f'  {label} still running after {limit:.0f} s: '
                         'killing it (hang)')
                _kill_group(proc)
                killed = True
            try:
                line = lines.get(timeout=max(0.1, min(left, ui.HEARTBEAT))
                                 if not killed else 5)
            except queue.Empty:
                if killed:
                    break
                if time.monotonic() - last >= ui.HEARTBEAT:
                    progress(f'  ... {label} running '
                             f'({ui.fmt_secs(time.monotonic() - start)})')
                    last = time.monotonic()
                continue
            if line is None:
                break
            f.write(line)
            if line.startswith('e2e: '):
                progress('  ' + line.rstrip())
                last = time.monotonic()
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        rc = proc.wait()
    if proc.stdin:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    return Boot(log.read_text(errors='replace'), time.monotonic() - start,
                killed, rc)


def _kill_group(proc: 'subprocess.Popen[str]') -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
