"""The verdict of a check: an exit code and the reasons, most serious
first."""

from __future__ import annotations

from ..errors import Exit
from .model import BOT_CHECKS, Applies, Builds, Result, StepResult


def verdict(result: Result) -> None:
    """Set result.code and result.verdict from what went wrong, most
    serious first: bad input 2, a patch that does not apply 6, a build
    failure 7, a kunitconfig option the tip does not have 13 (the tool's
    own defaults' are left out before, never this), a kernel crash 8,
    checkpatch errors, Fixes: tag or subject errors, b4 prep not giving
    the series back, a check that did not run, or failing KUnit cases 1, no case ran 11, unexpected kernel
    reports 10. Warnings (checkpatch's, the compiler's, the kernel-doc
    and rst warnings a patch introduces) and checks are reported, not
    failed."""
    why: list[tuple[Exit, str]] = []
    if result.problems:
        why.append((Exit.USAGE, result.problems[0]))

    def labels(what: str, steps: list[StepResult]) -> str:
        names = [s.label for s in steps]
        verb = {'apply': ('does not apply', 'do not apply'),
                'build': ('does not build', 'do not build')}[what]
        return f'{", ".join(names)} {verb[len(names) > 1]}'

    no_apply = [s for s in result.steps if s.applies == Applies.NO]
    if no_apply:
        why.append((Exit.PATCH_FAILED, labels('apply', no_apply)))
    no_build = [s for s in result.steps if s.builds == Builds.NO]
    if no_build:
        why.append((Exit.BUILD_FAILED, labels('build', no_build)))
    k = result.kunit
    if k and k.ran:
        if k.code == Exit.BUILD_FAILED and k.config_problem:
            why.append((Exit.KUNITCONFIG, 'kunitconfig options the tree at '
                        f'the tip does not have: {k.config_problem}'))
        elif k.code == Exit.BUILD_FAILED:
            why.append((Exit.BUILD_FAILED, 'the KUnit kernel does not build'))
        elif k.code == Exit.KERNEL_CRASHED:
            why.append((Exit.KERNEL_CRASHED, 'the kernel crashed during KUnit'))
    cp_errors = [s.label for s in result.steps if s.checkpatch.errors]
    if cp_errors:
        why.append((Exit.TESTS_FAILED,
                    f'checkpatch errors in {", ".join(cp_errors)}'))
    cp_broken = [s.label for s in result.steps if s.checkpatch.problem]
    if cp_broken:
        why.append((Exit.TESTS_FAILED,
                    f'checkpatch did not run on {", ".join(cp_broken)}'))
    for i, (_, words) in enumerate(BOT_CHECKS):
        checks = [(s.label, s.bot_checks()[i][2]) for s in result.steps]
        erring = [label for label, c in checks if c.errors]
        if erring:
            what = words.removesuffix('s')      # 'Fixes: tag errors'
            why.append((Exit.TESTS_FAILED,
                        f'{what} errors in {", ".join(erring)}'))
        broken = [label for label, c in checks if c.problem]
        if broken:
            why.append((Exit.TESTS_FAILED,
                        f'{words} did not run on {", ".join(broken)}'))
    if result.b4.errors:
        why.append((Exit.TESTS_FAILED, 'b4 prep does not give the series '
                    'back'))
    elif result.b4.problem:
        why.append((Exit.TESTS_FAILED, 'b4 prep did not run'))
    if k and k.ran:
        if k.code == Exit.TESTS_FAILED:
            why.append((Exit.TESTS_FAILED, 'KUnit cases fail at the tip'))
        elif k.code == Exit.NO_TESTS:
            why.append((Exit.NO_TESTS, 'no KUnit case ran at the tip'))
        elif k.code == Exit.KERNEL_REPORTS:
            why.append((Exit.KERNEL_REPORTS, 'unexpected kernel reports'))
        elif k.code not in (Exit.OK, Exit.BUILD_FAILED,
                            Exit.KERNEL_CRASHED):
            why.append((Exit(k.code), k.message.splitlines()[0]
                        if k.message else 'KUnit failed'))
    if result.delta.newly_failing and not any(c == Exit.TESTS_FAILED
                                              for c, _ in why):
        why.append((Exit.TESTS_FAILED, 'KUnit cases newly failing'))
    order = [Exit.USAGE, Exit.PATCH_FAILED, Exit.BUILD_FAILED,
             Exit.KUNITCONFIG, Exit.KERNEL_CRASHED, Exit.TESTS_FAILED, Exit.NO_TESTS,
             Exit.KERNEL_REPORTS]
    why.sort(key=lambda w: order.index(w[0]) if w[0] in order else 99)
    if result.fatal:                # the pipeline stopped early
        why.insert(0, (Exit(result.fatal_code), result.fatal))
    if why:
        result.code = int(why[0][0])
        result.verdict = 'FAIL: ' + '; '.join(dict.fromkeys(w for _, w in why))
    else:
        result.code = 0
        result.verdict = 'PASS'
