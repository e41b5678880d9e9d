"""The QEMU x86_64 SMP machine of the end-to-end layer: two vCPUs (TCG
with a host thread per vCPU, or KVM where the probe boot works), the
root an ext2 image made from the root directory (init, the programs,
the plan), the test disk a second one; init's /out is copied back from
the root image after the boot (debugfs rdump), so the outcome is read as
on UML."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .. import config, qemu
from ..errors import Exit, PclError
from . import machine

MEM = '1024'
CPUS = '2'
DISK = 'vdb'                    # the test disk, as init finds it
EXTRA_MARGIN = 120              # seconds: a slower boot under TCG
BIOS = 'qboot.rom'


def accel(kernel: Path) -> tuple[str, list[str]]:
    name, why = qemu.choose(config.qemu_accel_cache(), kernel)
    return f'{name} ({why})', qemu.accel_args(name)


def command(kernel: Path, root_image: Path, disk: Path,
            accel_args: list[str], extra: tuple[str, ...]) -> list[str]:
    append = ['console=ttyS0', 'root=/dev/vda', 'rootfstype=ext2', 'rw',
              'init=/init', 'panic=-1', f'pcl_e2e.disk={DISK}',
              'pcl_e2e.exit=reboot', *machine.COMMON_ARGS, *extra]
    return ['qemu-system-x86_64', '-nodefaults', '-nographic', '-no-reboot',
            '-m', MEM, '-smp', CPUS, *accel_args, '-bios', BIOS,
            '-serial', 'stdio', '-kernel', str(kernel),
            '-drive', f'file={root_image},format=raw,if=virtio',
            '-drive', f'file={disk},format=raw,if=virtio',
            '-append', ' '.join(append)]


def find_debugfs() -> str:
    path = '/sbin:/usr/sbin:/usr/bin:/bin'
    found = shutil.which('debugfs', path=path)
    if not found:
        raise PclError(Exit.MISSING_PACKAGES, 'debugfs not found (Debian '
                       'package: e2fsprogs)')
    return found


def copy_out(root_image: Path, root: Path) -> None:
    """init's /out from the root image into root/out (nothing when the
    machine never got to write it)."""
    shutil.rmtree(root / 'out', ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([find_debugfs(), '-R', f'rdump /out {root}',
                           str(root_image)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          text=True)
    if proc.returncode != 0:
        raise PclError(Exit.INTERNAL, f'debugfs rdump /out from {root_image}'
                       f' failed:\n{proc.stdout.strip()}')
    (root / 'out').mkdir(exist_ok=True)
