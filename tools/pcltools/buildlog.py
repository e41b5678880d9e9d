"""The first errors of a failed kernel build, with a little context."""

from __future__ import annotations

import re

_ERROR = re.compile(r'(^\S+:\d+(:\d+)?: (fatal )?error: )|'
                    r'(undefined reference to )|'
                    r'(^\S*ld(\.\w+)?: .*(multiple definition|cannot find))|'
                    r'(^ERROR: modpost: )|(^fixdep: error )|'
                    r'(No rule to make target)')
_LOCATION = re.compile(r'^\S+:\d+(:\d+)?: (warning|error|note|fatal error):')
_CONTEXT_BEFORE = re.compile(r'(In function|In file included from|'
                             r'^\s+from |At top level)')


def first_errors(text: str, max_errors: int = 3, after: int = 4) -> str:
    """Return the first compiler/linker errors in text with context:
    the 'In function' lines above each and the source/caret lines below.
    Empty when text has no recognisable error."""
    lines = text.splitlines()
    shown: list[str] = []
    found = 0
    i = 0
    while i < len(lines) and found < max_errors:
        if not _ERROR.search(lines[i]):
            i += 1
            continue
        start = i
        while start > 0 and _CONTEXT_BEFORE.search(lines[start - 1]) and \
                i - start < 4:
            start -= 1
        end = i + 1
        while end < len(lines) and end - i <= after and \
                not _LOCATION.match(lines[end]) and \
                not lines[end].startswith('make'):
            end += 1
        if shown:
            shown.append('')
        shown.extend(lines[start:end])
        found += 1
        i = end
    return '\n'.join(shown)


def first_error_line(text: str) -> str:
    """The first error line of text (a build's detail or log), else its
    first line that is not a count ('N error line(s):')."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    found = next((l for l in lines if _ERROR.search(l)), '')
    return found or next((l for l in lines
                          if not re.match(r'\d+ error line', l)), '')


def count_errors(text: str) -> int:
    return sum(1 for line in text.splitlines() if _ERROR.search(line))


def config_problem(text: str) -> str:
    """kunit.py's message when the .config lacks requested options."""
    m = re.search(r'((?i:not all) Kconfig options selected in kunitconfig '
                  r'were in the generated \.config\.[\s\S]*?)(?:\n\n|\Z)',
                  text)
    return m.group(1).strip() if m else ''
