#!/usr/bin/env python3
"""Stands in for tools/testing/kunit/kunit.py in the tool tests.

FAKE_KUNIT_MODE: pass, fail, crash, build-error or config-error.
"""
import json
import os
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent
mode = os.environ.get('FAKE_KUNIT_MODE', 'pass')
action = sys.argv[1]
opts = dict(a[2:].split('=', 1) for a in sys.argv[2:]
            if a.startswith('--') and '=' in a)

if action == 'parse':
    log = Path(sys.argv[-1]).read_text()
    if 'Kernel panic' in log:
        cases = [{'name': 'add_add_shared', 'status': 'PASS'},
                 {'name': 'block_excludes_add', 'status': 'ERROR'}]
    elif 'not ok 2' in log:
        cases = [{'name': 'add_add_shared', 'status': 'PASS'},
                 {'name': 'block_excludes_add', 'status': 'FAIL'}]
    else:
        cases = [{'name': 'add_add_shared', 'status': 'PASS'},
                 {'name': 'block_excludes_add', 'status': 'PASS'},
                 {'name': 'needs_smp', 'status': 'SKIP'}]
    Path(opts['json']).write_text(json.dumps({
        'name': 'KUnit Test Group', 'test_cases': [],
        'sub_groups': [{'name': 'pagecache_lock', 'sub_groups': [],
                        'test_cases': cases}]}))
    sys.exit(0)

build = Path(opts['build_dir'])
build.mkdir(parents=True, exist_ok=True)
print('[00:00:00] Configuring KUnit Kernel ...', flush=True)
if mode == 'config-error':
    print('ERROR:root:Not all Kconfig options selected in kunitconfig were '
          'in the generated .config.\nThis is probably due to unsatisfied '
          'dependencies.\nMissing: CONFIG_PAGECACHE_LOCK_KUNIT_TEST=y\n')
    sys.exit(1)
print('[00:00:01] Building KUnit Kernel ...', flush=True)
if mode == 'build-error':
    print('ERROR:root:' + ''.join(
        f'fs/file{i}.c:1:1: warning: noise [-Wnoise]\n' for i in range(3000))
        + (DATA / 'build-error.log').read_text())
    sys.exit(1)
print('[00:00:02] Starting KUnit Kernel (1/1)...', flush=True)
log = {'pass': 'passing.log', 'crash': 'crash.log',
       'fail': 'passing.log'}[mode]
text = (DATA / log).read_text()
if mode == 'fail':
    text = text.replace('ok 2 block', 'not ok 2 block')
(build / 'test.log').write_text(text)
print(text, flush=True)
sys.exit(0 if mode == 'pass' else 1)
