"""Readable PDF rendering (Typst, PDF/A-3b): formatting rules, mandatory mentions, real PDFs."""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from einvoice.invoicing import calc, render
from einvoice.invoicing.model import ALLOWED_TYPE_CODES, Invoice

DATA = Path(__file__).resolve().parent / "test_render_data"
NBSP = "\u00a0"


def load(name: str, **updates) -> Invoice:
    body = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    body.update(updates)
    return Invoice.model_validate(body)


def pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool = True) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    cmd = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    out = subprocess.run(cmd, capture_output=True, check=True)
    # amounts use no-break spaces; normalise so assertions read naturally
    return out.stdout.decode("utf-8").replace(NBSP, " ").replace("\u202f", " ")


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.56"), f"1{NBSP}234,56{NBSP}€"),
        (Decimal(0), f"0,00{NBSP}€"),
        (Decimal(-1500), f"-1{NBSP}500,00{NBSP}€"),
        (Decimal("1234567.891"), f"1{NBSP}234{NBSP}567,89{NBSP}€"),
        (Decimal("0.005"), f"0,01{NBSP}€"),  # half-up
        (Decimal("999.999"), f"1{NBSP}000,00{NBSP}€"),
    ],
)
def test_format_amount_french(value: Decimal, expected: str) -> None:
    assert render.format_amount(value) == expected


def test_format_amount_other_currency_and_unit_price_decimals() -> None:
    assert render.format_amount(Decimal("12.5"), "USD") == f"12,50{NBSP}USD"
    # unit prices keep up to 6 decimals (BR-FR-DEC-03) but never fewer than 2
    assert render.format_amount(Decimal("0.123456"), max_decimals=6) == f"0,123456{NBSP}€"
    assert render.format_amount(Decimal("450.000000"), max_decimals=6) == f"450,00{NBSP}€"


def test_format_quantity_rate_date() -> None:
    import datetime as dt

    assert render.format_quantity(Decimal("2.5000")) == "2,5"
    assert render.format_quantity(Decimal(1000)) == f"1{NBSP}000"
    assert render.format_rate(Decimal("5.5")) == f"5,5{NBSP}%"
    assert render.format_rate(Decimal("20.00")) == f"20{NBSP}%"
    assert render.format_date(dt.date(2026, 1, 5)) == "05/01/2026"


def test_every_french_type_code_has_a_title() -> None:
    assert set(render.TYPE_TITLES) >= set(ALLOWED_TYPE_CODES)
    assert render.TYPE_TITLES["380"] == "Facture"
    assert render.TYPE_TITLES["389"] == "Facture d'autofacturation"
    assert render.TYPE_TITLES["381"] == "Avoir"
    assert render.TYPE_TITLES["384"] == "Facture rectificative"
    assert render.TYPE_TITLES["386"] == "Facture d'acompte"


# --------------------------------------------------------------------------- view (mentions)


def test_view_carries_the_mandatory_mentions() -> None:
    view = render.invoice_view(load("invoice_full"))
    assert view["title"] == "Facture" and view["number"] == "F-2026-0042"
    assert dict(view["dates"]) == {
        "Date d'émission": "15/01/2026",
        "Date de livraison / d'exécution": "10/01/2026",
        "Date d'échéance": "14/02/2026",
    }
    seller_ids = dict(map(tuple, view["seller"]["ids"]))
    assert seller_ids["SIREN"] == "123456782"
    assert seller_ids["SIRET"] == "12345678200010"
    assert seller_ids["N° TVA"] == "FR11123456782"
    assert dict(map(tuple, view["buyer"]["ids"]))["SIREN"] == "987654324"
    assert view["seller"]["address"] == ["12 rue de la Paix", "75002 Paris", "France"]
    refs = dict(map(tuple, view["refs"]))
    assert refs["Nature de l'opération"] == "Prestation de services"
    assert refs["Bon de commande"] == "PO-778"
    delivery = view["extra_parties"][0]
    assert delivery["role"] == "Adresse de livraison" and "69100 Villeurbanne" in delivery["address"]
    line = view["lines"][0]
    assert (line["qty"], line["unit"], line["price"], line["vat"], line["total"]) == (
        "3", "jour", f"1{NBSP}234,56{NBSP}€", f"20{NBSP}%", f"3{NBSP}703,68{NBSP}€")
    assert [v["label"] for v in view["vat"]] == [f"TVA 20{NBSP}%", f"TVA 5,5{NBSP}%"]
    totals = {row[0]: row[1] for row in view["totals"]}
    assert totals["Total HT"] == f"4{NBSP}705,68{NBSP}€"
    assert totals["Total TVA"] == f"926,35{NBSP}€"
    assert totals["Total TTC"] == f"5{NBSP}632,03{NBSP}€"
    assert totals["Net à payer"] == f"5{NBSP}632,03{NBSP}€"
    mentions = "\n".join(view["mentions"])
    assert "TVA acquittée sur les débits" in mentions
    assert "40 €" in mentions
    assert "Pénalités de retard" in mentions
    assert "Escompte pour paiement anticipé : 1 %" in mentions
    payment = dict(map(tuple, view["payment"]))
    assert payment["IBAN"] == "FR76 3000 6000 0112 3456 7890 189"
    assert payment["Moyen de paiement"] == "Virement SEPA"
    assert payment["Conditions de paiement"].startswith("Paiement à 30 jours")
    assert view["notes"] == ["Merci pour votre confiance."]  # AAI note; BAR is technical


def test_legal_defaults_when_notes_are_missing() -> None:
    inv = load("credit_note", notes=[{"subjectCode": "BAR", "text": "B2B"}])
    mentions = "\n".join(render.invoice_view(inv)["mentions"])
    assert "40 €" in mentions and "L441-10" in mentions
    assert "Pénalités de retard" in mentions
    assert "Pas d'escompte" in mentions


def test_no_recovery_indemnity_default_for_consumers() -> None:
    inv = load("credit_note", notes=[{"subjectCode": "BAR", "text": "B2C"}])
    mentions = "\n".join(render.invoice_view(inv)["mentions"])
    assert "40 €" not in mentions


def test_credit_note_shows_the_preceding_invoice() -> None:
    view = render.invoice_view(load("credit_note"))
    assert view["title"] == "Avoir"
    assert ["Facture d'origine", "F-2026-0042 du 15/01/2026"] in view["refs"]
    assert view["totals"][-1][0] == "Montant de l'avoir"


def test_corrective_invoice_label() -> None:
    view = render.invoice_view(load("credit_note", typeCode="384"))
    assert view["title"] == "Facture rectificative"
    assert ["Facture rectifiée", "F-2026-0042 du 15/01/2026"] in view["refs"]


def test_exemption_self_billing_and_vat_on_receipts() -> None:
    view = render.invoice_view(load("exempt_intracom"))
    assert view["title"] == "Facture d'autofacturation"
    mentions = "\n".join(view["mentions"])
    assert "Autofacturation" in mentions
    assert "262 ter I" in mentions  # K: intra-community exemption reference
    assert "TVA exigible à l'encaissement" in mentions
    assert "TVA acquittée sur les débits" not in mentions
    assert view["vat"][0]["label"].startswith("Intracommunautaire")
    assert ["Nature de l'opération", "Livraison de biens"] in view["refs"]


def test_exemption_reason_text_is_shown_verbatim() -> None:
    inv = load("exempt_intracom", typeCode="380", vatBreakdown=[{
        "category": "E", "rate": "0", "taxableAmount": "12000", "taxAmount": "0",
        "exemptionReason": "TVA non applicable, art. 293 B du CGI"}])
    inv = inv.model_copy(update={"lines": [inv.lines[0].model_copy(update={"vat_category": "E"})]})
    mentions = render.invoice_view(inv)["mentions"]
    assert "TVA non applicable, art. 293 B du CGI" in mentions
    assert not any("Autofacturation" in m for m in mentions)


def test_view_is_json_and_computes_missing_amounts() -> None:
    inv = load("invoice_full")
    assert inv.totals is None  # the fixture leaves derived amounts out
    view = render.invoice_view(inv)
    json.dumps(view)
    assert view == render.invoice_view(calc.compute(inv))


# --------------------------------------------------------------------------- real PDFs


def test_render_pdf_text_has_the_key_mentions(tmp_path: Path) -> None:
    pdf = render.render_pdf(load("invoice_full"))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    for expected in (
        "ACME Services SAS", "Dupont Industrie SARL", "123456782", "987654324", "12345678200010",
        "FR11123456782", "FR14987654324", "F-2026-0042", "15/01/2026", "14/02/2026", "10/01/2026",
        "1 234,56 €", "3 703,68 €", "4 705,68 €", "926,35 €", "5 632,03 €",
        "40 €", "Pénalités de retard", "Escompte pour paiement anticipé",
        "TVA acquittée sur les débits", "Prestation de services", "Entrepôt Dupont Nord",
        "Audit de sécurité", "Net à payer",
    ):
        assert expected in text, expected


def test_render_credit_note_pdf_text(tmp_path: Path) -> None:
    text = pdf_text(render.render_pdf(load("credit_note")), tmp_path)
    assert "AVOIR" in text
    assert "AV-2026-0007" in text
    assert "Facture d'origine : F-2026-0042 du 15/01/2026" in " ".join(text.split())
    assert "1 200,00 €" in text


def test_render_rasterizes(tmp_path: Path) -> None:
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) not installed")
    path = tmp_path / "inv.pdf"
    path.write_bytes(render.render_pdf(load("invoice_full")))
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    from PIL import Image

    with Image.open(pages[0]) as img:
        assert img.size[0] < img.size[1]  # portrait A4
        gray = img.convert("L")
        dark = sum(1 for p in gray.getdata() if p < 128)
    assert dark > 2000  # real content, not a blank page


def test_render_is_pdfa3b_with_embedded_fonts() -> None:
    from einvoice.invoicing.facturx import pdfa3_structure

    s = pdfa3_structure(render.render_pdf(load("invoice_full")))
    assert s["output_intents"] == ["/GTS_PDFA1"]
    assert s["fonts_embedded"] and any("DejaVuSans" in name for name in s["fonts"])
    assert (s["pdfaid_part"], s["pdfaid_conformance"]) == ("3", "B")
    assert not s["javascript"] and not s["encrypted"]
    # a bare rendering is a clean PDF/A-3 that is not yet a Factur-X: only the Factur-X rules fire
    assert s["af"] == [] and s["embedded_files"] == []
    assert {f.rule_id for f in s["findings"]} == {"FX-FILENAME", "FX-XMP-EXTENSION", "FX-XMP-DOCUMENTFILENAME",
                                                  "FX-XMP-DOCUMENTTYPE", "FX-XMP-VERSION", "FX-XMP-CONFORMANCE"}


def test_many_lines_span_pages_with_numbering(tmp_path: Path) -> None:
    base = json.loads((DATA / "invoice_full.json").read_text(encoding="utf-8"))
    line = base["lines"][1]
    base["lines"] = [dict(line, id=str(i), name=f"Article numéro {i}") for i in range(1, 101)]
    text = pdf_text(render.render_pdf(Invoice.model_validate(base)), tmp_path)
    assert "Article numéro 100" in text
    assert "page 1 / 3" in text or "page 1 / 2" in text
    assert "90 000,00 €" in text  # 100 x 2 x 450


def test_typst_markup_in_data_is_not_interpreted(tmp_path: Path) -> None:
    tricky = 'Smith & Sons <b> #set text(red) $x^2$ *gras* _it_ \\ "q" @ref // c'
    inv = load("invoice_full")
    inv = inv.model_copy(update={"buyer": inv.buyer.model_copy(update={"name": tricky})})
    text = " ".join(pdf_text(render.render_pdf(inv), tmp_path, layout=False).split())
    assert " ".join(tricky.split()) in text


def test_compiler_is_cached_per_process() -> None:
    render.render_pdf(load("credit_note"))
    first = render._get_compiler()
    render.render_pdf(load("invoice_full"))
    assert render._get_compiler() is first


def test_document_allowances_charges_and_foreign_country() -> None:
    inv = load("exempt_intracom", allowances=[
        {"amount": "100", "vatCategory": "K", "vatRate": "0", "reason": "Remise fidélité"},
        {"amount": "50", "vatCategory": "K", "vatRate": "0", "reason": "volume", "percentage": "5"},
    ], charges=[{"amount": "30", "vatCategory": "K", "vatRate": "0", "reasonCode": "FC"}])
    view = render.invoice_view(inv)
    labels = [(a["label"], a["amount"]) for a in view["doc_adjustments"]]
    assert labels == [
        ("Remise fidélité", f"-100,00{NBSP}€"),
        (f"Remise : volume (5{NBSP}%)", f"-50,00{NBSP}€"),
        ("Frais : FC", f"30,00{NBSP}€"),
    ]
    totals = {row[0]: row[1] for row in view["totals"]}
    assert totals["Remises"] == f"-150,00{NBSP}€" and totals["Frais"] == f"30,00{NBSP}€"
    assert totals["Total HT"] == f"11{NBSP}880,00{NBSP}€"
    assert view["seller"]["address"][-1] == "Allemagne"


def test_characters_missing_from_the_font_do_not_break_pdfa(tmp_path: Path) -> None:
    """PDF/A refuses glyphs the embedded font lacks: they become U+FFFD, the rest is kept."""
    inv = load("invoice_full")
    name = "株式会社テスト Ελληνικά Привет Łódź œuvre"
    inv = inv.model_copy(update={"buyer": inv.buyer.model_copy(update={"name": name})})
    view = render.invoice_view(inv)
    assert render._clean(view)["buyer"]["name"] == "\ufffd" * 7 + " Ελληνικά Привет Łódź œuvre"
    text = pdf_text(render.render_pdf(inv), tmp_path, layout=False)
    assert "Ελληνικά Привет Łódź œuvre" in text


def test_fonts_are_bundled_with_the_template() -> None:
    """No dependency on system fonts (a Lambda has none): DejaVu ships in templates/fonts."""
    fonts = render.TEMPLATE_DIR / "fonts"
    assert (fonts / "DejaVuSans.ttf").is_file() and (fonts / "DejaVuSans-Bold.ttf").is_file()
    assert (fonts / "LICENSE-DejaVu.txt").is_file()
    assert render._font_dirs() == [str(fonts)]
    assert 0x20AC in render._covered() and 0x4E00 not in render._covered()  # € yes, CJK no
