"""The table of KUnit configurations: the test layers of make test and
make run, and the benchmark's machines (make bench); check's base and
tip runs use the UML machine with the series' own kunitconfigs. A layer names
its build directory, its kunitconfig fragments and its machine.

The test layers carry the end-to-end options too (kconfigs/e2e*.config),
so the kernel a KUnit layer builds is the one the end-to-end layer boots
on that machine (with kunit.enable=0): one build per machine, not two."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import config


@dataclass
class Layer:
    name: str                       # build/out/<name>
    title: str
    kunitconfigs: list[Path]
    qemu_config: Optional[Path] = None
    timeout: int = 300


def all_layers() -> dict[str, Layer]:
    """make test's KUnit layers, in the order it runs them. The debug
    layer has kconfigs/kasan.config (KASAN builds and boots on UML x86_64
    in 6.12 with a static link)."""
    repo, kc = config.repo_root(), config.kconfigs_dir()
    uml = [repo / '.kunitconfig', kc / 'e2e.config', kc / 'e2e_uml.config']
    debug = uml + [kc / 'lockdep.config', kc / 'kasan.config']
    smp = [repo / '.kunitconfig', kc / 'e2e.config', kc / 'e2e_qemu.config']
    return {
        'uml': Layer('uml', 'KUnit on UML', uml),
        'debug': Layer('uml-debug', 'KUnit on UML, debug configs', debug,
                       timeout=900),
        'smp': Layer('qemu-x86_64-smp', 'KUnit on QEMU x86_64 SMP', smp,
                     qemu_config=kc / 'qemu_x86_64_smp.py', timeout=900),
    }


def bench_layers() -> dict[str, Layer]:
    """make bench's machines for the in-kernel benchmark."""
    kc = config.kconfigs_dir()
    return {
        'uml': Layer('bench-uml', 'benchmark on UML', [kc / 'bench.config']),
        'smp': Layer('bench-qemu-x86_64-smp', 'benchmark on QEMU x86_64 SMP',
                     [kc / 'bench.config'],
                     qemu_config=kc / 'qemu_x86_64_smp.py', timeout=900),
    }
