"""A PDF that carries its own invoice XML (Factur-X, ZUGFeRD, an ERP's UBL attachment): the structured
invoice is the legal one, so its fields win over what the page shows, and the checks still run."""

from __future__ import annotations

from decimal import Decimal

from einvoice.invoicing import calc
from einvoice.invoicing.model import Invoice
from einvoice.invoicing.service import render_invoice
from einvoice.ocr import document, extract, pipeline
from tests.unit.invoicing.model_samples import sample_body
from tests.unit.ocr.test_ocr_general_fixes import page


def _facturx(**changes) -> tuple[bytes, Invoice]:
    body = sample_body()
    body.update(changes)
    invoice = calc.compute(Invoice.model_validate(body))
    return render_invoice(invoice, "facturx", "en16931"), invoice


def test_a_facturx_pdf_gives_its_own_fields_as_sure_values():
    data, invoice = _facturx(number="FX-2026-77")
    read = pipeline.read_document(data, "application/pdf")
    assert read.source == "text"  # the page is still read (positions, lines), the XML adds the fields
    hinted = {h[0]: h[1] for h in read.pages[0].hints if h[4] == document.EMBEDDED_SOURCE}
    assert hinted["BT-1"] == "FX-2026-77" and hinted["BT-27"] == invoice.seller.name
    res = pipeline.analyse(read.pages)
    for bt, want in (("BT-1", "FX-2026-77"), ("BT-2", invoice.issue_date), ("BT-27", invoice.seller.name),
                     ("BT-30", invoice.seller.siren), ("BT-112", invoice.totals.tax_inclusive),
                     ("BT-115", invoice.totals.payable)):
        got = res.fields[bt]
        assert got.value == want and "embedded" in got.source and got.confidence >= 0.99, (bt, got)


def test_the_embedded_invoice_wins_over_a_page_that_says_otherwise():
    _, invoice = _facturx(number="FX-REAL-1")
    p = page([[(0.1, "FACTURE N° PAGE-999")], [(0.1, "Date : 03/02/2026")], [(0.5, "Total TTC"), (0.8, "1,00 €")]])
    p.hints.extend(document.embedded_hints(invoice))
    res = pipeline.analyse([p])
    assert res.fields["BT-1"].value == "FX-REAL-1" and res.fields["BT-1"].source == "embedded"
    assert res.fields["BT-112"].value == invoice.totals.tax_inclusive != Decimal("1.00")


def test_a_plain_pdf_or_a_broken_attachment_gives_no_embedded_fields():
    import io

    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.add_attachment("factur-x.xml", b"<not-an-invoice/>")
    buf = io.BytesIO()
    w.write(buf)
    assert document.embedded_invoice(buf.getvalue()) is None
    assert document.embedded_invoice(b"%PDF-1.7 garbage") is None
    assert extract.parse_value("BT-3", "380") == "380"
