"""JUnit XML from counted results, for CI dashboards."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .tally import Case, Counts


def to_xml(layers: dict[str, Counts]) -> str:
    root = ET.Element('testsuites')
    for layer, counts in layers.items():
        groups: dict[str, list[Case]] = {}
        for case in counts.cases:
            groups.setdefault(case.group or layer, []).append(case)
        for group, cases in groups.items():
            suite = ET.SubElement(root, 'testsuite', {
                'name': group,
                'tests': str(len(cases)),
                'failures': str(sum(c.status == 'FAIL' for c in cases)),
                'errors': str(sum(c.status == 'ERROR' for c in cases)),
                'skipped': str(sum(c.status == 'SKIP' for c in cases)),
            })
            for case in cases:
                tc = ET.SubElement(suite, 'testcase',
                                   {'classname': group, 'name': case.name})
                if case.status == 'FAIL':
                    ET.SubElement(tc, 'failure',
                                  {'message': case.message or 'failed'})
                elif case.status == 'ERROR':
                    ET.SubElement(tc, 'error', {'message': case.message or
                                                'crashed (kernel crash or '
                                                'timeout)'})
                elif case.status == 'SKIP':
                    ET.SubElement(tc, 'skipped')
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + \
        ET.tostring(root, encoding='unicode') + '\n'


def write(path: Path, layers: dict[str, Counts]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_xml(layers))
