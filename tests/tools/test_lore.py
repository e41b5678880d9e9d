"""A series named by its Message-Id or lore URL: fetched with `b4 am`
(a stand-in b4 on PATH serves a thread from a directory, or fails as b4
does offline); without b4 or offline, a usage error that says to pass
the mbox file. And the bad input of --kcidb, --kcidb-origin and
--patchwork, refused before anything runs."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import textwrap
from unittest import mock

from . import kernel_fixture as kf
from .helpers import DATA, TmpTestCase, run_pcl
from .test_validate import ValidateTestCase
from pcltools import lore, mbox
from pcltools.check import cli as check_cli
from pcltools.check import verdict
from pcltools.errors import Exit, PclError

# `b4 am -o DIR -n NAME MSGID`: the thread of MSGID from $FAKE_LORE/MSGID
# (NAME.cover: the 0/N message, NAME.mbx: the patches), or b4's failure;
# `b4 am -m MBOX ...` (the intake's) goes to a real b4 or the stand-in.
FAKE_B4 = textwrap.dedent('''\
    #!/usr/bin/env python3
    import mailbox, os, shutil, sys
    args = sys.argv[1:]
    with open(os.environ['FAKE_B4_LOG'], 'a') as f:
        f.write(' '.join(args) + '\\n')
    if '-m' in args or args[:1] != ['am']:     # a local mbox, b4 prep
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.pathsep.join(p for p in os.environ['PATH'].split(os.pathsep)
                               if os.path.abspath(p) != here)
        real = shutil.which('b4', path=path) or os.environ['FAKE_B4_STANDIN']
        os.execv(real, [real, *args])
    if os.environ.get('FAKE_LORE_OFFLINE'):
        print('Grabbing thread from lore.kernel.org/all/' + args[-1])
        print('Unable to reach lore.kernel.org: Name or service not known')
        sys.exit(1)
    out, name, msgid = args[args.index('-o') + 1], args[args.index('-n') + 1], \\
        args[-1]
    thread = os.path.join(os.environ['FAKE_LORE'], msgid)
    if not os.path.exists(thread):
        print('Looking up https://lore.kernel.org/all/' + msgid)
        print('That message-id is not known.')
        sys.exit(1)
    cover = mailbox.mbox(os.path.join(out, name + '.cover'))
    patches = mailbox.mbox(os.path.join(out, name + '.mbx'))
    for msg in mailbox.mbox(thread, create=False):
        (cover if ' 0/' in str(msg['Subject']) else patches).add(msg)
    cover.flush(); patches.flush()
    print('Writing', os.path.join(out, name + '.mbx'))
''')


class FakeLore:
    """The stand-in b4 first on PATH, and its lore: a directory of
    threads by Message-Id."""

    def __init__(self, case: TmpTestCase) -> None:
        self.bin = case.tmp / 'fakelore-bin'
        self.bin.mkdir()
        (self.bin / 'b4').write_text(FAKE_B4)
        (self.bin / 'b4').chmod(0o755)
        self.lore = case.tmp / 'lore'
        self.lore.mkdir()
        self.log = case.tmp / 'b4.log'
        self.env = {'PATH': f'{self.bin}{os.pathsep}{os.environ["PATH"]}',
                    'FAKE_LORE': str(self.lore), 'FAKE_B4_LOG': str(self.log),
                    'FAKE_B4_STANDIN': str(DATA / 'fakebin/b4')}
        patcher = mock.patch.dict(os.environ, self.env)
        patcher.start()
        case.addCleanup(patcher.stop)

    def publish(self, msgid: str, thread: bytes) -> None:
        (self.lore / msgid).write_bytes(thread)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


class MessageIdTest(TmpTestCase):
    def test_what_names_a_message(self) -> None:
        for source, msgid in (
                ('20260102.1-1-a@example.org', '20260102.1-1-a@example.org'),
                ('<20260102.1-1-a@example.org>', '20260102.1-1-a@example.org'),
                ('https://lore.kernel.org/r/x.1@example.org',
                 'x.1@example.org'),
                ('https://lore.kernel.org/linux-mm/x.1@example.org/T/#t',
                 'x.1@example.org'),
                ('https://patch.msgid.link/x.1%40example.org',
                 'x.1@example.org'),
                ('series.mbox', None), ('-', None), ('dir/a@b', None)):
            self.assertEqual(lore.message_id(source), msgid, source)
        existing = self.tmp / 'a@b'
        existing.write_text('')
        self.assertIsNone(lore.message_id(str(existing)))   # a file first

    def test_fetched_with_b4_am(self) -> None:
        fake = FakeLore(self)
        thread = (b'From x Thu Jan  1 00:00:00 1970\nSubject: [PATCH 0/1] c\n'
                  b'Message-Id: <c@example.org>\n\ncover\n\n'
                  b'From x Thu Jan  1 00:00:00 1970\nSubject: [PATCH 1/1] p\n'
                  b'Message-Id: <p@example.org>\n\ndiff\n')
        fake.publish('c@example.org', thread)
        path = mbox.read_input('https://lore.kernel.org/r/c@example.org',
                               self.tmp / 'work')
        data = path.read_bytes()
        self.assertLess(data.index(b'[PATCH 0/1]'), data.index(b'[PATCH 1/1]'))
        [call] = fake.calls()
        self.assertTrue(call.startswith('am --no-cache -o '), call)
        self.assertTrue(call.endswith(' c@example.org'), call)

    def assertUsage(self, source: str, *expected: str) -> None:
        with self.assertRaises(PclError) as cm:
            mbox.read_input(source, self.tmp / 'work')
        self.assertEqual(cm.exception.code, Exit.USAGE)
        for e in expected + ('pass the mbox file',):
            self.assertIn(e, cm.exception.message)

    def test_unknown_message_id(self) -> None:
        FakeLore(self)
        self.assertUsage('nope@example.org', 'b4 am could not fetch',
                         'That message-id is not known')

    def test_offline(self) -> None:
        fake = FakeLore(self)
        fake.publish('c@example.org', b'')
        with mock.patch.dict(os.environ, {'FAKE_LORE_OFFLINE': '1'}):
            self.assertUsage('<c@example.org>', 'Unable to reach',
                             'offline?')

    def test_without_b4(self) -> None:
        with mock.patch.object(lore.shutil, 'which', return_value=None):
            self.assertUsage('c@example.org', 'b4 is not installed')


class FetchedSeriesTest(ValidateTestCase):
    """The whole pipeline on a series fetched by its Message-Id."""

    def test_validate_a_message_id(self) -> None:
        fake = FakeLore(self)
        kf.good_series(self.dev)
        thread = self.format_patch('--thread', '--cover-letter')
        msgids = [l.split(b':', 1)[1].strip(b' <>').decode()
                  for l in thread.splitlines()
                  if l.lower().startswith(b'message-id:')]
        fake.publish(msgids[0], thread)
        with contextlib.redirect_stdout(io.StringIO()):
            result = check_cli.validate_mbox(
                f'https://lore.kernel.org/r/{msgids[0]}', self.out,
                lambda o: self.context(o), [], work_parent=self.tmp / 'work')
        verdict.verdict(result)
        self.assertEqual(result.code, 0, self.log.getvalue())
        self.assertEqual(len(result.steps), 3)
        self.assertEqual(result.method, 'b4 am', result.notes)
        self.assertEqual(result.cover_msgid, msgids[0])
        self.assertEqual([s.msgid for s in result.steps], msgids[1:])
        self.assertEqual(fake.calls()[0].split()[-1], msgids[0])


class CommandLineTest(TmpTestCase):
    """Bad input through tools/pcl: a one-line error and exit status 2,
    no traceback, before any work (no report directory made)."""

    def pcl(self, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        return run_pcl(*args, env=env)

    def assertRefused(self, proc: subprocess.CompletedProcess[str],
                      *expected: str) -> None:
        self.assertEqual(proc.returncode, Exit.USAGE, proc.stderr)
        self.assertNotIn('Traceback', proc.stderr + proc.stdout)
        for e in expected:
            self.assertIn(e, proc.stderr)
        self.assertFalse((self.tmp / 'out').exists())

    def test_bad_origin(self) -> None:
        mbox_file = self.tmp / 'x.mbox'
        mbox_file.write_text('')
        for origin in ('Bad-Origin', 'a:b', ''):
            self.assertRefused(self.pcl('validate', str(mbox_file), '-o',
                                        str(self.tmp / 'out'),
                                        '--kcidb-origin', origin),
                               '--kcidb-origin', '[a-z0-9_]+')
        self.assertRefused(self.pcl('check', '-o', str(self.tmp / 'out'),
                                    '--kcidb-origin=UPPER'), '--kcidb-origin')

    def test_unwritable_outputs(self) -> None:
        out = str(self.tmp / 'out')
        self.assertRefused(self.pcl('validate', 'x.mbox', '-o', out,
                                    '--kcidb', str(self.tmp / 'no/k.json')),
                           '--kcidb', 'no such directory')
        self.assertRefused(self.pcl('check', '-o', out, '--patchwork',
                                    str(self.tmp)), '--patchwork',
                           'a directory')
        self.assertRefused(self.pcl('validate', 'x.mbox', '-o', out,
                                    '--junit', str(self.tmp / 'no/j.xml')),
                           '--junit')

    def test_message_id_offline(self) -> None:
        fake = FakeLore(self)
        proc = self.pcl('validate', 'c@example.org', '-o',
                        str(self.tmp / 'report'),
                        env={**fake.env, 'FAKE_LORE_OFFLINE': '1'})
        self.assertEqual(proc.returncode, Exit.USAGE, proc.stderr)
        self.assertNotIn('Traceback', proc.stderr + proc.stdout)
        self.assertIn('pass the mbox file', proc.stderr)
        self.assertFalse((self.tmp / 'report/report.txt').exists())
