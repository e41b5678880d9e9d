"""make bench's O_DIRECT part: reading dio_bench's output, the on/off
ratios, the table, and what counts as a problem."""

import unittest
from pathlib import Path
from unittest import mock

from . import helpers  # noqa: F401  (puts tools/ on sys.path)
from pcltools import diobench
from pcltools.e2e import outcome as e2e_outcome
from pcltools.e2e import plan as e2e_plan
from pcltools.e2e import run as e2e_run
from pcltools.errors import Exit


def line(writers: int, layout: str, mb_s: float, lat: float,
         mechanism: str = 'on') -> str:
    rounds = f'{mb_s * 0.95:.2f},{mb_s:.2f},{mb_s * 1.05:.2f}'
    return ('# dio-bench: {"writers":%d,"layout":"%s","block":65536,'
            '"region":4194304,"mechanism":"%s","duration":2.0,"rounds":3,'
            '"seconds":6.001,"writes":100,"writes_min":25,"writes_max":25,'
            '"bytes":6553600,"mb_s":%.2f,"mb_s_rounds":[%s],'
            '"lat_us_mean":%.2f,"lat_us_p50":%.2f,"lat_us_p99":%.2f,'
            '"lat_us_max":9.00}'
            % (writers, layout, mechanism, mb_s, rounds, 1.5 * lat, lat,
               2 * lat))


def output(figures: list[tuple[int, str, float, float]],
           failing: tuple[str, ...] = ()) -> str:
    lines = ['KTAP version 1', '# dio_bench: mechanism on', '1..4']
    for i, (w, layout, mb_s, lat) in enumerate(figures, 1):
        name = f'writers_{w}_{layout}_file'
        lines.append(line(w, layout, mb_s, lat))
        lines.append(f'{"not " if name in failing else ""}ok {i} {name}')
    return '\n'.join(lines) + '\n'


ON = output([(1, 'same', 100, 50), (1, 'separate', 101, 49),
             (4, 'same', 120, 160), (4, 'separate', 200, 100)])
STOCK = output([(1, 'same', 125, 40), (1, 'separate', 126, 39),
              (4, 'same', 120, 160), (4, 'separate', 250, 80)])


class ParseTest(unittest.TestCase):
    def test_every_configuration_with_its_result(self) -> None:
        rows = diobench.parse(ON)
        self.assertEqual(list(rows), ['1-same', '1-separate', '4-same',
                                      '4-separate'])
        self.assertEqual(rows['4-same']['mb_s'], 120)
        self.assertEqual(rows['4-same']['writes_min'], 25)
        self.assertEqual(rows['4-same']['mechanism'], 'on')
        self.assertEqual(rows['4-same']['mb_s_rounds'], [114, 120, 126])
        self.assertIs(rows['4-same']['ok'], True)

    def test_failed_case_and_indented_lines(self) -> None:
        text = output([(4, 'separate', 10, 1)],
                      failing=('writers_4_separate_file',))
        rows = diobench.parse('\n'.join('    ' + x
                                        for x in text.splitlines()))
        self.assertIs(rows['4-separate']['ok'], False)

    def test_malformed_lines_are_skipped(self) -> None:
        text = ('# dio-bench: {"writers":1,"layout":"same","mb_s":}\n'
                '# dio-bench: [1, 2]\n'
                '# dio-bench: {"layout":"same"}\n'
                'ok 1 writers_1_same_file\n'
                '# something else: {"writers":1}\n')
        self.assertEqual(diobench.parse(text), {})
        rows = diobench.parse('# dio-bench: {"writers":1,"layout":"same",'
                              '"mb_s":1,"x":[1,"a"],"y":{"z":1},"ok":1}\n')
        self.assertEqual(rows, {'1-same': {'writers': 1, 'layout': 'same',
                                           'mb_s': 1, 'ok': 1}})

    def test_spread(self) -> None:
        self.assertAlmostEqual(diobench.spread({'mb_s_rounds': [90, 100,
                                                                110]}), 0.2)
        self.assertAlmostEqual(diobench.spread({'mb_s_rounds': [90, 110]}),
                               0.2)
        for row in ({}, {'mb_s_rounds': [100]}, {'mb_s_rounds': [0, 0]},
                    None):
            self.assertIsNone(diobench.spread(row))

    def test_no_figures(self) -> None:
        self.assertEqual(diobench.parse(''), {})
        self.assertEqual(diobench.parse('KTAP version 1\n1..0\n'), {})


class RatioTableTest(unittest.TestCase):
    def setUp(self) -> None:
        self.series = diobench.parse(ON)
        self.stock = diobench.parse(STOCK)

    def test_ratios_on_over_off(self) -> None:
        r = diobench.ratios(self.series, self.stock)
        self.assertAlmostEqual(r['1-same']['mb_s'], 0.8)
        self.assertAlmostEqual(r['1-same']['lat_us_mean'], 1.25)
        self.assertAlmostEqual(r['1-same']['lat_us_p50'], 1.25)
        self.assertAlmostEqual(r['4-separate']['lat_us_p99'], 1.25)
        self.assertEqual(diobench.ratios(self.series, {}), {})

    def test_table(self) -> None:
        text = diobench.table(self.series, self.stock)
        self.assertIn('64 KiB writes, 3 rounds of 2 s per configuration',
                      text)
        self.assertIn('ratio: series / stock', text)
        self.assertRegex(text, r'\n  1 +same file +125\.0 +100\.0 +0\.80 '
                         r'+10% +40\.0 +50\.0 +1\.25\n')
        self.assertRegex(text, r'\n  4 +one each +250\.0 +200\.0 +0\.80 '
                         r'+10% +80\.0 +100\.0 +1\.25\n')
        self.assertNotIn('!', text)
        for row in text.splitlines():
            self.assertEqual(row, row.rstrip())

    def test_missing_variant_and_failed_writes(self) -> None:
        off = dict(self.stock)
        del off['4-same']
        on = dict(self.series)
        on['1-separate'] = dict(on['1-separate'], ok=False)
        text = diobench.table(on, off)
        self.assertRegex(text, r'\n  4 +same file +- +120\.0 +- +10% '
                         r'+- +160\.0 +-\n')
        self.assertRegex(text, r'\n  1 +one each .*1\.26  !\n')
        self.assertIn('!: some writes failed', text)

    def test_only_stock(self) -> None:
        text = diobench.table({}, self.stock)
        self.assertRegex(text, r'\n  1 +same file +125\.0 +- +- ')


class MergeTest(unittest.TestCase):
    def test_boots_merge_into_one_row(self) -> None:
        boots = [diobench.parse(output([(4, 'same', mb_s, lat)]))
                 for mb_s, lat in ((100, 10), (300, 30), (200, 20))]
        boots[1]['4-same']['writes'] = 300
        row = diobench.merge(boots)['4-same']
        self.assertEqual(row['boots'], 3)
        self.assertEqual(row['rounds'], 9)
        self.assertEqual(len(row['mb_s_rounds']), 9)
        self.assertEqual(row['mb_s'], 200)
        self.assertEqual(row['writes'], 500)
        self.assertAlmostEqual(row['seconds'], 18.003)
        # mean latency weighted by writes: 1.5 * (10*100 + 30*300 +
        # 20*100) / 500
        self.assertAlmostEqual(row['lat_us_mean'], 36)
        self.assertEqual(row['lat_us_p50'], 20)       # median of 10, 30, 20
        self.assertEqual(row['lat_us_p99'], 40)       # median of 20, 60, 40
        self.assertEqual(row['lat_us_max'], 9)
        self.assertIs(row['ok'], True)
        self.assertEqual(row['layout'], 'same')

    def test_failed_boot_and_missing_configurations(self) -> None:
        good = diobench.parse(ON)
        bad = diobench.parse(output([(1, 'same', 50, 5)],
                                    failing=('writers_1_same_file',)))
        merged = diobench.merge([good, bad, {}])
        self.assertIs(merged['1-same']['ok'], False)
        self.assertEqual(merged['1-same']['boots'], 2)
        self.assertEqual(merged['4-separate']['boots'], 1)
        self.assertEqual(merged['4-separate']['mb_s'], 200)
        self.assertEqual(list(merged), list(good))
        self.assertEqual(diobench.merge([]), {})

    def test_rows_without_rounds(self) -> None:
        rows = [{'1-same': {'mb_s': 10.0}}, {'1-same': {'mb_s': 30.0}}]
        row = diobench.merge(rows)['1-same']
        self.assertEqual(row['mb_s_rounds'], [10.0, 30.0])
        self.assertEqual(row['mb_s'], 20.0)


def run_of(key: str, text: str, problem: str = '', how: str = 'exit=0',
           number: int = 1) -> e2e_run.ProgramRun:
    return e2e_run.ProgramRun(e2e_plan.VARIANTS[key], number,
                          {diobench.PROGRAM: text} if text else {},
                          {diobench.PROGRAM: e2e_outcome.Ending(how, 3.0)}, 20.0,
                          problem)


class ProblemTest(unittest.TestCase):
    def problems(self, *runs: e2e_run.ProgramRun) -> list[tuple[int, str]]:
        parsed = [diobench.parse(r.output.get(diobench.PROGRAM, ''))
                  for r in runs]
        return [(e.code, e.message) for e in
                diobench.problems(list(runs), parsed)]

    def test_none(self) -> None:
        self.assertEqual(self.problems(run_of('on', ON), run_of('stock', STOCK)),
                         [])

    def test_hang_no_figures_failed_writes(self) -> None:
        failing = output([(1, 'same', 1, 1)],
                         failing=('writers_1_same_file',))
        got = self.problems(run_of('on', '', 'hang in dio_bench', 'running'),
                            run_of('stock', failing, number=2))
        self.assertEqual([code for code, _ in got],
                         [Exit.KERNEL_CRASHED, Exit.TESTS_FAILED])
        self.assertIn('UML, ext2: series, boot 1: hang in dio_bench',
                      got[0][1])
        self.assertIn('boot 2: writes failed in 1-same', got[1][1])
        got = self.problems(run_of('stock', '', how='exit=2'))
        self.assertEqual(got[0][0], Exit.INTERNAL)
        self.assertIn('no dio-bench figures (dio_bench: exit=2)', got[0][1])


class RunTest(unittest.TestCase):
    def test_boots_in_turn_merged_per_variant(self) -> None:
        runs = [run_of('stock', STOCK), run_of('on', ON),
                run_of('stock', '', 'hang', number=2),
                run_of('on', ON, number=2)]
        with mock.patch.object(e2e_run, 'run_bench', return_value=runs) as rb, \
                mock.patch.object(diobench.ui, 'info'):
            result, text, problems = diobench.run(Path('/tree'))
        self.assertEqual(rb.call_args.args[1], diobench.ORDER)
        self.assertEqual(diobench.ORDER[:2], ('stock', 'on'))
        self.assertEqual(result['series']['1-same']['boots'], 2)
        self.assertEqual(result['stock']['1-same']['boots'], 1)
        self.assertAlmostEqual(
            result['ratio_series_stock']['1-same']['mb_s'], 0.8)
        self.assertEqual([(b['variant'], b['number'], bool(b['figures']))
                          for b in result['boots']],
                         [('stock', 1, True), ('on', 1, True),
                          ('stock', 2, False), ('on', 2, True)])
        self.assertIn('2 boots per kernel', text)
        self.assertEqual([e.code for e in problems], [Exit.KERNEL_CRASHED])


if __name__ == '__main__':
    unittest.main()
