"""check/rst.py: the reStructuredText warnings a patch introduces, with
docutils' parser (check/rstparse.py) in a tiny git repository: a title
underline too short, an unknown directive, a warning the parent already
had, the directives and roles of Sphinx and the kernel's extensions,
the cache, docutils missing."""

from __future__ import annotations

import subprocess
import sys
from unittest import mock

from . import results
from .helpers import RepoTestCase, TmpTestCase, sh
from pcltools.check import model, report, rst, verdict

GOOD = '''==========
Page cache
==========

The lock
========

Text with *emphasis* and ``literal``.
'''

# The parent's own warning: an inline literal left open.
OLD_WARNING = '''
Older text with ``an open literal.
'''

SHORT_UNDERLINE = '''
A section whose title is long
=====
'''

UNKNOWN_DIRECTIVE = '''
.. frobnicate:: this

   is not a directive
'''

# What Sphinx and Documentation/sphinx/ add, as the kernel's documents
# use them: none of it is a warning in `make htmldocs`.
KERNEL_MARKUP = '''.. SPDX-License-Identifier: GPL-2.0

.. include:: <isonum.txt>

==========
Page cache
==========

:Author: - A Name <a@example.org>

.. kernel-doc:: include/linux/pagecache_lock.h
   :identifiers: pagecache_add_get pagecache_block_get

.. c:function:: void pagecache_add_get(struct address_space *mapping)

   Take the lock in add mode; see :c:func:`pagecache_block_get` and
   :ref:`the fault path <pcl_fault>`, :doc:`vfs`.

.. only:: subproject and html

   Indices
   =======

.. toctree::
   :maxdepth: 1

   vfs
   locking

.. code-block:: c

   pagecache_add_get(mapping);

.. math::
   :nowrap:

   \\begin{equation} x \\end{equation}

Functions
=========

.. kernel-doc:: mm/filemap.c

----

.. csv-table:: The modes
   :file: modes.csv

Copyright |copy| the authors.
'''


class RstTest(RepoTestCase):
    def setUp(self) -> None:
        super().setUp()
        if rst.interpreter() is None:
            self.fail('docutils is missing: `tools/pcl deps --check` '
                      f'installs {rst.PACKAGE}')
        self.write('Documentation/mm/pcl.rst', GOOD + OLD_WARNING)
        self.write('README', 'a tree\n')
        self.commit('base')
        self.ctx = model.Context(source=self.repo, base_ref='main',
                                 base_desc='a tree', state=self.tmp / 'state',
                                 kunitconfigs=[])
        self.log = self.tmp / 'report/rst/0001.txt'

    def run_check(self, commit: str) -> model.Check:
        return rst.run(self.ctx, self.repo, commit, self.log)

    def test_a_short_underline_is_a_new_warning(self) -> None:
        self.write('Documentation/mm/pcl.rst',
                   GOOD + OLD_WARNING + SHORT_UNDERLINE)
        check = self.run_check(self.commit('docs: a section'))
        self.assertTrue(check.ran, check.problem)
        self.assertEqual(check.outcome, 'warn')
        self.assertEqual([(f.level, f.message, f.where)
                          for f in check.findings],
                         [('WARNING', 'Title underline too short.',
                           'Documentation/mm/pcl.rst:13')])
        # The open literal was there before: counted, not new.
        self.assertEqual((check.before, check.now), (1, 2))
        self.assertEqual(check.checked, 'Documentation/mm/pcl.rst')
        log = self.log.read_text()
        self.assertIn('check/rstparse.py', log)
        self.assertIn('== Documentation/mm/pcl.rst at the parent', log)
        self.assertIn('Inline literal start-string without end-string.', log)

    def test_the_new_warning_is_named_not_the_one_that_moved(self) -> None:
        old = GOOD + '''
Old section
=====
'''
        self.write('Documentation/mm/pcl.rst', old)
        self.commit('docs: an old short underline')
        self.write('Documentation/mm/pcl.rst', GOOD + '''
New section
======
''' + old[len(GOOD):])
        check = self.run_check(self.commit('docs: a section above it'))
        self.assertEqual([(f.message, f.where) for f in check.findings],
                         [('Title underline too short.',
                           'Documentation/mm/pcl.rst:11')])
        self.assertEqual((check.before, check.now), (1, 2))

    def test_an_unknown_directive_is_an_error(self) -> None:
        self.write('Documentation/mm/new.rst', GOOD + UNKNOWN_DIRECTIVE)
        check = self.run_check(self.commit('docs: new.rst'))
        self.assertEqual(check.outcome, 'warn')
        self.assertEqual(len(check.findings), 1, check.findings)
        self.assertEqual(check.findings[0].message,
                         'ERROR: Unknown directive type "frobnicate".')
        self.assertEqual(check.findings[0].where,
                         'Documentation/mm/new.rst:10')
        self.assertEqual((check.before, check.now), (0, 1))

    def test_an_unknown_target_is_an_error(self) -> None:
        self.write('Documentation/mm/pcl.rst', GOOD + OLD_WARNING +
                   '\nSee `the fault path`_.\n')
        check = self.run_check(self.commit('docs: a reference'))
        self.assertEqual([f.message for f in check.findings],
                         ['ERROR: Unknown target name: "the fault path".'])

    def test_the_kernels_markup_is_not_a_warning(self) -> None:
        self.write('Documentation/mm/pcl.rst', KERNEL_MARKUP)
        check = self.run_check(self.commit('docs: the kernel markup'))
        self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertEqual((check.before, check.now), (1, 0))

    def test_a_warning_inside_a_c_function_counts(self) -> None:
        self.write('Documentation/mm/pcl.rst', GOOD + '''
.. c:function:: void f(void)

   Text with **bold left open.
''')
        check = self.run_check(self.commit('docs: f'))
        self.assertEqual([f.message for f in check.findings],
                         ['Inline strong start-string without '
                          'end-string.'])

    def test_a_renamed_document_keeps_its_warnings(self) -> None:
        sh(self.repo, 'git', 'mv', 'Documentation/mm/pcl.rst',
           'Documentation/mm/pagecache-lock.rst')
        check = self.run_check(self.commit('docs: rename'))
        self.assertEqual(check.outcome, 'pass', check.findings)
        self.assertEqual((check.before, check.now), (1, 1))

    def test_no_rst_file(self) -> None:
        self.write('README', 'changed\n')
        check = self.run_check(self.commit('README: change'))
        self.assertEqual(check.outcome, 'pass')
        self.assertEqual(check.checked, 'no .rst file touched')

    def test_cached_by_parser_and_contents(self) -> None:
        self.write('Documentation/mm/pcl.rst', GOOD + SHORT_UNDERLINE)
        commit = self.commit('docs: a section')
        first = self.run_check(commit)
        self.assertFalse(first.cached)
        rst.interpreter.cache_clear()       # asked again, and seen
        with mock.patch.object(rst.subprocess, 'run',
                               wraps=subprocess.run) as spy:
            second = self.run_check(commit)
        self.assertTrue(second.cached)
        self.assertEqual(second.findings, first.findings)
        # The parser asked for its version only: no document parsed.
        parses = [c.args[0] for c in spy.call_args_list
                  if str(rst.PARSER) in c.args[0]]
        self.assertTrue(parses, spy.call_args_list)
        self.assertTrue(all(args[-1] == '--version' for args in parses),
                        parses)
        self.ctx.cache = False
        third = self.run_check(commit)
        self.assertFalse(third.cached)
        self.assertEqual(third.findings, first.findings)

    def test_without_docutils(self) -> None:
        self.write('Documentation/mm/pcl.rst', GOOD + SHORT_UNDERLINE)
        commit = self.commit('docs: a section')
        with mock.patch.object(rst, 'interpreter', return_value=None):
            check = self.run_check(commit)
        self.assertEqual(check.outcome, 'broken')
        self.assertIn('docutils is not installed (Debian package '
                      'python3-docutils', check.problem)

    def test_without_docutils_and_no_rst_file(self) -> None:
        self.write('README', 'changed\n')
        commit = self.commit('README: change')
        with mock.patch.object(rst, 'interpreter', return_value=None):
            check = self.run_check(commit)
        self.assertEqual(check.outcome, 'pass')

    def test_a_parser_that_fails_is_a_problem(self) -> None:
        self.write('Documentation/mm/pcl.rst', GOOD + SHORT_UNDERLINE)
        commit = self.commit('docs: a section')
        found = rst.interpreter()
        fake = self.tmp / 'fail.py'
        fake.write_text('import sys\nsys.exit("rstparse: broken")\n')
        with mock.patch.object(rst, 'interpreter', return_value=found), \
                mock.patch.object(rst, 'PARSER', fake):
            check = self.run_check(commit)
        self.assertEqual(check.outcome, 'broken')
        self.assertIn('the rst parser failed on Documentation/mm/pcl.rst: '
                      'rstparse: broken', check.problem)


class ParserTest(TmpTestCase):
    def test_without_docutils_it_says_so(self) -> None:
        # -S: no site-packages, where docutils is.
        proc = subprocess.run([sys.executable, '-S', str(rst.PARSER),
                               'x.rst'], input='', text=True,
                              capture_output=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn('docutils is not installed', proc.stderr)

    def parse(self, data: bytes) -> str:
        found = rst.interpreter()
        assert found is not None
        proc = subprocess.run([found[0], str(rst.PARSER), 'x.rst'],
                              input=data, capture_output=True,
                              env={'LC_ALL': 'C', 'PATH': '/usr/bin:/bin'})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout.decode()

    def test_a_byte_order_mark_is_not_text(self) -> None:
        self.assertEqual(self.parse(b'\xef\xbb\xbfTitle\n=====\n'), '')

    def test_bytes_that_are_not_utf8_are_a_warning(self) -> None:
        self.assertEqual(self.parse(b'Title\n=====\n\ncaf\xe9\n'),
                         'x.rst:4: WARNING: undecodable source characters, '
                         'replacing with "?"\n')

    def test_messages_quoting_utf8_text_in_any_locale(self) -> None:
        self.assertEqual(self.parse('See `café`_.\n'.encode()),
                         'x.rst:1: ERROR: Unknown target name: "café".\n')

    def test_usage(self) -> None:
        proc = subprocess.run([sys.executable, str(rst.PARSER)], text=True,
                              capture_output=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn('usage: rstparse.py NAME < FILE', proc.stderr)


class ParseTest(TmpTestCase):
    def test_levels(self) -> None:
        text = ('a.rst:3: WARNING: Title underline too short.\n'
                'a.rst:9: ERROR: Unknown directive type "x".\n'
                'a.rst:12: SEVERE: Missing matching underline.\n'
                'not a message\n')
        found = rst.parse(text)
        self.assertEqual([(w.path, w.line, w.level, w.message)
                          for w in found],
                         [('a.rst', 3, 'WARNING',
                           'Title underline too short.'),
                          ('a.rst', 9, 'WARNING',
                           'ERROR: Unknown directive type "x".'),
                          ('a.rst', 12, 'WARNING',
                           'SEVERE: Missing matching underline.')])


class VerdictTest(TmpTestCase):
    """New rst warnings are reported, not failed (as kernel-doc's); an
    rst check that did not run fails."""

    def test_warnings_pass(self) -> None:
        result = results.warnings_series()
        check = result.steps[1].rst
        check.add('WARNING', 'Title underline too short.',
                  'Documentation/mm/pcl.rst:14')
        check.now = 1
        verdict.verdict(result)
        self.assertEqual((result.code, result.verdict), (0, 'PASS'))
        case = next(c for c in report.counts(result)['validate'].cases
                    if c.name == '02/3 p2: rst')
        self.assertEqual(case.status, 'PASS')
        self.assertIn('Title underline too short. '
                      '(Documentation/mm/pcl.rst:14)', case.message)
        self.assertIn('warn   ok    warn  ok', report.text(result))

    def test_not_run_fails(self) -> None:
        result = results.warnings_series()
        result.steps[0].rst = model.Check(
            problem='docutils is not installed (Debian package '
            'python3-docutils)')
        verdict.verdict(result)
        self.assertEqual(result.code, 1)
        self.assertEqual(result.verdict,
                         'FAIL: rst syntax did not run on 1/3')
        self.assertIn('1/3  ok     0/0/0             ok     ok    err',
                      report.text(result))
