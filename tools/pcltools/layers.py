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
    """The KUnit layers: uml (make run), debug (make run-debug: UML with
    the debug configs, KASAN statically linked, which 6.12 needs) and smp
    (make run-smp: QEMU x86_64, two vCPUs, with the debug configs too, so
    that lockdep and KASAN see real parallelism and the end-to-end
    programs run under them)."""
    repo, kc = config.repo_root(), config.kconfigs_dir()
    debug_configs = [kc / 'lockdep.config', kc / 'kasan.config']
    uml = [repo / '.kunitconfig', kc / 'e2e.config', kc / 'e2e_uml.config']
    smp = [repo / '.kunitconfig', kc / 'e2e.config', kc / 'e2e_qemu.config']
    return {
        'uml': Layer('uml', 'KUnit on UML', uml),
        'debug': Layer('uml-debug', 'KUnit on UML, debug configs',
                       uml + debug_configs + [kc / 'kasan_uml.config'],
                       timeout=900),
        'smp': Layer('qemu-x86_64-smp',
                     'KUnit on QEMU x86_64 SMP, debug configs',
                     smp + debug_configs,
                     qemu_config=kc / 'qemu_x86_64_smp.py', timeout=900),
    }


# make test's KUnit layers, in the order it runs them: the debug configs
# run on SMP only (one build fewer than a UML debug layer beside it).
TEST_LAYERS = ('uml', 'smp')


def bench_layers() -> dict[str, Layer]:
    """make bench's machines for the in-kernel benchmark: the series with
    kconfigs/bench.config (modules, no debug options) and what the
    end-to-end machines boot with, as the benchmark module is loaded by
    the end-to-end init (tests/e2e/lock-bench-plan)."""
    kc = config.kconfigs_dir()
    bench = [kc / 'bench.config', kc / 'e2e.config']
    return {
        'uml': Layer('bench-uml', 'benchmark on UML',
                     bench + [kc / 'e2e_uml.config']),
        'smp': Layer('bench-qemu-x86_64-smp', 'benchmark on QEMU x86_64 SMP',
                     bench + [kc / 'e2e_qemu.config'],
                     qemu_config=kc / 'qemu_x86_64_smp.py', timeout=900),
    }
