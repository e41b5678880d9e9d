"""The end-to-end runner: plan, status, KTAP assembly, hang handling,
incremental kernel builds, build errors and the command line."""

import contextlib
import io
import os
import shutil
import stat
import subprocess
import sys
import time
import unittest
from pathlib import Path
from unittest import mock

from .helpers import TmpTestCase, kunit_py, make_kernel_like_repo, sh
from pcltools import config, deps, ktap, layers, tally, ui
from pcltools.e2e import build as e2e_build
from pcltools.e2e import machine as e2e_machine
from pcltools.e2e import outcome as e2e_outcome
from pcltools.e2e import plan as e2e_plan
from pcltools.e2e import run as e2e_run
from pcltools.errors import Exit, PclError

REPO = Path(__file__).resolve().parents[2]
PCL = REPO / 'tools/pcl'


class PlanTest(TmpTestCase):
    def write(self, text: str) -> Path:
        path = self.tmp / 'plan'
        path.write_text(text)
        return path

    def test_parse(self) -> None:
        plan = e2e_plan.read_plan(self.write('# comment\n\na 10 prog x y  # c\n'
                                        'b 5 other\n'))
        self.assertEqual(plan, [e2e_plan.Program('a', 10, ('prog', 'x', 'y')),
                                e2e_plan.Program('b', 5, ('other',))])
        self.assertEqual(e2e_machine.wall_limit(plan),
                         e2e_machine.BOOT_MARGIN + 15 + 2 * (
                             e2e_machine.KILL_GRACE + e2e_machine.KILL_SLACK))

    def test_bad_lines(self) -> None:
        for text in ('a ten prog\n', 'a 10\n', 'a 0 prog\n', 'a-b 1 p\n',
                     'a 1 p\na 2 q\n', '# nothing\n'):
            with self.subTest(text=text):
                with self.assertRaises(PclError) as cm:
                    e2e_plan.read_plan(self.write(text))
                self.assertEqual(cm.exception.code, Exit.USAGE)

    def test_select(self) -> None:
        plan = e2e_plan.read_plan(self.write('a 1 p\nb 1 q\nc 1 r\n'))
        self.assertEqual([p.name for p in e2e_plan.select(plan, 'c,a')],
                         ['a', 'c'])
        self.assertEqual(e2e_plan.select(plan, None), plan)
        with self.assertRaises(PclError) as cm:
            e2e_plan.select(plan, 'a,zz')
        self.assertIn('zz', cm.exception.message)

    def test_repository_plans_are_built_by_the_makefile(self) -> None:
        # What make would build, as make itself reads the plans.
        built = subprocess.run(
            ['make', '-s', '-C', str(REPO / e2e_plan.SOURCES),
             '--eval=print-programs: ; @echo $(PROGRAMS)', 'print-programs'],
            check=True, text=True, stdout=subprocess.PIPE).stdout.split()
        self.assertIn('dio_bench', built)
        for path in (e2e_plan.PLAN, e2e_plan.BENCH_PLAN,
                     e2e_plan.LOCK_BENCH_PLAN, e2e_plan.FAULT_BENCH_PLAN):
            for prog in e2e_plan.read_plan(REPO / path):
                self.assertIn(prog.argv[0], built)
                self.assertTrue((REPO / e2e_plan.SOURCES / f'{prog.argv[0]}.c')
                                .is_file())


class StatusTest(TmpTestCase):
    def test_read_status(self) -> None:
        plan = [e2e_plan.Program(n, 10, (n,)) for n in ('a', 'b', 'c', 'd')]
        status = self.tmp / 'status'
        status.write_text('start a\nend a exit=0 1.50\nstart b\n'
                          'end b timeout 10.20\nstart c\n')
        endings = e2e_outcome.read_status(status, plan)
        self.assertEqual(endings['a'].exit_code, 0)
        self.assertEqual(endings['a'].seconds, 1.5)
        self.assertEqual(endings['b'].how, 'timeout')
        self.assertEqual(endings['c'].how, 'running')
        self.assertEqual(endings['d'].how, 'not-run')
        self.assertEqual(e2e_outcome.read_status(self.tmp / 'none', plan)['a'].how,
                         'not-run')


PASSING = ['KTAP version 1', '# prog: mechanism on', '1..2', '# diag',
           'ok 1 first', 'ok 2 second # SKIP reason']


class KtapTest(TmpTestCase):
    def test_complete_program(self) -> None:
        lines, ok = e2e_outcome.program_ktap('prog', PASSING, e2e_outcome.Ending('exit=0'))
        self.assertTrue(ok)
        self.assertEqual(lines[:3], ['KTAP version 1', '# Subtest: prog',
                                     '1..2'])
        self.assertIn('ok 2 second # SKIP reason', lines)

    def test_failing_case(self) -> None:
        text = PASSING[:-1] + ['not ok 2 second']
        lines, ok = e2e_outcome.program_ktap('prog', text, e2e_outcome.Ending('exit=1'))
        self.assertFalse(ok)
        self.assertNotIn('completed', ' '.join(lines))

    def test_hang_names_the_program(self) -> None:
        for ending, killed, why in (
                (e2e_outcome.Ending('running'), True, 'wall-clock limit of 99 s'),
                (e2e_outcome.Ending('timeout', 60), False, 'time limit (60 s)'),
                (e2e_outcome.Ending('hung'), False, 'could not be killed'),
                (e2e_outcome.Ending('signal=11'), False, 'signal 11'),
                (e2e_outcome.Ending('exit=2'), False, 'status 2')):
            with self.subTest(how=ending.how):
                lines, ok = e2e_outcome.program_ktap('prog', PASSING[:-1], ending,
                                             killed, 99)
                self.assertFalse(ok)
                self.assertIn('1..2', lines)
                self.assertEqual(lines[-1], 'not ok 2 completed')
                self.assertIn('# prog: ', lines[-2])
                self.assertIn(why, lines[-2])

    def test_no_output_at_all(self) -> None:
        lines, ok = e2e_outcome.program_ktap('prog', [], e2e_outcome.Ending('exit=127'))
        self.assertFalse(ok)
        self.assertEqual(lines[2:], ['1..1', '# prog: exited with status '
                                     '127 before its last case',
                                     'not ok 1 completed'])

    def document(self, endings: dict[str, e2e_outcome.Ending]) -> list[str]:
        out = self.tmp / 'out'
        out.mkdir(exist_ok=True)
        (out / 'a.ktap').write_text('\n'.join(PASSING) + '\n')
        (out / 'b.ktap').write_text('\n'.join(PASSING[:-1]) + '\n')
        plan = [e2e_plan.Program(n, 10, (n,)) for n in ('a', 'b', 'c')]
        boot = e2e_machine.Boot('', 1.0, True, -9)
        variant = e2e_plan.VARIANTS['smp-on']
        part, ok = e2e_outcome.variant_ktap(variant, plan, out, endings, boot, 50)
        self.assertFalse(ok)
        return ktap.document([part], [ok], [variant.name])

    def test_document_counts(self) -> None:
        doc = self.document({'a': e2e_outcome.Ending('exit=0'),
                             'b': e2e_outcome.Ending('running'),
                             'c': e2e_outcome.Ending('not-run')})
        self.assertEqual(doc[:2], ['KTAP version 1', '1..1'])
        self.assertIn('    not ok 3 c # not run: an earlier program hung',
                      doc)
        self.assertEqual(doc[-1], 'not ok 1 e2e_smp')
        kpy = kunit_py()
        doc_file = self.tmp / 'doc.ktap'
        doc_file.write_text('\n'.join(doc) + '\n')
        counts = tally.from_kunit_json(
            ktap.parse(kpy, doc_file, self.tmp / 'r.json'), 'e2e')
        # a: 1 pass + 1 skip; b: 1 pass + 'completed' failing; c: failing.
        self.assertEqual((counts.passed, counts.failed + counts.crashed,
                          counts.skipped), (2, 2, 1))
        names = {(c.group, c.name, c.status) for c in counts.cases}
        self.assertIn(('e2e.e2e_smp.b', 'completed', 'FAIL'), names)

    def test_stale_counts_and_attribution(self) -> None:
        text = ('# stale_reads mode=on total=0 pread=0\n'
                '        # stale_reads mode=injected total=42 x\n')
        self.assertEqual(e2e_outcome.stale_counts(text), [('on', 0),
                                                  ('injected', 42)])
        console = ('boot\ne2e: start a (limit 9 s)\nWARNING: x\n'
                   'e2e: a: exit 0 in 1 s\nWARNING: y\n'
                   'e2e: start b (limit 9 s)\nBUG: z\n')
        self.assertEqual(e2e_outcome.attribute(console, 3), 'a')
        self.assertEqual(e2e_outcome.attribute(console, 5), '')
        self.assertEqual(e2e_outcome.attribute(console, 7), 'b')


class ProblemTest(unittest.TestCase):
    def test_crash_hang_or_nothing(self) -> None:
        ok = {'a': e2e_outcome.Ending('exit=0'), 'b': e2e_outcome.Ending('exit=1')}
        running = {'a': e2e_outcome.Ending('exit=0'), 'b': e2e_outcome.Ending('running')}
        timeout = {'a': e2e_outcome.Ending('timeout', 60), 'b': e2e_outcome.Ending('not-run')}
        clean = e2e_machine.Boot('boot\n', 1, False, 0)
        killed = e2e_machine.Boot('boot\n', 1, True, -9)
        panic = e2e_machine.Boot('Kernel panic - not syncing: x\n', 1, False, 1)
        self.assertEqual(e2e_outcome.problem(clean, ok), '')
        self.assertEqual(e2e_outcome.problem(killed, running), 'hang in b')
        self.assertEqual(e2e_outcome.problem(clean, timeout), 'hang in a')
        self.assertEqual(e2e_outcome.problem(killed, ok), 'hang in boot')
        self.assertIn('kernel crash', e2e_outcome.problem(panic, running))
        self.assertIn('while b ran', e2e_outcome.problem(panic, running))


class BootTest(TmpTestCase):
    """boot() against fake kernels (shell scripts): the wall-clock limit
    kills the whole process group."""

    def fake(self, body: str) -> Path:
        path = self.tmp / 'linux'
        path.write_text('#!/bin/sh\n' + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return path

    def test_hang_is_killed(self) -> None:
        pidfile = self.tmp / 'child.pid'
        kernel = self.fake(f'echo "e2e: start x"\nsleep 300 &\n'
                           f'echo $! > {pidfile}\nwait\n')
        seen: list[str] = []
        start = time.monotonic()
        boot = e2e_machine.boot([str(kernel)], self.tmp / 'console.log', 1.5,
                        seen.append)
        self.assertLess(time.monotonic() - start, 15)
        self.assertTrue(boot.killed)
        self.assertIn('e2e: start x', boot.console)
        self.assertTrue(any('killing' in s for s in seen))
        child = int(pidfile.read_text())
        time.sleep(0.2)
        try:    # gone, or a zombie waiting for its new parent
            state = Path(f'/proc/{child}/stat').read_text().split()[2]
        except FileNotFoundError:
            state = 'gone'
        self.assertIn(state, ('gone', 'Z'))

    def test_normal_exit(self) -> None:
        kernel = self.fake('echo booted\necho "e2e: powering off"\n')
        boot = e2e_machine.boot([str(kernel)], self.tmp / 'console.log', 30,
                        lambda m: None)
        self.assertFalse(boot.killed)
        self.assertEqual(boot.returncode, 0)
        self.assertEqual(boot.console, 'booted\ne2e: powering off\n')


class BuildTest(TmpTestCase):
    def setUp(self) -> None:
        super().setUp()
        p = mock.patch.object(ui, 'info', lambda m: None)
        p.start()
        self.addCleanup(p.stop)

    def test_program_build_error(self) -> None:
        src = self.tmp / 'src'
        src.mkdir()
        (src / 'Makefile').write_text('$(O)/bad: bad.c\n'
                                      '\tgcc -Wall -Werror -o $@ bad.c\n')
        (src / 'bad.c').write_text('int main(void) { return missing; }\n')
        with self.assertRaises(PclError) as cm:
            e2e_build.build_programs(src, self.tmp / 'out')
        self.assertEqual(cm.exception.code, Exit.BUILD_FAILED)
        self.assertIn("error: 'missing' undeclared", cm.exception.message)
        self.assertTrue((self.tmp / 'out/build.log').exists())

    def test_kernel_stamp_follows_the_tree(self) -> None:
        tree = make_kernel_like_repo(self.tmp / 'linux')
        frag = self.tmp / 'e2e.config'
        frag.write_text('CONFIG_EXT2_FS=y\n')
        out = self.tmp / 'out'
        out.mkdir()

        def stamp() -> str:
            return e2e_build.kernel_stamp(tree, [frag], out)

        first = stamp()
        self.assertTrue(first)
        self.assertEqual(stamp(), first)
        (tree / 'mm/filemap.c').write_text('changed\n')
        changed = stamp()
        self.assertNotEqual(changed, first)
        sh(tree, 'git', 'commit', '-qam', 'change')
        committed = stamp()
        self.assertNotIn(committed, (first, changed))
        (tree / 'mm/new.c').write_text('new\n')
        self.assertNotEqual(stamp(), committed)
        (tree / 'mm/new.c').unlink()
        self.assertEqual(stamp(), committed)
        frag.write_text('CONFIG_EXT2_FS=y\nCONFIG_PREEMPT=y\n')
        self.assertNotEqual(stamp(), committed)
        frag.write_text('CONFIG_EXT2_FS=y\n')
        # A KUnit run with other options reconfigured the build directory.
        (out / '.config').write_text('CONFIG_OTHER=y\n')
        self.assertNotEqual(stamp(), committed)
        self.assertEqual(e2e_build.kernel_stamp(self.tmp, [frag], out), '')

    def test_up_to_date_kernel_is_not_rebuilt(self) -> None:
        tree = make_kernel_like_repo(self.tmp / 'linux')
        with mock.patch.object(config, 'build_root',
                               lambda: self.tmp / 'build'), \
                mock.patch.object(config, 'kconfigs_dir',
                                  lambda: REPO / 'kconfigs'), \
                mock.patch.object(config, 'repo_root', lambda: REPO), \
                mock.patch.object(e2e_build, 'run_logged') as build:
            variant = e2e_plan.VARIANTS['on']
            out = e2e_build.kernel_dir(tree, variant)
            self.assertEqual(out.parent, self.tmp / 'build/out')
            self.assertTrue(out.name.startswith('uml-'))   # user tree
            out.mkdir(parents=True)
            (out / 'linux').write_text('')
            frags = layers.all_layers()['uml'].kunitconfigs
            stamp = e2e_build.kernel_stamp(tree, frags, out)
            (out / '.pcl-e2e-stamp').write_text(stamp + '\n')
            self.assertEqual(e2e_build.build_kernel(tree, variant).binary,
                             out / 'linux')
            build.assert_not_called()
            build.return_value = 0
            e2e_build.build_kernel(tree, variant, rebuild=True)
            build.assert_called_once()

    def test_edited_qemu_config_rebuilds_the_smp_kernel(self) -> None:
        """qemu_x86_64_smp.py carries options of its own: a kernel built
        before it changed is not up to date."""
        tree = make_kernel_like_repo(self.tmp / 'linux')
        kc = self.tmp / 'kconfigs'
        shutil.copytree(REPO / 'kconfigs', kc)
        with mock.patch.object(config, 'build_root',
                               lambda: self.tmp / 'build'), \
                mock.patch.object(config, 'kconfigs_dir', lambda: kc), \
                mock.patch.object(config, 'repo_root', lambda: REPO), \
                mock.patch.object(e2e_build, 'run_logged') as build:
            build.return_value = 0
            variant = e2e_plan.VARIANTS['smp-on']
            out = e2e_build.kernel_dir(tree, variant)
            (out / 'arch/x86/boot').mkdir(parents=True)
            (out / 'arch/x86/boot/bzImage').write_text('')
            e2e_build.build_kernel(tree, variant)
            e2e_build.build_kernel(tree, variant)
            self.assertEqual(build.call_count, 1)
            qemu_config = kc / 'qemu_x86_64_smp.py'
            qemu_config.write_text(qemu_config.read_text() + '\n# edit\n')
            e2e_build.build_kernel(tree, variant)
            self.assertEqual(build.call_count, 2)

    def test_smp_kernels_carry_the_debug_configs(self) -> None:
        """The SMP layer's kernel, which the SMP variants boot (stock
        too, with the same fragments), has lockdep and KASAN; make test
        runs it and the plain UML layer, not the UML debug layer."""
        defined = layers.all_layers()
        names = [f.name for f in defined['smp'].kunitconfigs]
        self.assertIn('lockdep.config', names)
        self.assertIn('kasan.config', names)
        self.assertNotIn('lockdep.config',
                         [f.name for f in defined['uml'].kunitconfigs])
        self.assertEqual(layers.TEST_LAYERS, ('uml', 'smp'))

    def test_the_series_kernels_are_the_kunit_layers(self) -> None:
        """One build per machine: the e2e variants boot the KUnit
        layers' build directories; stock kernels have their own."""
        tree = config.managed_tree()
        for key, layer in (('on', 'uml'), ('smp-on', 'qemu-x86_64-smp'),
                           ('stock', 'stock-uml'),
                           ('smp-stock', 'stock-qemu-x86_64-smp'),
                           ('bench-uml', 'bench-uml'),
                           ('bench-smp', 'bench-qemu-x86_64-smp')):
            with self.subTest(variant=key):
                self.assertEqual(e2e_build.kernel_dir(
                    tree, e2e_plan.VARIANTS[key]), config.out_dir(layer))


class RunBenchTest(TmpTestCase):
    """run_bench boots the variants in the order given, each boot with the
    bench plan in its own run directory, and hands back what the programs
    wrote; a variant that hung is not booted again."""

    def test_variants_and_outputs(self) -> None:
        plan = self.tmp / 'bench-plan'
        plan.write_text('dio_bench 30 dio_bench 1\nquiet 5 quiet\n')
        booted: list[tuple[str, Path, Path]] = []
        installed: list[dict[str, Path]] = []

        def run_variant(v: e2e_plan.Variant, kernel: Path, progs: Path,
                        programs: list[e2e_plan.Program], timeout: object,
                        run_dir: Path, plan_: Path,
                        files: dict[str, Path],
                        boot_args: tuple[str, ...]) -> e2e_run.VariantResult:
            self.assertEqual(boot_args, ('x.y=1',))
            booted.append((v.key, run_dir, plan_))
            installed.append(files)
            out = run_dir / 'root/out'
            out.mkdir(parents=True)
            (out / 'dio_bench.ktap').write_text(f'# figures {v.key}\n')
            (run_dir / 'disk.img').write_text('')
            endings = {'dio_bench': e2e_outcome.Ending('exit=0', 3.0),
                       'quiet': e2e_outcome.Ending('not-run')}
            return e2e_run.VariantResult(v, [], True,
                                     e2e_machine.Boot('', 12.5, False, 0), endings,
                                     problem='hang' if v.key == 'stock' else '')

        with mock.patch.object(e2e_run, 'root_dir', lambda: self.tmp / 'e2e'), \
                mock.patch.object(config, 'repo_root', lambda: self.tmp), \
                mock.patch.object(deps, 'ensure'), \
                mock.patch.object(e2e_build, 'build_programs',
                                  return_value=self.tmp / 'progs'), \
                mock.patch.object(e2e_build, 'build_kernel',
                                  return_value=e2e_build.Kernel(
                                      self.tmp / 'linux')) \
                as kernel, \
                mock.patch.object(e2e_run, 'run_variant', run_variant):
            runs = e2e_run.run_bench(self.tmp / 'tree', ('on', 'stock') * 3,
                                 plan=plan, boot_args=('x.y=1',))
        self.assertEqual(kernel.call_count, 2)    # once per kernel
        e2e_dir = self.tmp / 'e2e'
        self.assertEqual(booted, [('on', e2e_dir / 'bench-on-1', plan),
                                  ('stock', e2e_dir / 'bench-stock-1', plan),
                                  ('on', e2e_dir / 'bench-on-2', plan),
                                  ('on', e2e_dir / 'bench-on-3', plan)])
        self.assertEqual(installed, [{}] * 4)
        self.assertEqual([(r.variant.key, r.number) for r in runs],
                         [('on', 1), ('stock', 1), ('on', 2), ('on', 3)])
        self.assertEqual(runs[0].output, {'dio_bench': '# figures on\n'})
        self.assertEqual(runs[1].problem, 'hang')
        self.assertEqual(runs[0].seconds, 12.5)
        self.assertEqual(runs[0].endings['quiet'].how, 'not-run')
        self.assertEqual(runs[0].out, e2e_dir / 'bench-on-1/root/out')
        self.assertFalse((e2e_dir / 'bench-on-1/disk.img').exists())


# Bad input is refused before anything is touched: no need to wait for
# the repository lock while another tools/pcl command runs.
NO_LOCK = {'PCL_LOCK_HELD': '1'}


class CliTest(TmpTestCase):
    def pcl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(PCL), 'e2e', *args],
                              text=True, capture_output=True,
                              env={**os.environ, **NO_LOCK})

    def test_bad_input(self) -> None:
        for args in (['--only', 'nope'], ['--timeout', '0'], ['--bogus'],
                     ['--fs', 'btrfs'], ['--fs', ','], ['--all', '--fs', 'zfs']):
            with self.subTest(args=args):
                proc = self.pcl(*args)
                self.assertEqual(proc.returncode, Exit.USAGE, proc.stderr)
                self.assertNotIn('Traceback', proc.stderr + proc.stdout)

    def test_layer_setup_failure_is_one_failing_case(self) -> None:
        """make test's layer: a set-up failure is KTAP on stdout and one
        failing case, never a traceback."""
        out, err = io.StringIO(), io.StringIO()
        with mock.patch.object(e2e_run, 'root_dir', lambda: self.tmp), \
                mock.patch.object(e2e_run, 'run', side_effect=PclError(
                    Exit.MISSING_PACKAGES, 'mke2fs not found')), \
                contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            counts, code = e2e_run.layer(self.tmp)
        self.assertEqual(code, Exit.TESTS_FAILED)
        self.assertEqual([(c.group, c.name, c.status) for c in counts.cases],
                         [('e2e', 'e2e_setup', 'FAIL')])
        self.assertIn('KTAP version 1\n1..1\nnot ok 1 e2e_setup # mke2fs '
                      'not found\n', out.getvalue())
        self.assertIn('mke2fs not found', err.getvalue())


if __name__ == '__main__':
    unittest.main()
