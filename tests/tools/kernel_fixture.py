"""A tiny stand-in for a kernel tree, for the check/validate tests.

It has what the pipeline calls, in miniature and fast:
- Makefile: `olddefconfig` keeps the .config lines whose symbol a
  `Kconfig` file declares; `all` compiles src/*.c with gcc;
- scripts/checkpatch.pl: flags added lines with CHECKPATCH_ERROR or
  CHECKPATCH_WARNING, and Fixes: commit ids git cannot find, in
  checkpatch's output format;
- scripts/get_maintainer.pl: a maintainer and a list;
- scripts/kernel-doc: the real one (the base's, KERNEL_DOC);
- tools/testing/kunit/kunit.py: `run` configures and builds like the
  real one, then "boots" by printing the tree's tests.ktap (a line
  `Kernel panic` in it is a crash); `parse` reads KTAP into kunit.py's
  JSON.
Series are made with real `git format-patch` runs on clones of it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .helpers import DATA, sh

# The pinned base's scripts/kernel-doc (Linux 6.12.117, Debian
# linux-source-6.12), unchanged (perl, GPL-2.0): the tests run the real
# script without a kernel tree.
KERNEL_DOC = DATA / 'kernel-doc'
KERNEL_DOC_SHA256 = \
    'b8e3a09ff913cef73e2e43462d40e7087c4e713b828b735168b4135fd98f9e28'

MAKEFILE = r'''# Stand-in for the kernel's Makefile.
O ?= .
.PHONY: olddefconfig all compile_commands.json
olddefconfig:
	@awk 'FNR == NR { if ($$1 == "config") known["CONFIG_" $$2] = 1; next } \
	     { line = $$0; sub(/^# /, "", line); split(line, a, /[= ]/); \
	       if ((a[1] in known) && !(a[1] in seen)) { seen[a[1]] = 1; print $$0 } }' \
	     Kconfig $(O)/.config > $(O)/.config.new && mv $(O)/.config.new $(O)/.config
all:
	@for f in src/*.c; do echo "  CC $$f"; gcc -Wall -fsyntax-only $$f || exit 1; done
compile_commands.json:
	@true
'''

CHECKPATCH = r'''#!/usr/bin/perl
# Stand-in for checkpatch.pl: flags added lines with markers, and, as
# checkpatch.pl does in a git tree, a Fixes: commit id git cannot find
# (UNKNOWN_COMMIT_ID, unless --ignore names it).
my ($e, $w, $n, $file, $ln) = (0, 0, 0, '', 0);
my $look_up = join(' ', @ARGV[0 .. $#ARGV - 1]) !~ /UNKNOWN_COMMIT_ID/;
open(my $fh, '<', $ARGV[-1]) or die "cannot open $ARGV[-1]";
while (my $l = <$fh>) {
	$n++;
	if ($look_up && $l =~ /^Fixes: ([0-9a-f]{7,40})\b/ &&
	    system("git rev-parse -q --verify '$1^{commit}' >/dev/null 2>&1")) {
		$w++;
		print "WARNING:UNKNOWN_COMMIT_ID: Unknown commit id '$1', maybe rebased or not pulled?\n#$n: \n$l\n";
	}
	if ($l =~ /^\+\+\+ b\/(\S+)/) { $file = $1; next; }
	if ($l =~ /^@@ -\d+(?:,\d+)? \+(\d+)/) { $ln = $1 - 1; next; }
	if ($l =~ /^\+/) {
		$ln++;
		if ($l =~ /CHECKPATCH_ERROR/) {
			$e++;
			print "ERROR:FAKE_MARKER: forbidden marker\n#$n: FILE: $file:$ln:\n$l\n";
		}
		if ($l =~ /CHECKPATCH_WARNING/) {
			$w++;
			print "WARNING:FAKE_MARKER: suspicious marker\n#$n: FILE: $file:$ln:\n$l\n";
		}
	} elsif ($l =~ /^ /) {
		$ln++;
	}
}
print "total: $e errors, $w warnings, 0 checks, $n lines checked\n";
exit($e ? 1 : 0);
'''

GET_MAINTAINER = r'''#!/usr/bin/perl
print "Maint Ainer <maint\@example.org> (maintainer:FAKE SUBSYSTEM)\n";
print "Fs Maint <fs\@example.org> (maintainer:FILESYSTEMS (VFS and infrastructure))\n";
print "Re Viewer <rev\@example.org> (reviewer:FAKE SUBSYSTEM)\n";
print "fake-list\@example.org (open list:FAKE SUBSYSTEM)\n";
'''

KUNIT_PY = r'''#!/usr/bin/env python3
"""Stand-in for kunit.py: run (configure, build, boot) and parse."""
import json, os, re, subprocess, sys
from pathlib import Path

action = sys.argv[1]
opts, kunitconfigs, rest = {}, [], []
for a in sys.argv[2:]:
    if a.startswith('--kunitconfig='):
        kunitconfigs.append(a.split('=', 1)[1])
    elif a.startswith('--') and '=' in a:
        k, v = a[2:].split('=', 1)
        opts[k] = v
    else:
        rest.append(a)


def parse(text):
    root = {'name': 'KUnit Test Group', 'test_cases': [], 'sub_groups': []}
    suite, planned = None, 0
    for line in text.splitlines():
        m = re.match(r'^\s+# Subtest: (\S+)', line)
        if m:
            suite = {'name': m.group(1), 'test_cases': [], 'sub_groups': []}
            root['sub_groups'].append(suite)
            continue
        m = re.match(r'^\s+1\.\.(\d+)', line)
        if m and suite is not None:
            planned = int(m.group(1))
            continue
        m = re.match(r'^\s{4}(not )?ok \d+ (\S+)(.*)$', line)
        if m and suite is not None:
            status = 'SKIP' if '# SKIP' in m.group(3) else \
                'FAIL' if m.group(1) else 'PASS'
            suite['test_cases'].append({'name': m.group(2), 'status': status})
    if suite is not None and len(suite['test_cases']) < planned:
        suite['test_cases'].append({'name': 'unfinished', 'status': 'ERROR'})
    return root


if action == 'parse':
    Path(opts['json']).write_text(json.dumps(parse(Path(rest[-1]).read_text())))
    sys.exit(0)

build = Path(opts['build_dir'])
build.mkdir(parents=True, exist_ok=True)
print('[00:00:00] Configuring KUnit Kernel ...', flush=True)
wanted = []
for k in kunitconfigs:
    wanted += [l.strip() for l in Path(k).read_text().splitlines() if l.strip()]
arch = Path('tools/testing/kunit/configs/arch_uml.config').read_text()
(build / '.config').write_text(arch + '\n'.join(wanted) + '\n')
subprocess.run(['make', 'ARCH=um', f'O={build}', 'olddefconfig'], check=True)
have = (build / '.config').read_text().splitlines()
missing = [w for w in wanted if w not in have]
if missing:
    print('ERROR:root:Not all Kconfig options selected in kunitconfig were '
          'in the generated .config.\nThis is probably due to unsatisfied '
          'dependencies.\nMissing: ' + ', '.join(missing))
    sys.exit(1)
print('[00:00:01] Building KUnit Kernel ...', flush=True)
proc = subprocess.run(['make', 'all', 'ARCH=um', f'O={build}'],
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                      text=True)
if proc.returncode:
    print('ERROR:root:' + proc.stderr)
    sys.exit(1)
print('[00:00:02] Starting KUnit Kernel (1/1)...', flush=True)
text = Path('tests.ktap').read_text() if Path('tests.ktap').exists() else ''
enabled = [l[len('CONFIG_'):-len('=y')] for l in have if l.endswith('_TEST=y')]
shown = []
for block in text.split('\n\n'):
    m = re.search(r'# config: (\S+)', block)
    if m is None or m.group(1) in enabled:
        shown.append(block)
log = 'KTAP version 1\n' + '\n\n'.join(shown) + '\n'
(build / 'test.log').write_text(log)
print(log, flush=True)
sys.exit(1 if 'not ok' in log or 'Kernel panic' in log else 0)
'''

KCONFIG = 'config KUNIT\nconfig UML_FAKE\nconfig OLD_KUNIT_TEST\n'

# The base's suite (all passing), and one with a failing case.
OLD_SUITE = '''    # config: OLD_KUNIT_TEST
    # Subtest: old
    1..4
    ok 1 stays_passing
    ok 2 will_fail
    ok 3 will_pass
    ok 4 will_go
'''
OLD_SUITE_ONE_FAILING = OLD_SUITE.replace('ok 3 will_pass',
                                          'not ok 3 will_pass')


def write_exec(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP |
               stat.S_IXOTH)


def make_base(path: Path, suite: str = OLD_SUITE) -> Path:
    """The fake kernel at its base commit, tagged pcl-base."""
    path.mkdir(parents=True)
    (path / 'Makefile').write_text(MAKEFILE)
    (path / 'Kconfig').write_text(KCONFIG)
    write_exec(path / 'scripts/checkpatch.pl', CHECKPATCH)
    write_exec(path / 'scripts/get_maintainer.pl', GET_MAINTAINER)
    write_exec(path / 'scripts/kernel-doc', KERNEL_DOC.read_text())
    write_exec(path / 'tools/testing/kunit/kunit.py', KUNIT_PY)
    (path / 'tools/testing/kunit/configs').mkdir(parents=True)
    (path / 'tools/testing/kunit/configs/arch_uml.config').write_text(
        'CONFIG_UML_FAKE=y\n')
    (path / 'src').mkdir()
    (path / 'src/a.c').write_text('int a(void)\n{\n\treturn 1;\n}\n')
    (path / 'src/b.c').write_text('int b(void)\n{\n\treturn 2;\n}\n')
    (path / 'tests.ktap').write_text(suite)
    sh(path, 'git', 'init', '-q', '-b', 'main')
    sh(path, 'git', 'add', '-A')
    sh(path, 'git', 'commit', '-q', '-m', 'base')
    sh(path, 'git', 'tag', 'pcl-base')
    return path


def commit(repo: Path, files: dict[str, str], subject: str,
           body: str = 'Explain why.') -> None:
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        sh(repo, 'git', 'add', rel)
    sh(repo, 'git', 'commit', '-q', '-m',
       f'{subject}\n\n{body}\n\nSigned-off-by: Test Author <a@example.org>')


NEW_SUITE = '''    # config: NEW_KUNIT_TEST
    # Subtest: new
    1..2
    ok 1 first
    ok 2 second
'''


def good_series(dev: Path, n: int = 3) -> None:
    """n patches: new C files; the last one adds a KUnit suite and the
    Kconfig symbol that enables it."""
    for i in range(1, n):
        commit(dev, {f'src/p{i}.c': f'int p{i}(void)\n{{\n\treturn {i};\n}}\n'},
               f'mm: add p{i}')
    old = (dev / 'tests.ktap').read_text()
    commit(dev, {'Kconfig': KCONFIG + 'config NEW_KUNIT_TEST\n',
                 'tests.ktap': old + '\n' + NEW_SUITE},
           'mm: add the new suite')


def delta_series(dev: Path) -> None:
    """On a base with OLD_SUITE_ONE_FAILING: will_fail fails, will_pass
    passes, will_go goes, the new suite comes."""
    old = OLD_SUITE.replace('ok 2 will_fail', 'not ok 2 will_fail') \
        .replace('    ok 4 will_go\n', '').replace('1..4', '1..3')
    commit(dev, {'Kconfig': KCONFIG + 'config NEW_KUNIT_TEST\n',
                 'tests.ktap': old + '\n' + NEW_SUITE},
           'mm: change the suites')


# A directory suite, as the kernel keeps them: fs/ext4/.kunitconfig.
DIR_KUNITCONFIG = 'CONFIG_KUNIT=y\nCONFIG_EXT4_FAKE_KUNIT_TEST=y\n'
DIR_SUITE = '''    # config: EXT4_FAKE_KUNIT_TEST
    # Subtest: ext4_fake
    1..2
    ok 1 inode
    ok 2 mballoc
'''


def add_dir_suite(base: Path) -> None:
    """fs/ext4 with its .kunitconfig and suite, in the base commit (moves
    the pcl-base tag)."""
    (base / 'fs/ext4').mkdir(parents=True)
    (base / 'fs/ext4/.kunitconfig').write_text(DIR_KUNITCONFIG)
    for name in ('inode.c', 'mballoc.c'):
        (base / 'fs/ext4' / name).write_text(f'/* ext4 {name} */\n')
    with open(base / 'Kconfig', 'a') as f:
        f.write('config EXT4_FAKE_KUNIT_TEST\n')
    with open(base / 'tests.ktap', 'a') as f:
        f.write('\n' + DIR_SUITE)
    sh(base, 'git', 'add', '-A')
    sh(base, 'git', 'commit', '-q', '--amend', '-m', 'base')
    sh(base, 'git', 'tag', '-f', 'pcl-base')


def kunitconfig(path: Path, new_suite: bool = True) -> Path:
    path.write_text('CONFIG_KUNIT=y\nCONFIG_OLD_KUNIT_TEST=y\n' +
                    ('CONFIG_NEW_KUNIT_TEST=y\n' if new_suite else ''))
    return path
