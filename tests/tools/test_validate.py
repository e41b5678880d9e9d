"""check/validate on small series made by real `git format-patch` runs
against a fake kernel tree (tests/tools/kernel_fixture.py): every kind of
input people have, every bad input, the report and the exit codes."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest import mock

from . import kernel_fixture as kf
from .helpers import TmpTestCase, sh, with_b4
from pcltools import config, kunitrun, mbox, series, ui
from pcltools.check import cli as check_cli
from pcltools.check import kunitdelta, model, report, verdict
from pcltools.errors import Exit

class ValidateTestCase(TmpTestCase):
    base_suite = kf.OLD_SUITE
    new_suite = True            # the kunitconfig enables the new suite

    def setUp(self) -> None:
        super().setUp()
        self.base = kf.make_base(self.tmp / 'kernel', self.base_suite)
        self.dev = self.tmp / 'dev'
        sh(self.tmp, 'git', 'clone', '-q', str(self.base), str(self.dev))
        self.out = self.tmp / 'report'
        self.out.mkdir()
        self.kunitconfig = kf.kunitconfig(self.tmp / 'kunitconfig',
                                          self.new_suite)
        self.log = io.StringIO()
        for p in (mock.patch.object(config, 'build_root',
                                    lambda: self.tmp / 'build'),
                  mock.patch.object(ui, 'info', self.log_line),
                  mock.patch.object(ui, 'error', self.log_line),
                  mock.patch.object(ui, 'warn', self.log_line),
                  mock.patch.object(ui, 'HEARTBEAT', 3600)):
            p.start()
            self.addCleanup(p.stop)

    def log_line(self, msg: str) -> None:
        self.log.write(msg + '\n')

    def context(self, onto: list[Path], cache: bool = True,
                **kw: object) -> model.Context:
        kw.setdefault('kunitconfigs', [self.kunitconfig])
        return model.Context(
            source=self.base, base_ref='pcl-base', base_desc='the fake base',
            state=self.tmp / 'build/validate', onto=onto,
            onto_desc='the series below', cache=cache,
            **kw)  # type: ignore[arg-type]

    # -- making input ---------------------------------------------------

    def format_patch(self, *args: str, rev: str = 'pcl-base..HEAD',
                     repo: Path | None = None) -> bytes:
        return subprocess.run(['git', 'format-patch', '--stdout', *args, rev],
                              cwd=repo or self.dev, check=True,
                              stdout=subprocess.PIPE).stdout

    def messages(self, data: bytes) -> list[bytes]:
        d = self.tmp / f'split{len(list(self.tmp.glob("split*")))}'
        d.mkdir()
        (d / 'in').write_bytes(data)
        sh(d, 'git', 'mailsplit', '-b', f'-o{d}', str(d / 'in'))
        return [p.read_bytes() for p in sorted(d.iterdir())
                if p.name.isdigit()]

    def mbox_of(self, msgs: list[bytes]) -> bytes:
        out = b''
        for m in msgs:
            if not m.startswith(b'From '):
                m = b'From mboxrd@z Thu Jan  1 00:00:00 1970\n' + m
            out += m.rstrip(b'\n') + b'\n\n'
        return out

    def write(self, data: bytes, name: str = 'series.mbox') -> Path:
        path = self.tmp / name
        path.write_bytes(data)
        return path

    # -- running ----------------------------------------------------------

    def validate(self, data: bytes | Path, onto: list[Path] | None = None,
                 cache: bool = True, **kw: object
                 ) -> tuple[model.Result, str]:
        path = data if isinstance(data, Path) else self.write(data)
        with contextlib.redirect_stdout(io.StringIO()):
            result = check_cli.validate_mbox(
                str(path), self.out, lambda o: self.context(o, cache, **kw),
                onto or [], work_parent=self.tmp / 'work')
        verdict.verdict(result)
        return result, report.text(result)

    def assertUntouched(self) -> None:
        for repo in (self.base, self.dev):
            self.assertEqual(sh(repo, 'git', 'status', '--porcelain'), '')
        self.assertEqual(sh(self.base, 'git', 'rev-parse', 'HEAD'),
                         sh(self.base, 'git', 'rev-parse', 'pcl-base'))
        self.assertEqual(sh(self.base, 'git', 'branch', '--format=%(refname)'
                            ).split(), ['refs/heads/main'])


class GoodInputTest(ValidateTestCase):
    def setUp(self) -> None:
        super().setUp()
        with_b4(self)
        kf.good_series(self.dev)

    def check_good(self, result: model.Result, text: str) -> None:
        self.assertEqual(result.code, 0, text + self.log.getvalue())
        self.assertEqual([s.title for s in result.steps],
                         ['mm: add p1', 'mm: add p2', 'mm: add the new suite'])
        self.assertTrue(all(s.applies == 'yes' and s.builds == 'yes'
                            for s in result.steps), text)
        self.assertIn('  1/3  ok     0/0/0             ok     ok    ok    ok     '
                      'ok    mm: add p1', text)
        self.assertEqual(result.b4.outcome,
                         'pass' if result.title else 'not run', text)
        self.assertIn('b4 prep: pass: b4 ' if result.title else
                      'b4 prep: not run: the series has no cover letter',
                      text)
        self.assertIn('KUnit (UML) at the tip: 6 passed, 0 failed', text)
        self.assertIn('KUnit delta: 0 newly failing, 0 newly passing, 2 added, '
                      '0 removed', text)
        self.assertIn('added: new: 2', text)
        self.assertIn('To: Maint Ainer <maint@example.org>, Fs Maint '
                      '<fs@example.org>', text)
        self.assertIn('Cc: Re Viewer <rev@example.org>, '
                      'fake-list@example.org', text)
        self.assertIn('Result: PASS', text)
        self.assertUntouched()

    def test_threaded_with_cover_letter(self) -> None:
        result, text = self.validate(self.format_patch(
            '--thread', '--cover-letter', '--subject-prefix=PATCH v3'))
        self.check_good(result, text)
        self.assertEqual(result.method, 'b4 am')
        self.assertIn('Series: [PATCH v3 0/3] *** SUBJECT HERE ***', text)
        self.assertEqual(result.steps[1].subject, '[PATCH v3 2/3] mm: add p2')

    def test_plain_format_patch(self) -> None:
        result, text = self.validate(self.format_patch())
        self.check_good(result, text)
        self.assertEqual(result.method, 'git mailsplit')

    def test_single_message_without_from_line(self) -> None:
        sh(self.dev, 'git', 'reset', '-q', '--hard', 'HEAD~2')
        msg = self.messages(self.format_patch())[0]
        msg = msg.split(b'\n', 1)[1]            # no mbox "From " line
        result, text = self.validate(msg)
        self.assertEqual(len(result.steps), 1, text)
        self.assertEqual(result.steps[0].label, '1/1')
        self.assertEqual(result.steps[0].builds, 'yes')

    def test_threaded_with_a_long_folded_subject(self) -> None:
        kf.commit(self.dev, {'src/p9.c': 'int p9(void);\n'},
                  'mm: a subject long enough for git format-patch to fold '
                  'it over two header lines')
        data = self.format_patch('--thread', '--cover-letter')
        self.assertIn(b'fold it\n over two', data)       # folded
        result, text = self.validate(data)
        self.assertEqual(result.method, 'b4 am', text)
        self.assertEqual(result.steps[-1].title, 'mm: a subject long enough '
                         'for git format-patch to fold it over two header '
                         'lines')

    def test_b4_am_output(self) -> None:
        thread = self.write(self.format_patch('--thread', '--cover-letter'),
                            'thread.mbox')
        b4dir = self.tmp / 'b4'
        b4dir.mkdir()
        subprocess.run(['b4', 'am', '-m', str(thread), '-o', str(b4dir),
                        '-n', 'out'], cwd=b4dir, check=True,
                       env=mbox._b4_env(b4dir), capture_output=True,
                       stdin=subprocess.DEVNULL)   # b4 reads a msgid there
        result, text = self.validate(b4dir / 'out.mbx')
        self.check_good(result, text)

    def test_saved_thread(self) -> None:
        """Two revisions, messages out of order, replies mixed in, one
        with a Reviewed-by that b4 carries into the patch."""
        # (the same commits: make v2's Message-Ids its own)
        v2 = self.messages(self.format_patch(
            '--thread', '--cover-letter', '--subject-prefix=PATCH v2'
        ).replace(b'.git.', b'.v2.git.'))
        v3 = self.messages(self.format_patch(
            '--thread', '--cover-letter', '--subject-prefix=PATCH v3'))
        patch2 = v3[2].decode()
        msgid = next(l.split(':', 1)[1].strip() for l in patch2.splitlines()
                     if l.lower().startswith('message-id:'))
        reply = (f'From: Re Viewer <rev@example.org>\n'
                 f'Subject: Re: [PATCH v3 2/3] mm: add p2\n'
                 f'Date: Tue, 24 Nov 2026 22:00:00 +0000\n'
                 f'Message-Id: <reply@example.org>\n'
                 f'In-Reply-To: {msgid}\nReferences: {msgid}\n\n'
                 f'> +int p2(void)\n\nReviewed-by: Re Viewer '
                 f'<rev@example.org>\n').encode()
        thread = [v3[3], reply, v2[1], v3[0], v2[0], v3[2], v2[3], v3[1],
                  v2[2]]
        result, text = self.validate(self.mbox_of(thread))
        self.check_good(result, text)
        self.assertIn('[PATCH v3 0/3]', text)
        self.assertEqual(result.replies, 1)
        self.assertIn('Reviewed-by: Re Viewer', ' '.join(result.notes))
        self.assertIn('Reviewed-by: Re Viewer',
                      (self.out / 'patches/0002.patch').read_text())

    def test_out_of_order_without_message_ids(self) -> None:
        msgs = self.messages(self.format_patch('--cover-letter'))
        result, text = self.validate(self.mbox_of(msgs[::-1]))
        self.check_good(result, text)
        self.assertEqual(result.method, 'git mailsplit')

    def test_stdin(self) -> None:
        data = self.format_patch()
        stdin = io.TextIOWrapper(io.BytesIO(data))
        with mock.patch.object(sys, 'stdin', stdin):
            result, text = self.validate(Path('-'))
        self.check_good(result, text)
        self.assertIn('validation of stdin', text)

    def test_reports_written(self) -> None:
        result, _ = self.validate(self.format_patch())
        paths = report.write(result, self.out)
        self.assertIn('Result: PASS', paths['text'].read_text())
        data = json.loads(paths['json'].read_text())
        self.assertEqual(data['code'], 0)
        self.assertEqual(len(data['steps']), 3)
        self.assertEqual(data['delta']['added'], ['new.first', 'new.second'])
        root = ET.parse(paths['junit']).getroot()
        names = [tc.get('name') for tc in root.iter('testcase')]
        self.assertIn('01/3 mm: add p1: builds', names)
        self.assertFalse(list(root.iter('failure')))
        self.assertTrue((self.out / 'checkpatch/0001.txt').exists())
        self.assertTrue((self.out / 'kunit-tip.log').exists())

    def test_second_run_reuses_commits_and_caches(self) -> None:
        data = self.format_patch()
        first, _ = self.validate(data)
        scratch = self.tmp / 'build/validate/linux'
        head = sh(scratch, 'git', 'rev-parse', 'HEAD')
        second, text = self.validate(data)
        self.assertEqual(second.code, 0, text)
        self.assertTrue(all(s.build_cached for s in second.steps))
        self.assertTrue(all('reused' in s.apply_detail for s in second.steps))
        self.assertTrue(second.kunit_base and second.kunit_base.cached)
        self.assertEqual(sh(scratch, 'git', 'rev-parse', 'HEAD'), head)
        third, text = self.validate(data, cache=False)
        self.assertEqual(third.code, 0, text)
        self.assertFalse(any(s.build_cached for s in third.steps))

    def test_no_kunit(self) -> None:
        result, text = self.validate(self.format_patch(), kunit=False)
        self.assertEqual(result.code, 0, text)
        self.assertIsNone(result.kunit)
        self.assertIn('KUnit: not run (--no-kunit)', text)
        self.assertIn('patch, get_maintainer.pl', ' '.join(text.split()))

    def test_make_test_mode(self) -> None:
        """Tip only, KUnit in a prepared tree with the same content;
        earlier patches show cached build results when there are some."""
        prepared = self.tmp / 'prepared'
        sh(self.tmp, 'git', 'clone', '-q', str(self.dev), str(prepared))
        data = self.format_patch('--thread', '--cover-letter')
        result, text = self.validate(data, bisect=False, tip_tree=prepared)
        self.assertEqual(result.code, 0, text)
        self.assertEqual([s.builds for s in result.steps],
                         ['not built', 'not built', 'yes'])
        # The bot's checks run at every patch all the same.
        self.assertEqual({c.outcome for s in result.steps
                          for _, _, c in s.bot_checks()}, {'pass'})
        self.assertIn('  1/3  ok     0/0/0             --     ok    ok    ok     '
                      'ok    mm: add p1', text)
        self.assertIn('Note: per-patch builds are off here', text)
        self.assertIn('built there', result.steps[2].build_detail)
        assert result.kunit is not None
        self.assertEqual(Path(result.kunit.log).parent, kunitrun.build_dir(
            prepared, kunitdelta.layer(self.context([]), 'tip')))
        self.validate(data)                     # builds every patch
        result, text = self.validate(data, bisect=False, tip_tree=prepared)
        self.assertEqual([s.builds for s in result.steps], ['yes'] * 3, text)
        self.assertTrue(result.steps[0].build_cached)
        self.assertIn('built there', result.steps[2].build_detail)
        (prepared / 'src/a.c').write_text('/* changed */\n')
        result, text = self.validate(data, bisect=False, tip_tree=prepared)
        self.assertNotIn('built there', result.steps[2].build_detail, text)
        self.assertEqual(result.code, 0, text)

    def test_check_of_a_patches_directory(self) -> None:
        patches = self.tmp / 'patches'
        sh(self.dev, 'git', 'format-patch', '-q', '--cover-letter', '-o',
           str(patches), 'pcl-base..HEAD')
        names = sorted(p.name for p in patches.glob('000[1-9]*.patch'))
        (patches / 'series').write_text(''.join(n + '\n' for n in names))
        with contextlib.redirect_stdout(io.StringIO()):
            result = check_cli.check_series(series.read(patches), self.out,
                                           lambda o: self.context(o))
        verdict.verdict(result)
        text = report.text(result)
        self.check_good(result, text)
        self.assertIn('pagecache-lock check of patches/ (3 patches)', text)


class BadInputTest(ValidateTestCase):
    new_suite = False
    def assertRejected(self, data: bytes, problem: str) -> str:
        result, text = self.validate(data)
        self.assertEqual(result.code, Exit.USAGE, text)
        self.assertIn(f'Problem: {problem}', text)
        self.assertFalse(result.steps)
        self.assertFalse((self.tmp / 'build/validate/linux').exists())
        self.assertUntouched()
        return text

    def test_empty(self) -> None:
        self.assertRejected(b'', 'the input is empty')

    def test_not_mail(self) -> None:
        self.assertRejected(b'hello\nthis is not mail\n',
                            'the input is not mail')

    def test_binary_garbage(self) -> None:
        self.assertRejected(bytes(range(256)) * 4, 'the input is not')

    def test_only_replies(self) -> None:
        reply = (b'From: Re Viewer <rev@example.org>\n'
                 b'Subject: Re: [PATCH 1/2] mm: add p1\n'
                 b'Message-Id: <r1@example.org>\n\nLooks good.\n')
        other = reply.replace(b'r1@', b'r2@').replace(b'1/2', b'2/2')
        self.assertRejected(self.mbox_of([reply, other]),
                            'the input holds only replies (2 message(s)')

    def test_mail_without_patch(self) -> None:
        self.assertRejected(b'From: a@example.org\nSubject: hello\n\nhi\n',
                            'no patch in the input')

    def test_missing_patch(self) -> None:
        kf.good_series(self.dev, n=5)
        msgs = self.messages(self.format_patch())
        del msgs[1]
        result, text = self.validate(self.mbox_of(msgs))
        self.assertEqual(result.code, Exit.USAGE, text)
        self.assertIn('Problem: the series is incomplete: 2/5 is missing from '
                      'the input', text)
        self.assertIn('  2/5  (missing from the input)', text)
        steps = {s.position: s for s in result.steps}
        self.assertEqual(steps[1].builds, 'yes')
        self.assertEqual(steps[3].applies, 'yes')
        self.assertEqual(steps[3].builds, 'skipped')
        self.assertIn('KUnit (UML) at the tip: not run: the series is '
                      'incomplete', text)
        self.assertUntouched()

    def test_patch_does_not_apply(self) -> None:
        # The series is made on a tree with a change the base lacks.
        kf.commit(self.dev, {'src/a.c': 'int a(void)\n{\n\treturn 10;\n}\n'},
                  'local: not posted')
        kf.commit(self.dev, {'src/p1.c': 'int p1(void);\n'}, 'mm: add p1')
        kf.commit(self.dev, {'src/a.c': 'int a(void)\n{\n\treturn 11;\n}\n'},
                  'mm: change a')
        kf.commit(self.dev, {'src/p3.c': 'int p3(void);\n'}, 'mm: add p3')
        result, text = self.validate(self.format_patch(rev='HEAD~3..HEAD'))
        self.assertEqual(result.code, Exit.PATCH_FAILED, text)
        step = result.steps[1]
        self.assertEqual(step.applies, 'no')
        self.assertIn('  2/3  FAIL', text)
        self.assertIn('src/a.c: hunk #1 (@@ -1,4 +1,4 @@', text)
        self.assertIn('| \treturn 10;', text)
        self.assertEqual(result.steps[2].applies, 'yes')   # goes on
        self.assertEqual(result.steps[2].builds, 'skipped')
        self.assertIn('Result: FAIL: 2/3 does not apply', text)
        self.assertEqual(step.kerneldoc.note,
                         'not run: the patch does not apply')
        self.assertTrue(step.fixes.ran and step.subject_check.ran)
        self.assertIn('  2/3  FAIL   0/0/0             --     --    --    ok     '
                      'ok',
                      text)
        self.assertUntouched()

    def test_build_break_in_the_middle(self) -> None:
        kf.commit(self.dev, {'src/p1.c': 'int p1(void);\n'}, 'mm: add p1')
        kf.commit(self.dev, {'src/p2.c': 'int p2(void) { return x; }\n'},
                  'mm: add p2, broken')
        kf.commit(self.dev, {'src/p2.c': 'int p2(void) { return 2; }\n',
                             'src/p3.c': '/* CHECKPATCH_ERROR */\n'},
                  'mm: fix p2, add p3')
        result, text = self.validate(self.format_patch())
        self.assertEqual(result.code, Exit.BUILD_FAILED, text)
        self.assertEqual([s.builds for s in result.steps],
                         ['yes', 'no', 'yes'])
        self.assertIn('  2/3  ok     0/0/0             FAIL   ok    ok    ok     '
                      'ok    mm: add p2, broken', text)
        self.assertIn("src/p2.c:1:23: error: 'x' undeclared", text)
        self.assertIn('  3/3  ok     1/0/0             ok', text)
        self.assertIn('ERROR: forbidden marker (src/p3.c:1)', text)
        self.assertIn('Result: FAIL: 2/3 does not build; checkpatch errors '
                      'in 3/3', text)
        self.assertIn('KUnit (UML) at the tip: 4 passed', text)

    def test_checkpatch_error(self) -> None:
        kf.commit(self.dev, {'src/p1.c': 'int p1(void); /* CHECKPATCH_WARNING'
                                         ' */\n'}, 'mm: add p1')
        kf.commit(self.dev, {'src/p2.c': '/* CHECKPATCH_ERROR */\n'},
                  'mm: add p2')
        result, text = self.validate(self.format_patch())
        self.assertEqual(result.code, Exit.TESTS_FAILED, text)
        self.assertIn('  1/2  ok     0/1/0', text)
        self.assertIn('WARNING: suspicious marker (src/p1.c:1)', text)
        self.assertIn('  2/2  ok     1/0/0', text)
        self.assertTrue(result.steps[1].builds == 'yes')

    def test_kernel_crash(self) -> None:
        crash = kf.NEW_SUITE.replace(
            '    ok 2 second\n',
            'BUG: kernel NULL pointer dereference, address: 0000000000000008\n'
            'Oops: Oops: 0002 [#1] PREEMPT NOPTI\n'
            'RIP: 0010:pagecache_lock_add+0x12/0x40\n'
            'Kernel panic - not syncing: Fatal exception\n')
        kf.commit(self.dev, {'Kconfig': kf.KCONFIG + 'config NEW_KUNIT_TEST\n',
                             'tests.ktap': kf.OLD_SUITE + '\n' + crash},
                  'mm: a suite that crashes')
        kf.kunitconfig(self.kunitconfig, True)
        result, text = self.validate(self.format_patch())
        self.assertEqual(result.code, Exit.KERNEL_CRASHED, text)
        self.assertIn('THE KERNEL CRASHED', text)
        self.assertIn('oops summary:', text)
        self.assertIn('BUG: kernel NULL pointer dereference', text)
        self.assertIn('RIP: 0010:pagecache_lock_add+0x12/0x40', text)
        self.assertIn('did not complete: new.unfinished', text)


class BotChecksTest(ValidateTestCase):
    """kernel-doc, the Fixes: tags and the subject, per patch, in every
    report format: 1/4 adds a function whose kernel-doc misses a
    parameter, 2/4 has a Fixes: tag with a short sha1 and no quotes, 3/4
    a subject without prefix and with a period, 4/4 a Fixes: tag naming
    a commit the tree (no history below its base) cannot know."""
    new_suite = False

    def setUp(self) -> None:
        super().setUp()
        base = sh(self.base, 'git', 'rev-parse', 'pcl-base').strip()
        kf.commit(self.dev, {'src/doc.c': MISSING_PARAM}, 'mm: add doc.c')
        kf.commit(self.dev, {'src/p1.c': 'int p1(void);\n'}, 'mm: fix p1',
                  f'Explain why.\n\nFixes: {base[:7]} (base)')
        kf.commit(self.dev, {'src/p3.c': 'int p3(void);\n'}, 'add p3.')
        kf.commit(self.dev, {'src/p4.c': 'int p4(void);\n'},
                  'mm: fix an old bug',
                  'Explain why.\n\nFixes: 0123456789ab ("mm: an old bug")')
        self.base_sha = base

    def test_every_report(self) -> None:
        result, text = self.validate(self.format_patch('--thread',
                                                       '--cover-letter'))
        self.assertEqual(result.code, Exit.TESTS_FAILED, text)
        self.assertIn('Result: FAIL: Fixes: tag errors in 2/4; subject errors '
                      'in 3/4', text)
        for row in ('  1/4  ok     0/0/0             ok     warn  ok    ok     '
                    'ok    mm: add doc.c',
                    '  2/4  ok     0/0/0             ok     ok    ok    FAIL   '
                    'ok',
                    '  3/4  ok     0/0/0             ok     ok    ok    ok     '
                    'FAIL  add p3.',
                    '  4/4  ok     0/0/0             ok     ok    ok    note   '
                    'ok'):
            self.assertIn(row, text)
        flat = ' '.join(text.split())
        self.assertIn('kernel-doc: src/doc.c: 1 new warnings, 0 new checks '
                      '(warnings before: 0, this patch: 1) WARNING: Function '
                      "parameter or struct member 'y' not described in "
                      "'new_mul' (src/doc.c:8)", flat)
        self.assertIn(f'"Fixes: {self.base_sha[:7]} (base)": the sha1', text)
        self.assertIn(f'it should read: Fixes: {self.base_sha[:12]} '
                      '("base")', flat)
        self.assertIn('ERROR: no subsystem prefix', text)
        self.assertIn('ERROR: the subject ends with a period', text)
        self.assertIn('CHECK: "Fixes: 0123456789ab ("mm: an old bug")": not '
                      'verified', flat)
        self.assertIn('    kernel-doc: before: 0, this patch: 1 (1 new)', text)
        self.assertIn('    kernel-doc: adds warnings (before: 0, this patch: '
                      '1):', text)
        self.assertIn('    Fixes: tags: error:', text)
        self.assertTrue((self.out / 'kernel-doc/0001.txt').exists())
        # No history below the base: checkpatch.pl does not look the ids
        # up (its stand-in, like it, would call 0123456789ab unknown).
        self.assertIn('Note: the tree has no history below its base: '
                      'checkpatch.pl does not look commit ids up', flat)
        self.assertEqual(result.steps[3].checkpatch.warnings, 0)

        paths = report.write(result, self.out)
        data = json.loads(paths['json'].read_text())
        kd = data['steps'][0]['kerneldoc']
        self.assertEqual(kd['findings'][0]['where'], 'src/doc.c:8')
        self.assertEqual(data['steps'][1]['fixes']['errors'], 1)
        self.assertEqual(data['steps'][2]['subject_check']['errors'], 2)

        root = ET.parse(paths['junit']).getroot()
        cases = {tc.get('name'): tc for tc in root.iter('testcase')}
        for name, failed in (('01/4 mm: add doc.c: kernel-doc', False),
                             ('02/4 mm: fix p1: fixes', True),
                             ('03/4 add p3.: subject', True),
                             ('04/4 mm: fix an old bug: fixes', False),
                             ('04/4 mm: fix an old bug: subject', False)):
            self.assertEqual(cases[name].find('failure') is not None, failed,
                             name)
        message = next(c.message for c in report.counts(result)[
            'validate'].cases if c.name == '01/4 mm: add doc.c: kernel-doc')
        self.assertIn('src/doc.c: 1 new warnings, 0 new checks', message)
        self.assertIn("WARNING: Function parameter or struct member 'y'",
                      message)

        kcidb_tests = json.loads(paths['kcidb'].read_text())['tests']
        status = {(t['path'], t['build_id'].split(':')[2]): t['status']
                  for t in kcidb_tests}
        self.assertEqual(status[('kernel-doc', '01-of-04')], 'PASS')
        self.assertEqual(status[('fixes', '02-of-04')], 'FAIL')
        self.assertEqual(status[('subject', '03-of-04')], 'FAIL')
        self.assertEqual(status[('fixes', '04-of-04')], 'PASS')

        pw = json.loads(paths['patchwork'].read_text())['patches']
        state = {(p['position'], c['context']): c['state'] for p in pw
                 for c in p['checks']}
        self.assertEqual(state[(1, 'kernel-doc')], 'warning')
        self.assertEqual(state[(2, 'kernel-doc')], 'success')
        self.assertEqual(state[(2, 'fixes')], 'fail')
        self.assertEqual(state[(3, 'subject')], 'fail')
        self.assertEqual(state[(4, 'fixes')], 'warning')
        self.assertEqual(state[(1, 'subject')], 'success')

    def test_the_series_own_patches_are_not_the_prefix_history(self) -> None:
        fresh = self.tmp / 'dev2'
        sh(self.tmp, 'git', 'clone', '-q', str(self.base), str(fresh))
        kf.commit(fresh, {'src/p5.c': 'int p5(void);\n'}, 'mm: add p5')
        kf.commit(fresh, {'src/p5.c': 'int p5(int x);\n'}, 'lib: change p5')
        result, text = self.validate(self.format_patch(repo=fresh))
        self.assertEqual([s.subject_check.checks for s in result.steps],
                         [0, 0], text)

    def test_with_history_below_the_base_ids_are_looked_up(self) -> None:
        # The old base commit becomes history below a new pcl-base.
        sh(self.base, 'git', 'commit', '-q', '--allow-empty', '-m', 'next')
        sh(self.base, 'git', 'tag', '-f', 'pcl-base')
        fresh = self.tmp / 'dev2'
        sh(self.tmp, 'git', 'clone', '-q', str(self.base), str(fresh))
        kf.commit(fresh, {'src/p4.c': 'int p4(void);\n'},
                  'mm: fix an old bug',
                  'Explain why.\n\nFixes: 0123456789ab ("mm: an old bug")')
        result, text = self.validate(self.format_patch(repo=fresh))
        flat = ' '.join(text.split())
        self.assertNotIn('has no history below its base', flat)
        cp = result.steps[0].checkpatch
        self.assertEqual((cp.errors, cp.warnings), (0, 1), text)
        self.assertEqual(cp.findings[0].type, 'UNKNOWN_COMMIT_ID')
        self.assertIn('no commit 0123456789ab in the tree (checkpatch.pl: '
                      'UNKNOWN_COMMIT_ID)', flat)
        self.assertEqual(result.code, Exit.TESTS_FAILED, text)

    def test_cached_on_the_second_run(self) -> None:
        data = self.format_patch()
        first, _ = self.validate(data)
        self.assertFalse(first.steps[0].kerneldoc.cached)
        second, _ = self.validate(data)
        self.assertTrue(all(s.kerneldoc.cached for s in second.steps))
        self.assertEqual([s.kerneldoc.findings for s in second.steps],
                         [s.kerneldoc.findings for s in first.steps])

    def test_clean_patches_pass(self) -> None:
        kf.commit(self.dev, {'src/doc.c': COMPLETE}, 'mm: document doc.c')
        kf.commit(self.dev, {'src/p5.c': 'int p5(void);\n'},
                  'mm: fix p1 again',
                  f'Explain why.\n\nFixes: {self.base_sha[:12]} ("base")')
        result, text = self.validate(self.format_patch())
        last = result.steps[-2:]
        self.assertEqual([[c.outcome for _, _, c in s.bot_checks()]
                          for s in last], [['pass'] * 4] * 2, text)


MISSING_PARAM = """/**
 * new_mul() - Multiply.
 * @x: the first
 *
 * Return: the product.
 */
int new_mul(int x, int y)
{
	return x * y;
}
"""

COMPLETE = MISSING_PARAM.replace(' * @x: the first\n',
                                 ' * @x: the first\n * @y: the second\n')


class DeltaTest(ValidateTestCase):
    base_suite = kf.OLD_SUITE_ONE_FAILING

    def test_delta(self) -> None:
        kf.delta_series(self.dev)
        result, text = self.validate(self.format_patch())
        d = result.delta
        self.assertTrue(d.available, text)
        self.assertEqual(d.newly_failing, ['old.will_fail'])
        self.assertEqual(d.newly_passing, ['old.will_pass'])
        self.assertEqual(d.added, ['new.first', 'new.second'])
        self.assertEqual(d.removed, ['old.will_go'])
        self.assertIn('KUnit delta: 1 newly failing, 1 newly passing, 2 added, '
                      '1 removed', text)
        self.assertIn('  newly failing: old.will_fail', text)
        self.assertIn('not in the base tree: CONFIG_NEW_KUNIT_TEST=y', text)
        self.assertEqual(result.code, Exit.TESTS_FAILED)


class BaseSuitesTest(unittest.TestCase):
    """Which kept kunitconfig lines are suites the base can run: KUnit
    itself and the end-to-end options are not, so that a base without
    the series' suites is not built for nothing."""

    def test_kunit_itself_is_not_a_suite(self) -> None:
        self.assertEqual(kunitdelta.suites(['CONFIG_KUNIT=y']), [])

    def test_options_that_are_not_tests_are_not_suites(self) -> None:
        self.assertEqual(kunitdelta.suites(
            ['CONFIG_EXT2_FS=y', 'CONFIG_FAIL_MAKE_REQUEST=y',
             '# CONFIG_LIST_KUNIT_TEST is not set']), [])

    def test_test_and_kunit_options_are_suites(self) -> None:
        self.assertEqual(kunitdelta.suites(
            ['CONFIG_KUNIT=y', 'CONFIG_LIST_KUNIT_TEST=y',
             'CONFIG_EXT4_KUNIT_TESTS=y', 'CONFIG_FOO_KUNIT=y',
             'CONFIG_KUNIT_TEST=y']),
            ['CONFIG_LIST_KUNIT_TEST=y', 'CONFIG_EXT4_KUNIT_TESTS=y',
             'CONFIG_FOO_KUNIT=y', 'CONFIG_KUNIT_TEST=y'])


class FollowUpTest(ValidateTestCase):
    def test_onto_series(self) -> None:
        kf.good_series(self.dev)
        below = self.tmp / 'below'
        sh(self.dev, 'git', 'format-patch', '-q', '-o', str(below),
           'pcl-base..HEAD')
        sh(self.dev, 'git', 'tag', 'series-end')
        kf.commit(self.dev, {'src/p1.c': 'int p1(void)\n{\n\treturn 42;\n}\n'},
                  'mm: follow-up to p1')
        data = self.format_patch(rev='series-end..HEAD')
        result, text = self.validate(data)
        self.assertEqual(result.code, Exit.PATCH_FAILED, text)
        result, text = self.validate(data, onto=sorted(below.iterdir()))
        self.assertEqual(result.code, 0, text)
        self.assertEqual(len(result.steps), 1)
        # The base of the delta has the series: its suite is not "added".
        self.assertEqual(result.delta.added, [])


class FitTest(ValidateTestCase):
    """A series posted against the base that does not carry this
    project's suites (validate onto the base): KUnit runs the suites of
    the .kunitconfig directories it touches; the tool's default options
    the tree does not have are left out, at the tip as at the base."""

    def setUp(self) -> None:
        super().setUp()
        kf.add_dir_suite(self.base)
        shutil.rmtree(self.dev)
        sh(self.tmp, 'git', 'clone', '-q', str(self.base), str(self.dev))
        sh(self.dev, 'git', 'fetch', '-q', '--tags', '-f')
        self.kunitconfig.write_text('CONFIG_KUNIT=y\n'
                                    'CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y\n')

    def fit(self, data: bytes, **kw: object) -> tuple[model.Result, str]:
        return self.validate(data, select_suites=True,
                             scratch_name='linux-base',
                             default_kunitconfigs=[self.kunitconfig], **kw)

    def ext4_series(self) -> bytes:
        kf.commit(self.dev, {'fs/ext4/inode.c': '/* ext4 inode.c, fixed */\n'},
                  'ext4: fix a comment in inode.c')
        kf.commit(self.dev, {'fs/ext4/mballoc.c':
                             '/* CHECKPATCH_WARNING in mballoc.c */\n'},
                  'ext4: fix a comment in mballoc.c')
        return self.format_patch()

    def test_series_touching_a_directory_with_a_suite(self) -> None:
        result, text = self.fit(self.ext4_series())
        self.assertEqual(result.code, 0, text + self.log.getvalue())
        self.assertEqual(result.suites, [
            'fs/ext4/.kunitconfig (touched: fs/ext4/inode.c, '
            'fs/ext4/mballoc.c)'])
        self.assertIn('KUnit suites by touched directory:\n'
                      '  fs/ext4/.kunitconfig (touched: fs/ext4/inode.c, '
                      'fs/ext4/mballoc.c)', text)
        self.assertIn("Left out of the tool's default kunitconfig (the tree "
                      'at the tip does not\n  have them): '
                      'CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y', text)
        self.assertIn('  kunitconfigs: the defaults less what was left out',
                      text)
        self.assertIn('KUnit (UML) at the tip: 2 passed, 0 failed', text)
        assert result.kunit is not None
        self.assertEqual([c.full_name for c in result.kunit.cases],
                         ['ext4_fake.inode', 'ext4_fake.mballoc'])
        self.assertEqual(result.kunit.kunitconfigs[-1],
                         'fs/ext4/.kunitconfig')
        self.assertIn('KUnit (UML) at the base: 2 passed, 0 failed', text)
        self.assertIn('KUnit delta: 0 newly failing, 0 newly passing, 0 '
                      'added, 0 removed', text)
        self.assertIn('WARNING: suspicious marker (fs/ext4/mballoc.c:1)', text)
        self.assertIn('  2/2  ok     0/1/0             ok', text)
        self.assertIn('Build times: 1/2 ', text)
        self.assertIn('Result: PASS', text)
        self.assertTrue((self.tmp / 'build/validate/linux-base').is_dir())
        self.assertFalse((self.tmp / 'build/validate/linux').exists())

    def test_series_touching_no_suite(self) -> None:
        kf.commit(self.dev, {'src/a.c': 'int a(void)\n{\n\treturn 3;\n}\n'},
                  'mm: change a')
        kf.commit(self.dev, {'src/b.c': 'int b(void)\n{\n\treturn 4;\n}\n'},
                  'mm: change b')
        result, text = self.fit(self.format_patch())
        self.assertEqual(result.code, 0, text + self.log.getvalue())
        self.assertEqual(result.suites, [])
        self.assertIn('KUnit suites by touched directory: none', text)
        self.assertIn('KUnit (UML) at the tip: not run: no KUnit suite covers '
                      'the touched files', text)
        assert result.kunit is not None and result.kunit_base is not None
        self.assertFalse(result.kunit.ran or result.kunit_base.ran)
        # What was tested says so too, in the report and the reply.
        flat = ' '.join(text.split())
        self.assertIn('subject, a UML build at every patch, get_maintainer.pl',
                      flat)
        self.assertIn('a build at every patch, get_maintainer.pl', flat)
        self.assertNotIn('KUnit at the tip,', flat)
        self.assertEqual(result.kunit.left_out,
                         ['CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y'])
        self.assertIn('Result: PASS', text)

    def test_the_defaults_unfitted_are_a_named_verdict(self) -> None:
        """Without fitting (ONTO=series keeps it), kunit.py refuses the
        defaults' unknown option: named, exit 13, not a build failure."""
        result, text = self.validate(self.ext4_series())
        self.assertEqual(result.code, Exit.KUNITCONFIG, text)
        self.assertIn('Result: FAIL: kunitconfig options the tree at the tip '
                      'does not have: CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y', text)
        self.assertNotIn('does not build', text)
        self.assertEqual([s.builds for s in result.steps], ['yes', 'yes'])

    def test_an_option_of_the_users_kunitconfig_is_not_left_out(self) -> None:
        extra = self.tmp / 'extra.config'
        extra.write_text('CONFIG_MISSING_KUNIT_TEST=y\n')
        result, text = self.fit(self.ext4_series(),
                                kunitconfigs=[self.kunitconfig, extra])
        self.assertEqual(result.code, Exit.KUNITCONFIG, text)
        self.assertIn('does not have: CONFIG_MISSING_KUNIT_TEST=y', text)
        assert result.kunit is not None
        self.assertEqual(result.kunit.left_out,
                         ['CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y'])


if __name__ == '__main__':
    unittest.main()


class CommandLineTest(unittest.TestCase):
    def parse(self, *argv: str):  # type: ignore[no-untyped-def]
        from pcltools import cli
        args = cli.parser().parse_args(list(argv))
        return check_cli._options_after_mbox(args) \
            if args.command == 'validate' else args

    def test_options_before_or_after_the_mbox(self) -> None:
        for argv in (('validate', 'x.mbox', '-o', 'D', '--onto-series', '--',
                      '--raw_output'),
                     ('validate', '-o', 'D', '--onto-series', 'x.mbox', '--',
                      '--raw_output')):
            args = self.parse(*argv)
            self.assertEqual((args.mbox, args.output, args.onto_series),
                             ('x.mbox', 'D', True))
            self.assertIn('--raw_output', args.kunit_args)
        args = self.parse('validate', '-')
        self.assertEqual((args.mbox, args.kunit_args), ('-', []))
        args = self.parse('check', '--no-kunit', '--', '--raw_output')
        self.assertTrue(args.no_kunit)
        self.assertIn('--raw_output', args.kunit_args)


class ReportDetailsTest(unittest.TestCase):
    """A break that later patches inherit is shown once, then referred to."""

    @staticmethod
    def step(pos: int, builds: str, detail: str = '') -> model.StepResult:
        return model.StepResult(pos, 4, f'[PATCH {pos}/4] p{pos}',
                                   f'p{pos}', f'{pos:04}.patch',
                                   builds=builds, build_detail=detail)

    def test_inherited_build_error_refers_to_the_patch_that_broke(self) -> None:
        err = "1 error line(s):\nsrc/a.c:1: error: 'x' undeclared"
        result = model.Result('validate', 'x.mbox', total=4, steps=[
            self.step(1, 'yes'), self.step(2, 'no', err),
            self.step(3, 'no', err), self.step(4, 'no', 'other:\nsrc/b.c')])
        text = '\n'.join(report.details(result))
        self.assertEqual(text.count("'x' undeclared"), 1, text)
        self.assertIn('  3/4 p3\n    build failed: the same error(s) as 2/4',
                      text)
        self.assertIn('  4/4 p4\n    build failed: other:', text)
