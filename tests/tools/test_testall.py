import contextlib
import io
import unittest
from pathlib import Path
from unittest import mock

from .helpers import TmpTestCase
from pcltools import kernlog, kunitrun, layers, testall, ui
from pcltools.errors import Exit, PclError
from pcltools.tally import Case, Counts


def counts(*statuses: str) -> Counts:
    c = Counts()
    for i, s in enumerate(statuses):
        c.add_case(Case('suite', f'case{i}', s))
    return c


class RunAllTest(TmpTestCase):
    """make test's bookkeeping: every layer counted, one closing line."""

    def run_all(self, outcomes: dict[str, kunitrun.Outcome],
                prepare=lambda: Path('/tree')) -> tuple[int, list[str]]:
        layer_defs = {k: o.layer for k, o in outcomes.items()}
        out = io.StringIO()
        with mock.patch.object(testall, 'unittest_layer',
                               lambda tree: (counts('PASS', 'PASS'), Exit.OK)), \
                mock.patch.object(testall.e2e_run, 'layer', lambda tree: (Counts(), Exit.OK)), \
                mock.patch.object(testall, 'validate_layer',
                                  lambda tree: (Counts(), Exit.OK)), \
                mock.patch.object(layers, 'all_layers', lambda: layer_defs), \
                mock.patch.object(layers, 'TEST_LAYERS', tuple(outcomes)), \
                mock.patch.object(kunitrun, 'run',
                                  lambda tree, layer, extra: next(
                                      o for o in outcomes.values()
                                      if o.layer is layer)), \
                mock.patch.object(kernlog, 'print_scan', lambda s, l: None), \
                mock.patch.multiple(ui, info=lambda m: None,
                                    error=lambda m: None), \
                contextlib.redirect_stdout(out):
            code = testall.run_all(prepare, None)
        return code, out.getvalue().splitlines()

    def outcome(self, name: str, code: Exit, c: Counts,
                unexpected: bool = False) -> kunitrun.Outcome:
        scan = kernlog.Scan()
        if unexpected:
            scan.reports.append(kernlog.Report(1, 'BUG: x', 'BUG: x', '',
                                               'unexpected'))
        return kunitrun.Outcome(layers.Layer(name, name, []), code, '',
                                c, None if code == Exit.BUILD_FAILED else scan)

    def test_all_pass(self) -> None:
        code, lines = self.run_all({
            'uml': self.outcome('uml', Exit.OK, counts('PASS', 'SKIP')),
            'smp': self.outcome('smp', Exit.OK, counts('PASS'))})
        # 2 tool tests + 2 KUnit passes + 2 scan cases; 1 skipped.
        self.assertEqual(lines[-1], '6 passed, 0 failed, 1 skipped')
        self.assertEqual(code, 0)

    def test_build_failure_and_reports_counted(self) -> None:
        code, lines = self.run_all({
            'uml': self.outcome('uml', Exit.BUILD_FAILED, Counts()),
            'debug': self.outcome('debug', Exit.KERNEL_REPORTS,
                                  counts('PASS'), unexpected=True)})
        self.assertEqual(lines[-1], '3 passed, 2 failed')
        self.assertEqual(code, Exit.BUILD_FAILED)

    def test_tree_failure(self) -> None:
        def prepare() -> Path:
            raise PclError(Exit.PATCH_FAILED, '0001-x.patch does not apply')
        code, lines = self.run_all({}, prepare)
        self.assertEqual(lines[-1], '2 passed, 1 failed')
        self.assertEqual(code, Exit.PATCH_FAILED)


if __name__ == '__main__':
    unittest.main()
