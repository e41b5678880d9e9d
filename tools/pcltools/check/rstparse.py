"""The reStructuredText parser's warnings on one document, without
Sphinx: `python3 rstparse.py NAME < FILE` prints one line per message of
docutils' parser, 'NAME:LINE: LEVEL: message' (LEVEL: WARNING, ERROR or
SEVERE), and exits 0; 2 when docutils is missing.

Run by check/rst.py in a subprocess, with an interpreter that has
docutils (Debian's python3-docutils); it needs nothing of pcltools. The
directives and roles that Sphinx and the kernel's Documentation/sphinx
extensions add are known to it, so that only what `make htmldocs` would
also warn about is reported: their content is parsed as the extension
would parse it (rst for c:function, only, flat-table; nothing for
kernel-doc, code-block, toctree). A relative `.. include::` or
`.. csv-table:: :file:` is not followed (the file is another document,
checked on its own); the standard includes (`<isonum.txt>`) are. As in
Sphinx, a document's first title is not its title (no docinfo fields
taken from it)."""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable

try:                                # untyped: everything of it is Any
    docutils = importlib.import_module('docutils')
    nodes = importlib.import_module('docutils.nodes')
    utils = importlib.import_module('docutils.utils')
    frontend = importlib.import_module('docutils.frontend')
    rst = importlib.import_module('docutils.parsers.rst')
    directives = importlib.import_module('docutils.parsers.rst.directives')
    roles = importlib.import_module('docutils.parsers.rst.roles')
    misc = importlib.import_module('docutils.parsers.rst.directives.misc')
    tables = importlib.import_module(
        'docutils.parsers.rst.directives.tables')
    standalone = importlib.import_module('docutils.readers.standalone')
except ImportError:
    print('rstparse: docutils is not installed', file=sys.stderr)
    sys.exit(2)
Directive: Any = rst.Directive
Include: Any = misc.Include
CSVTable: Any = tables.CSVTable

# Sphinx's and the kernel's directives whose content is not rst (code, a
# list of documents, a kernel-doc reference): accepted, not parsed.
OPAQUE = (
    'code-block', 'sourcecode', 'highlight', 'literalinclude', 'toctree',
    'index', 'tabularcolumns', 'productionlist', 'rst-class', 'cssclass',
    'c:namespace', 'c:namespace-push', 'c:namespace-pop', 'program',
    'kernel-doc', 'kernel-include', 'kernel-feat', 'kernel-abi',
    'maintainers-include', 'kernel-figure', 'kernel-image', 'kernel-render',
    'automodule', 'autofunction', 'math', 'sectionauthor', 'codeauthor',
    'moduleauthor', 'default-domain', 'c:alias',
)
# Those whose content is rst: parsed, so that its warnings count.
NESTED = (
    'seealso', 'versionadded', 'versionchanged', 'deprecated',
    'ifconfig', 'hlist', 'centered', 'glossary', 'todo', 'flat-table',
    'describe', 'object', 'option', 'envvar',
    'c:function', 'c:macro', 'c:struct', 'c:union', 'c:enum',
    'c:enumerator', 'c:type', 'c:var', 'c:member',
)
# Sphinx's roles (std and c domains) and the kernel's flat-table ones.
ROLES = (
    'ref', 'doc', 'numref', 'term', 'abbr', 'command', 'file', 'kbd',
    'manpage', 'menuselection', 'guilabel', 'program', 'option', 'envvar',
    'samp', 'download', 'any', 'keyword', 'dfn', 'mimetype', 'makevar',
    'regexp', 'c:func', 'c:type', 'c:macro', 'c:data', 'c:member',
    'c:struct', 'c:union', 'c:enum', 'c:enumerator', 'c:var', 'c:expr',
    'c:texpr', 'c:ref', 'rspan', 'cspan',
)


class _AnyOption(dict[str, Callable[[Any], Any]]):
    """Every option accepted, as text: the extensions' own options are
    theirs to check. Not empty, so that docutils parses options."""

    def __init__(self) -> None:
        super().__init__(_=directives.unchanged)

    def __missing__(self, key: str) -> Callable[[Any], Any]:
        return directives.unchanged  # type: ignore[no-any-return]


class Opaque(Directive):  # type: ignore[misc]
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = _AnyOption()

    def run(self) -> list[Any]:
        # A node in place of what the extension would insert, so that
        # what follows (a transition) is not first in its section.
        return [nodes.comment()]


class Nested(Opaque):
    titles = False                  # section titles allowed in it

    def run(self) -> list[Any]:
        node = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, node,
                                match_titles=self.titles)
        return [node]


class Only(Nested):
    """`.. only::`, which Sphinx lets hold sections."""
    titles = True


class StandardInclude(Include):  # type: ignore[misc]
    """`.. include:: <isonum.txt>` as Sphinx reads it; another file is
    not followed."""
    option_spec = _AnyOption()
    optional_arguments = 0

    def run(self) -> list[Any]:
        if not self.arguments[0].startswith('<'):
            return [nodes.comment()]
        settings = self.state.document.settings
        enabled = settings.file_insertion_enabled
        settings.file_insertion_enabled = True
        try:
            return Include.run(self)  # type: ignore[no-any-return]
        finally:
            settings.file_insertion_enabled = enabled


class FileCSVTable(CSVTable):  # type: ignore[misc]
    """`.. csv-table::` whose data is another file (:file: or :url:):
    not followed, as an include is not."""

    def run(self) -> list[Any]:
        if 'file' in self.options or 'url' in self.options:
            return [nodes.comment()]
        return CSVTable.run(self)  # type: ignore[no-any-return]


def _literal_role(name: str, rawtext: str, text: str, lineno: int,
                  inliner: Any, options: Any = None,
                  content: Any = None) -> tuple[list[Any], list[Any]]:
    return [nodes.literal(rawtext, text)], []


def register() -> None:
    for name in OPAQUE:
        directives.register_directive(name, Opaque)
    for name in NESTED:
        directives.register_directive(name, Nested)
    directives.register_directive('only', Only)
    directives.register_directive('include', StandardInclude)
    directives.register_directive('csv-table', FileCSVTable)
    for name in ROLES:
        roles.register_local_role(name, _literal_role)


def messages(name: str, text: str) -> list[str]:
    """'name:line: LEVEL: message' of the parser's warnings and errors."""
    reader, parser = standalone.Reader(), rst.Parser()
    settings = frontend.get_default_settings(parser, reader)
    settings.report_level = 5       # nothing to stderr: observed below
    settings.halt_level = 5
    settings.file_insertion_enabled = False
    settings.raw_enabled = True
    settings.warning_stream = ''
    settings.doctitle_xform = False     # Sphinx's default: no docinfo
    document = utils.new_document(name, settings)
    out: list[str] = []

    def observe(msg: Any) -> None:
        level = msg['level']
        if level < 2:               # INFO: not shown by Sphinx either
            return
        first = msg.children[0].astext() if msg.children else msg.astext()
        line = (f'{name}:{msg.get("line") or 0}: '
                f'{msg["type"]}: {" ".join(first.split())}')
        if line not in out:         # a title is parsed twice, its
            out.append(line)        # warning made twice: one message

    document.reporter.attach_observer(observe)
    parser.parse(text, document)
    # What the reader does next: substitutions, footnotes and targets
    # resolved, as Sphinx's reader does them.
    document.transformer.populate_from_components((reader, parser))
    document.transformer.apply_transforms()
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print('usage: rstparse.py NAME < FILE', file=sys.stderr)
        return 2
    if argv[1] == '--version':
        print(docutils.__version__)
        return 0
    register()
    name = argv[1]
    text, bad = decode(sys.stdin.buffer.read())
    out = [f'{name}:{bad}: WARNING: undecodable source characters, '
           'replacing with "?"'] if bad else []
    out += messages(name, text)
    sys.stdout.buffer.write(''.join(f'{line}\n' for line in out).encode())
    return 0


def decode(data: bytes) -> tuple[str, int]:
    """The document as Sphinx reads it (UTF-8, a byte order mark left
    out), and the line of its first undecodable byte (0: none)."""
    try:
        return data.decode('utf-8-sig'), 0
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        return data.decode('utf-8-sig', errors='replace'), line


if __name__ == '__main__':
    sys.exit(main(sys.argv))
