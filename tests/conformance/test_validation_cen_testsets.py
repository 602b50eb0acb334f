"""CEN EN16931 rule unit tests (VEFA testSet files, 1,140 fragments) against the packaged rules.

Each fragment is deliberately incomplete: only the rule in ``<scope>`` is meaningful. UBL fragments
run through the packaged CEN ``EN16931-UBL-validation.xslt`` (1.3.16, the oracle's version); the two
CII files through the vendored CEN `EN16931-CII-validation.xslt` (1.3.16, also the oracle's version).
Ground truth: ``en16931-cen/expected-testsets.json`` (expect_error / expect_success / expect_warning).
"""

from __future__ import annotations

import json

import pytest
from validation_corpus_support import CORPUS

from einvoice.validation.engine import run_stylesheet

VEFA = "{http://difi.no/xsd/vefa/validator/1.0}"
TESTSETS = CORPUS / "en16931-cen" / "expected-testsets.json"


def _params():
    if not TESTSETS.is_file():
        return [pytest.param(None, None, id="corpus-absent", marks=pytest.mark.skip(reason="corpus absent"))]
    data = json.loads(TESTSETS.read_text(encoding="utf-8"))
    return [pytest.param(path, spec, id=path) for path, spec in sorted(data.items())]


def _fragments(path):
    from lxml import etree

    from einvoice.validation.inputs import parse_xml

    root = parse_xml((CORPUS / "en16931-cen" / path).read_bytes())
    for test in root.iter(f"{VEFA}test"):
        doc = next(el for el in test if isinstance(el.tag, str) and not el.tag.startswith(VEFA))
        yield etree.tostring(doc)


@pytest.mark.parametrize(("path", "spec"), _params())
def test_cen_rule_unit_tests(path, spec, corpus_dir, agreement):
    key = "en16931-cii" if spec["configuration"] == "tc434-cii" else "en16931-ubl"
    fragments = list(_fragments(path))
    assert len(fragments) == len(spec["tests"])
    problems = []
    for test, xml in zip(spec["tests"], fragments, strict=True):
        entries = run_stylesheet(key, xml)
        fatal = {e.rule_id for e in entries if e.severity == "fatal"}
        warning = {e.rule_id for e in entries if e.severity == "warning"}
        for rule in test["expect_error"]:
            if rule not in fatal:
                problems.append(f"#{test['index']} {rule} should fire: {test['description']}")
        for rule in test["expect_warning"]:
            if rule not in warning:
                problems.append(f"#{test['index']} {rule} should warn: {test['description']}")
        for rule in test["expect_success"]:
            if rule in fatal or rule in warning:
                problems.append(f"#{test['index']} {rule} should not fire: {test['description']}")
    agreement.record("en16931-cen (rule unit-test files)", not problems)
    assert not problems
