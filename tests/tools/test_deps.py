import subprocess
import unittest
from unittest import mock

from . import helpers  # noqa: F401  (sets up sys.path)
from pcltools import config, deps, ui
from pcltools.errors import Exit, PclError

MADISON_OLD_ONLY = '''\
linux-source-6.12 | 6.12.130-1~deb12u1 | http://deb.example/debian-security bookworm-security/main amd64 Packages
linux-source-6.12 | 6.12.125-1~deb12u1 | http://deb.example/debian-security bookworm-security/main amd64 Packages
'''


class FakeSystem:
    """dpkg-query/apt-cache/dpkg answers for deps._run."""

    def __init__(self, installed: dict[str, str], madison: str = '') -> None:
        self.installed = installed
        self.madison = madison
        self.commands: list[list[str]] = []

    def __call__(self, cmd):  # type: ignore[no-untyped-def]
        self.commands.append(list(cmd))
        if cmd[0] == 'dpkg-query':
            pkg = cmd[-1]
            if pkg in self.installed:
                return subprocess.CompletedProcess(
                    cmd, 0, f'ii  {self.installed[pkg]}', '')
            return subprocess.CompletedProcess(cmd, 1, '', '')
        if cmd[:2] == ['apt-cache', 'madison']:
            return subprocess.CompletedProcess(cmd, 0, self.madison, '')
        if cmd[0] == 'dpkg':
            return subprocess.run(cmd, capture_output=True, text=True)
        return subprocess.CompletedProcess(cmd, 0, '', '')


def all_build_packages() -> dict[str, str]:
    return {p: '1.0' for p in config.BUILD_PACKAGES}


@mock.patch.object(deps, 'have_dpkg', lambda: True)
@mock.patch.multiple(ui, info=lambda m: None)
class EnsureTest(unittest.TestCase):
    def setUp(self) -> None:
        deps._apt_updated = False

    def test_missing_package_without_root(self) -> None:
        installed = all_build_packages()
        del installed['flex']
        fake = FakeSystem(installed)
        with mock.patch.object(deps, '_run', fake), \
                mock.patch.object(deps, 'is_root', lambda: False):
            with self.assertRaises(PclError) as cm:
                deps.ensure(config.BUILD_PACKAGES + ['qemu-system-x86'])
        self.assertEqual(cm.exception.code, Exit.MISSING_PACKAGES)
        self.assertIn('flex qemu-system-x86', cm.exception.message)
        self.assertFalse(any(c[0] == 'apt-get' for c in fake.commands))

    def test_missing_base_without_root(self) -> None:
        fake = FakeSystem(all_build_packages())
        with mock.patch.object(deps, '_run', fake), \
                mock.patch.object(deps, 'is_root', lambda: False):
            with self.assertRaises(PclError) as cm:
                deps.ensure(config.BUILD_PACKAGES, base=True)
        self.assertIn(config.BASE_PACKAGE, cm.exception.message)

    def test_root_installs_missing(self) -> None:
        installed = all_build_packages()
        del installed['bison']
        installed[config.BASE_PACKAGE] = config.BASE_VERSION
        fake = FakeSystem(installed)
        visible: list[list[str]] = []
        with mock.patch.object(deps, '_run', fake), \
                mock.patch.object(deps, '_run_visible',
                                  lambda c: visible.append(c) or 0), \
                mock.patch.object(deps, 'is_root', lambda: True):
            version = deps.ensure(config.BUILD_PACKAGES, base=True)
        self.assertEqual(version, config.BASE_VERSION)
        self.assertIn(['apt-get', 'update'], fake.commands)
        self.assertEqual(len(visible), 1)
        self.assertIn('bison', visible[0])

    def test_nothing_missing_touches_no_apt(self) -> None:
        installed = all_build_packages()
        installed[config.BASE_PACKAGE] = config.BASE_VERSION
        fake = FakeSystem(installed)
        with mock.patch.object(deps, '_run', fake), \
                mock.patch.object(deps, 'is_root', lambda: True):
            deps.ensure(config.BUILD_PACKAGES, base=True)
        self.assertFalse(any(c[0].startswith('apt') for c in fake.commands))

    def test_absent_pinned_version_falls_back_with_warning(self) -> None:
        fake = FakeSystem(all_build_packages(), MADISON_OLD_ONLY)
        visible: list[list[str]] = []
        warnings: list[str] = []
        with mock.patch.object(deps, '_run', fake), \
                mock.patch.object(deps, '_run_visible',
                                  lambda c: visible.append(c) or 0), \
                mock.patch.object(deps, 'is_root', lambda: True), \
                mock.patch.object(ui, 'warn', warnings.append):
            version = deps.ensure(config.BUILD_PACKAGES, base=True)
        self.assertEqual(version, '6.12.130-1~deb12u1')
        self.assertIn(f'{config.BASE_PACKAGE}=6.12.130-1~deb12u1', visible[0])
        self.assertEqual(len(warnings), 1)
        self.assertIn('not available', warnings[0])
        self.assertIn(config.BASE_VERSION, warnings[0])

    def test_nothing_installable(self) -> None:
        fake = FakeSystem(all_build_packages(), '')
        with mock.patch.object(deps, '_run', fake), \
                mock.patch.object(deps, 'is_root', lambda: True):
            with self.assertRaises(PclError) as cm:
                deps.ensure(config.BUILD_PACKAGES, base=True)
        self.assertEqual(cm.exception.code, Exit.BASE_TREE)


class PlanTest(unittest.TestCase):
    def test_pinned_installed(self) -> None:
        plan = deps.plan_base(config.BASE_VERSION, [])
        self.assertEqual((plan.version, plan.install, plan.warning),
                         (config.BASE_VERSION, False, ''))

    def test_pinned_available(self) -> None:
        plan = deps.plan_base('6.12.1-1', [config.BASE_VERSION, '6.12.999-1'])
        self.assertEqual((plan.version, plan.install), (config.BASE_VERSION,
                                                        True))

    def test_installed_newer_than_available(self) -> None:
        with mock.patch.object(deps, '_run', FakeSystem({})):
            plan = deps.plan_base('6.12.140-1', ['6.12.130-1'])
        self.assertEqual((plan.version, plan.install), ('6.12.140-1', False))
        self.assertIn('falling back', plan.warning)


if __name__ == '__main__':
    unittest.main()
