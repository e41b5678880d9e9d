"""QEMU accelerator choice: KVM only where a short probe boot works."""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from pathlib import Path
from typing import Optional

from . import ui

TCG = ['-accel', 'tcg,thread=multi']
KVM = ['-accel', 'kvm']
PROBE_SECONDS = 30


def accel_args(name: str) -> list[str]:
    return KVM if name == 'kvm' else TCG


def kvm_usable() -> bool:
    return os.access('/dev/kvm', os.R_OK | os.W_OK)


def probe_kvm(kernel: Path, timeout: float = PROBE_SECONDS) -> bool:
    """Boot kernel under KVM; it works if the kernel banner shows up."""
    cmd = ['qemu-system-x86_64', '-nodefaults', '-nographic', '-no-reboot',
           '-m', '512', '-serial', 'stdio', *KVM, '-kernel', str(kernel),
           '-append', 'console=ttyS0 panic=-1 kunit.enable=0']
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    seen = b''
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sel.select(timeout=1):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
            if b'Linux version' in seen:
                return True
        return False
    finally:
        proc.kill()
        proc.wait()


def choose(cache: Path, kernel: Optional[Path]) -> tuple[str, str]:
    """Return (accelerator, why). The probe result is cached in cache."""
    if cache.exists():
        name, _, why = cache.read_text().strip().partition(' ')
        return name, why + ' (cached in ' + str(cache) + ')'
    if not kvm_usable():
        name, why = 'tcg', '/dev/kvm is not usable'
    elif kernel is None or not kernel.exists():
        return 'tcg', 'no kernel to probe KVM with yet'
    else:
        with ui.step(f'Probing KVM with a {PROBE_SECONDS}s boot'):
            ok = probe_kvm(kernel)
        name, why = ('kvm', 'KVM probe boot succeeded') if ok else \
            ('tcg', f'KVM probe boot showed no kernel banner in '
                    f'{PROBE_SECONDS}s')
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(f'{name} {why}\n')
    return name, why
