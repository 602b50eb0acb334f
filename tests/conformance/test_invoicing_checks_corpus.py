"""The French checks agree with the official FNFE BR-FR schematron results recorded in the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from einvoice.invoicing import calc, checks, parse

CORPUS = Path(__file__).resolve().parents[2] / "../shared/corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")

#: Our checks are stricter than the schematron on purpose: SIREN / SIRET check digits (Luhn,
#: La Poste exception). The akretion fixtures use made-up identifiers (e.g. buyer SIREN 987654321).
LUHN_ONLY = {"BR-FR-09", "BR-FR-10", "BR-FR-11", "BR-FR-32"}


def _cases():
    out = []
    if not CORPUS.is_dir():
        return out
    for src in ("xp-z12-french-ctc", "akretion-factur-x", "en16931-cen", "zugferd-corpus"):
        for f in json.loads((CORPUS / src / "expected.json").read_text(encoding="utf-8"))["files"]:
            if f.get("kind") != "xml" or f.get("syntax") not in ("CII-D16B", "UBL-Invoice", "UBL-CreditNote"):
                continue
            res = [v for k, v in (f.get("validation") or {}).items() if k.startswith("FNFE-BR-FR")]
            if res and isinstance(res[0], dict) and "fatal" in res[0]:
                out.append(pytest.param(src + "/" + f["file"], f["syntax"], res[0], id=f"{src}/{f['file']}"))
    return out


@pytest.mark.parametrize("path, syntax, result", _cases())
def test_french_rule_ids_match_the_fnfe_schematron(path, syntax, result):
    inv = calc.compute(parse.parse_xml((CORPUS / path).read_bytes()))
    errors = checks.check(inv, french=True, tolerances=calc.Tolerances.cen_cii(),
                          syntax="ubl" if syntax.startswith("UBL") else "cii")
    mine = {e.rule for e in errors if e.rule.startswith("BR-FR") and not e.rule.startswith("BR-FR-MENTION")}
    # the UBL schematron reports a bad identifier character set twice: BR-FR-01_BT-x-2 and BR-FR-02_BT-x;
    # the CII one (and we) only as BR-FR-02
    # EXT-FR-FE-* terms (EXTENDED-CTC-FR extras, e.g. EXT-FR-FE-136) are not in the model
    official = {"BR-FR-02" if r.startswith("BR-FR-01_") and r.endswith("-2") else r.split("_")[0]
                for r in result["fatal"] if "_EXT-FR" not in r}
    # every official failure we implement is found ...
    implemented = official & {"BR-FR-01", "BR-FR-02", "BR-FR-04", "BR-FR-05", "BR-FR-08", "BR-FR-10", "BR-FR-12",
                              "BR-FR-13", "BR-FR-15", "BR-FR-16", "BR-FR-17", "BR-FR-CO-05", "BR-FR-CO-07",
                              "BR-FR-CO-10", "BR-FR-CO-12", "BR-FR-DEC-04"}
    assert implemented <= mine, sorted(implemented - mine)
    # ... and what we add beyond the schematron is only the check-digit verification
    extra = mine - official
    assert extra <= LUHN_ONLY, sorted(extra)
    luhn = [e for e in errors if e.rule in extra]
    assert all("Luhn" in e.message for e in luhn), [e.message for e in luhn]


def test_official_french_examples_pass_every_check():
    """The XP Z12-012 / Z12-014 annex examples (FNFE-valid) raise nothing but known upstream issues."""
    base = CORPUS / "xp-z12-french-ctc"
    entries = json.loads((base / "expected.json").read_text(encoding="utf-8"))["files"]
    checked = 0
    for f in entries:
        if f.get("kind") != "xml" or f.get("syntax") not in ("CII-D16B", "UBL-Invoice", "UBL-CreditNote"):
            continue
        inv = calc.compute(parse.parse_xml((base / f["file"]).read_bytes()))
        errors = checks.check(inv, syntax="ubl" if f["syntax"].startswith("UBL") else "cii")
        official = {r.split("_")[0] for v in (f.get("validation") or {}).values() if isinstance(v, dict)
                    for r in v.get("fatal", [])}
        unexpected = [(e.rule, e.field) for e in errors if e.rule not in official]
        assert unexpected == [], (f["file"], unexpected)
        checked += 1
    assert checked >= 20


def _cen_valid():
    out = []
    if not CORPUS.is_dir():
        return out
    for src in ("en16931-cen", "zugferd-corpus", "xp-z12-french-ctc", "akretion-factur-x"):
        for f in json.loads((CORPUS / src / "expected.json").read_text(encoding="utf-8"))["files"]:
            if f.get("kind") != "xml" or f.get("syntax") not in ("CII-D16B", "UBL-Invoice", "UBL-CreditNote"):
                continue
            res = [v for k, v in (f.get("validation") or {}).items()
                   if k.startswith(("CEN-EN16931", "FACTUR-X-1.08-EN16931"))]
            if res and isinstance(res[0], dict) and res[0].get("fatal") == []:
                out.append(pytest.param(src + "/" + f["file"], f["syntax"], id=f"{src}/{f['file']}"))
    return out


@pytest.mark.parametrize("path, syntax", _cen_valid())
def test_cen_valid_invoices_pass_the_core_and_amount_checks(path, syntax):
    inv = calc.compute(parse.parse_xml((CORPUS / path).read_bytes()))
    tol = calc.Tolerances.cen_ubl() if syntax.startswith("UBL") else calc.Tolerances.cen_cii()
    errors = checks.check(inv, french=False, tolerances=tol)
    if path.endswith(EMPTY_PAYMENT_TERMS):
        # the CEN CII schematron accepts an empty <ram:SpecifiedTradePaymentTerms><ram:Description/>
        # as "payment terms present"; an empty BT-20 is no payment terms for us
        assert [e.rule for e in errors] == ["BR-CO-25"]
        return
    assert [(e.rule, e.field, e.message) for e in errors] == []


EMPTY_PAYMENT_TERMS = ("ZUGFeRD-invoice_rabatte_3_abschlag_duepayableamount.xml",
                       "ZUGFeRD-invoice_rabatte_4_abschlag_taxbasistotalamount.xml")
