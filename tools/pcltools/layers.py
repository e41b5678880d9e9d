"""The test layers: which kunitconfig fragments and machine each uses."""

from __future__ import annotations

from . import config
from .kunitrun import Layer

# kconfigs/kasan.config joins the debug layer (KASAN builds and boots on
# UML x86_64 in 6.12 with a static link).
DEBUG_WITH_KASAN = True


def all_layers() -> dict[str, Layer]:
    repo, kc = config.repo_root(), config.kconfigs_dir()
    debug = [repo / '.kunitconfig', kc / 'lockdep.config']
    if DEBUG_WITH_KASAN:
        debug.append(kc / 'kasan.config')
    return {
        'uml': Layer('uml', 'KUnit on UML', [repo / '.kunitconfig']),
        'debug': Layer('uml-debug', 'KUnit on UML, debug configs', debug,
                       timeout=900),
        'smp': Layer('qemu-x86_64-smp', 'KUnit on QEMU x86_64 SMP',
                     [repo / '.kunitconfig'],
                     qemu_config=kc / 'qemu_x86_64_smp.py', timeout=900),
    }
