"""Compile-time rewrites of the ISO-skeleton schematron XSLTs (saxon._optimise), on small stylesheets.

The corpus-wide equivalence check lives in tests/conformance/test_validation_rewrite_equivalence.py;
these pin the individual rewrites and their refusals.
"""

from __future__ import annotations

from collections import Counter

import pytest

from einvoice.validation import saxon

NS = 'xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:svrl="http://purl.oclc.org/dsdl/svrl" xmlns:a="urn:a"'


def _absent(path: str, rule: str) -> str:
    return (
        f'<xsl:choose><xsl:when test="not({path})"/><xsl:otherwise>'
        f'<svrl:failed-assert test="not({path})" id="{rule}" flag="warning"><svrl:text>{rule}</svrl:text>'
        "</svrl:failed-assert></xsl:otherwise></xsl:choose>"
    )


ASSERTS = [
    ("a:P/a:Q/a:R", "CR-1"),
    ("a:P/a:Q/@x", "CR-2"),
    ("a:P/a:S", "CR-3"),
    ("//a:R/@y", "CR-4"),  # descendant path: left in place
    ("(a:P|a:T)/a:Q", "CR-5"),
    ("a:T/a:U/a:V", "CR-6"),
    ("a:P[a:Q]/a:R", "CR-7"),  # predicate: left in place
    ("a:W", "CR-8"),
]

STYLESHEET = (
    f'<xsl:stylesheet version="2.0" {NS}><xsl:output method="xml" indent="yes"/>'
    '<xsl:template match="/"><svrl:schematron-output>'
    '<svrl:ns-prefix-in-attribute-values uri="urn:a" prefix="a"/>'
    '<svrl:active-pattern><xsl:attribute name="document"><xsl:value-of select="document-uri(/)"/></xsl:attribute>'
    '<xsl:attribute name="id">P1</xsl:attribute></svrl:active-pattern>'
    '<xsl:apply-templates select="/" mode="M1"/></svrl:schematron-output></xsl:template>'
    '<xsl:template match="/a:Doc" mode="M1" priority="1000">'
    + "<!--ASSERT -->".join(_absent(p, r) for p, r in ASSERTS)
    + '<xsl:apply-templates select="@*|*" mode="M1"/></xsl:template>'
    '<xsl:template match="text()" priority="-1" mode="M1"/>'
    '<xsl:template match="@*|node()" priority="-2" mode="M1"><xsl:apply-templates select="@*|*" mode="M1"/>'
    "</xsl:template></xsl:stylesheet>"
)

DOCS = [
    '<Doc xmlns="urn:a"/>',
    '<Doc xmlns="urn:a"><P><Q x="1"><R y="2"/></Q></P></Doc>',
    '<Doc xmlns="urn:a"><P><S/></P><T><U><V/></U><Q/></T><W/></Doc>',
    '<Doc xmlns="urn:a"><P><Q/><R/></P><R y="0"/></Doc>',
]


def _run(text: str, doc: str) -> Counter:
    proc = saxon.processor()
    executable = proc.new_xslt30_processor().compile_stylesheet(stylesheet_text=text, encoding="UTF-8")
    out = executable.transform_to_string(xdm_node=proc.parse_xml(xml_text=doc))
    return Counter(e.rule_id for e in saxon.parse_svrl(out))


def test_path_steps_accepts_plain_child_paths_only():
    assert saxon._path_steps("cac:A/cbc:B/@c") == ["cac:A", "cbc:B", "@c"]
    assert saxon._path_steps("(cac:A|cac:B)/cbc:C") == ["(cac:A|cac:B)", "cbc:C"]
    for refused in ("//cac:A/@b", "cac:A[1]/cbc:B", "cac:A/(cbc:B|cbc:C)", "@a/cbc:B", "count(cac:A)", "../cac:A"):
        assert saxon._path_steps(refused) is None, refused


def test_absence_guard_nests_shared_prefixes_and_keeps_the_others_in_place():
    guarded = saxon._guard_absence_asserts(STYLESHEET)
    assert '<xsl:if test="a:P">' in guarded
    assert '<xsl:if test="a:P/a:Q">' in guarded
    assert guarded.count("<xsl:choose>") == len(ASSERTS)  # every assert is still there, once
    # the refused paths split the run and stay where they were, relative to their neighbours
    assert guarded.index('id="CR-3"') < guarded.index('id="CR-4"') < guarded.index('id="CR-5"')
    assert guarded.index('id="CR-6"') < guarded.index('id="CR-7"') < guarded.index('id="CR-8"')


@pytest.mark.parametrize("doc", DOCS)
def test_full_rewrite_gives_the_same_findings(doc):
    optimised = saxon._optimise("synthetic", STYLESHEET, optimise=True)
    assert "ns-prefix-in-attribute-values" not in optimised and "active-pattern" not in optimised
    assert 'indent="no"' in optimised
    assert _run(optimised, doc) == _run(STYLESHEET, doc)


def test_findings_of_the_synthetic_documents():
    """The documents above exercise both branches of every guard."""
    assert _run(STYLESHEET, DOCS[0]) == Counter()
    assert _run(STYLESHEET, DOCS[1]) == Counter({"CR-1": 1, "CR-2": 1, "CR-4": 1, "CR-5": 1})
    assert _run(STYLESHEET, DOCS[2]) == Counter({"CR-3": 1, "CR-5": 1, "CR-6": 1, "CR-8": 1})
    assert _run(STYLESHEET, DOCS[3]) == Counter({"CR-4": 1, "CR-5": 1, "CR-7": 1})


def test_br_fr_date_helper_is_made_deterministic():
    """An empty date makes the BR-FR date helper return false, never a FORG0001 cast error, however
    many times it runs (Saxon changed evaluation order after a few hundred runs before the rewrite)."""
    from einvoice.validation import rulesets

    raw = rulesets.stylesheet_path("br-fr-ubl").read_text(encoding="utf-8")
    fixed = saxon._determinise(raw)
    assert 'select="if ($isFormatValid) then $day le $maxDay else false()"' in fixed
    assert 'select="xs:decimal(substring($date' not in fixed
    doc = (
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        "<cbc:ID>F1</cbc:ID><cbc:IssueDate></cbc:IssueDate><cbc:DueDate>2026-13-45</cbc:DueDate></Invoice>"
    )
    for _ in range(400):
        node = saxon.parse_document(doc)
        entries = saxon.parse_svrl(saxon.transform("br-fr-ubl", node))  # raises TransformFailed on FORG0001
    assert entries  # the empty and impossible dates are reported as findings
