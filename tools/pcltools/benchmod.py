"""The benchmark module (bench/): built outside the kernel tree, against
the build directory of make bench's kernel, as any external module is
(`make M=`); make bench installs it in the guest's root, where
tests/e2e/lock-bench-plan loads it."""

from __future__ import annotations

import shutil
from pathlib import Path

from . import buildlog, config, kbuild
from .e2e import build as e2e_build
from .errors import Exit, PclError

SOURCES = Path('bench')
NAME = 'pagecache_lock_bench'
# Where the guest finds it (tests/e2e/lock-bench-plan).
ROOT_PATH = f'lib/{NAME}.ko'


def build(tree: Path, kernel_out: Path) -> Path:
    """make modules M=<copy of bench/> against the kernel built in
    kernel_out from tree; the .ko.  The sources are copied beside the
    kernel's build products, so that nothing is built in the
    repository."""
    src = config.repo_root() / SOURCES
    work = kernel_out / 'pcl-bench-module'
    work.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir()):
        dest = work / f.name
        if f.is_file() and (not dest.exists() or
                            dest.read_bytes() != f.read_bytes()):
            shutil.copy2(f, dest)
    arch = kbuild.config_arch(kernel_out / '.config')
    cmd = ['make', '-C', str(tree), f'O={kernel_out}', f'ARCH={arch}',
           f'M={work}', *kbuild.make_options(), 'modules']
    log = work / 'build.log'
    rc = e2e_build.run_logged(cmd, tree, log, 'Building the benchmark '
                              f'module against {kernel_out}', kbuild.env())
    ko = work / f'{NAME}.ko'
    if rc != 0 or not ko.exists():
        text = log.read_text(errors='replace')
        errors = buildlog.first_errors(text) or '\n'.join(
            text.splitlines()[-15:])
        raise PclError(Exit.BUILD_FAILED, f'the benchmark module ({SOURCES}/) '
                       f'does not build against {kernel_out} (full log: '
                       f'{log}):\n{errors}')
    return ko
