"""The general extraction rules that make diverse supplier layouts readable, each on a small page built
here (positioned words, as any reader produces them), and the rule that keeps a wrong value flagged."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from einvoice.ocr import extract, normalize, pipeline
from einvoice.ocr.layout import Page, Word, build_lines

CHAR = 0.0075  # width of one character, fraction of the page
LINE = 0.02


def page(rows: list[list[tuple[float, str]]], conf: float = 0.97, top: float = 0.05) -> Page:
    """A page from rows of (x0, text) segments; words are laid out with one space between them."""
    words = []
    for r, segments in enumerate(rows):
        y = top + r * LINE
        for x0, text in segments:
            x = x0
            for token in text.split(" "):
                w = len(token) * CHAR
                words.append(Word(token, conf, 1, (x, y, x + w, y + 0.012)))
                x += w + CHAR
    p = Page(1, 595, 842, words)
    p.rows = build_lines(words)
    return p


def fields(p: Page, **ctx) -> dict:
    res = pipeline.analyse([p], pipeline.Context(today=_dt.date(2026, 12, 2), **ctx))
    return {bt: f.value for bt, f in res.fields.items()}, res


def test_a_row_of_labels_pairs_with_the_row_of_values_below_column_by_column():
    p = page([[(0.1, "FACTURE")], [(0.1, "Pièce n°"), (0.3, "Date"), (0.5, "À payer avant le"), (0.7, "Code client")],
              [(0.1, "FA-2026-0042"), (0.3, "03/02/2026"), (0.5, "05/03/2026"), (0.7, "C1234")],
              [(0.1, "Total HT"), (0.3, "TVA"), (0.5, "Montant total TTC"), (0.7, "Net à payer")],
              [(0.1, "1 000,00 €"), (0.3, "200,00 €"), (0.5, "1 200,00 €"), (0.7, "1 200,00 €")]])
    got, res = fields(p)
    assert got["BT-1"] == "FA-2026-0042" and got["BT-2"] == _dt.date(2026, 2, 3) and got["BT-9"] == _dt.date(2026, 3, 5)
    assert (got["BT-109"], got["BT-110"], got["BT-112"], got["BT-115"]) == (
        Decimal("1000.00"), Decimal("200.00"), Decimal("1200.00"), Decimal("1200.00"))
    assert not {"BT-109", "BT-110", "BT-112"} & res.flagged()


def test_the_longest_label_wins_a_segment():
    def hit(text):
        return [h[0] for h in extract._label_hits(page([[(0.1, text)]]).rows[0].segments[0])]

    assert hit("Total TVA 20 %") == ["BT-110"]
    assert hit("Montant total TTC") == ["BT-112"]
    assert hit("N° TVA intracom. : FR40303265045") == ["VAT"]
    assert hit("Sous-total à reporter") == ["OTHER"]  # a running total, not the total HT
    assert hit("Date de livraison : 03/02/2026") == ["OTHER"]
    assert hit("N° client : C1234") == ["OTHER"]
    assert hit("Facture de prestations N° F-12")[0] == "BT-1"
    assert hit("Annule et remplace la facture F-11 du 02/01/2026") == ["BT-25"]


def test_running_totals_and_deposits_are_not_totals():
    p = page([[(0.1, "Facture N° F-1")], [(0.1, "Date : 03/02/2026")],
              [(0.5, "Sous-total à reporter"), (0.8, "9 999,00")],
              [(0.5, "Total HT"), (0.8, "1 000,00")], [(0.5, "TVA 20 %"), (0.8, "200,00")],
              [(0.5, "Total TTC"), (0.8, "1 200,00")], [(0.5, "Acompte versé"), (0.8, "-300,00")],
              [(0.5, "Net à payer"), (0.8, "900,00")]])
    got, res = fields(p)
    assert (got["BT-109"], got["BT-112"], got["BT-115"]) == (Decimal("1000.00"), Decimal("1200.00"), Decimal("900.00"))


def test_vat_table_rows_without_the_word_are_read_when_rate_times_base_is_the_amount():
    p = page([[(0.1, "Taux"), (0.2, "Base HT"), (0.35, "Montant TVA"), (0.6, "Total HT"), (0.8, "1 100,00")],
              [(0.1, "20 %"), (0.2, "1 000,00"), (0.35, "200,00"), (0.6, "Total TVA"), (0.8, "210,00")],
              [(0.1, "10 %"), (0.2, "100,00"), (0.35, "10,00"), (0.6, "Total TTC"), (0.8, "1 310,00")],
              [(0.1, "Audit"), (0.35, "20 %"), (0.5, "300,00")]])  # a line: one amount, no VAT row
    ex = extract.extract([p])
    assert sorted((r["rate"], r["base"], r["amount"]) for r in ex.vat_rows) == [
        (Decimal("10"), Decimal("100.00"), Decimal("10.00")), (Decimal("20"), Decimal("1000.00"), Decimal("200.00"))]


def test_credit_note_amounts_printed_negative_are_carried_positive():
    p = page([[(0.1, "AVOIR N° AV-7")], [(0.1, "Date : 03/02/2026")],
              [(0.1, "Avoir sur facture n° F-6 du 02/01/2026")],
              [(0.5, "Total HT"), (0.8, "-100,00 €")], [(0.5, "TVA 20 %"), (0.8, "-20,00 €")],
              [(0.5, "Total TTC"), (0.8, "-120,00 €")]])
    got, _ = fields(p)
    assert got["BT-3"] == "381" and got["BT-1"] == "AV-7" and got["BT-25"] == "F-6"
    assert (got["BT-109"], got["BT-110"], got["BT-112"]) == (Decimal("100.00"), Decimal("20.00"), Decimal("120.00"))


def test_negative_totals_on_an_invoice_are_flagged():
    p = page([[(0.1, "FACTURE N° F-7")], [(0.1, "Date : 03/02/2026")],
              [(0.5, "Total HT"), (0.8, "-100,00 €")], [(0.5, "TVA 20 %"), (0.8, "-20,00 €")],
              [(0.5, "Total TTC"), (0.8, "-120,00 €")]])
    _, res = fields(p)
    assert res.needs_review and {"BT-3", "BT-112"} <= res.flagged()


def test_the_date_order_comes_from_the_documents_own_dates():
    english = [[(0.1, "INVOICE")], [(0.1, "Invoice no: 12")], [(0.1, "Date: 03/04/2026")], [(0.1, "Due date: 25/04/2026")]]
    got, _ = fields(page(english))
    assert got["BT-2"] == _dt.date(2026, 4, 3)  # 25/04 can only be day-first: so is 03/04
    us = [[(0.1, "INVOICE")], [(0.1, "Invoice no: 12")], [(0.1, "Date: 03/04/2026")], [(0.1, "Total: $120.00")]]
    got, _ = fields(page(us))
    assert got["BT-2"] == _dt.date(2026, 3, 4)  # nothing says: month-first for a US-dollar document
    assert normalize.month_first_votes("12/25/2026 and 01/02/2026") == (0, 1)


def test_a_tiny_fragment_is_not_the_company_name():
    assert extract._similar("h", "Groupe Hôtelier Beaulieu SAS") < 0.5
    assert extract._similar("Groupe Hôtelier", "Groupe Hôtelier Beaulieu SAS") >= 0.85


def test_company_name_wrapped_over_two_lines_is_one_buyer():
    p = page([[(0.1, "Client")], [(0.1, "Groupe Hôtelier")], [(0.1, "Beaulieu SAS")]])
    got, res = fields(p, company_name="Groupe Hôtelier Beaulieu SAS", company_siren="732829320")
    assert got["BT-44"] == "Groupe Hôtelier Beaulieu SAS"
    assert not any(f["rule"] == "OCR-AMBIGUOUS" and "BT-44" in f["fields"] for f in res.findings)


def test_iban_needs_an_iban_country():
    assert normalize.ibans_in("BU51NESSQUA11TYEXCHANGE201") == []
    assert normalize.ibans_in("IBAN FR76 3000 6000 0112 3456 7890 189")[0][0] == "FR7630006000011234567890189"


def test_the_directory_spelling_and_not_a_brand_is_the_supplier_name():
    rows = [[(0.1, "NOVATEK")], [(0.1, "SAS. Martin & Fils")], [(0.1, "FACTURE N° F-1")],
            [(0.1, "SAS. Martin & Fils - S.A.S. au capital de 10 000 € - RCS Lyon 732 829 320")]]
    got, res = fields(page(rows), directory_name={"732829320": "S.A.S. Martin & Fils"}.get)
    assert got["BT-27"] == "S.A.S. Martin & Fils" and res.fields["BT-27"].confidence >= 0.9


def test_a_zero_vat_is_trusted_only_when_the_document_says_why():
    base = [[(0.1, "FACTURE N° F-1")], [(0.1, "Date : 03/02/2026")], [(0.5, "Total HT"), (0.8, "500,00 €")],
            [(0.5, "Net à payer"), (0.8, "500,00 €")]]
    _, silent = fields(page(base))
    assert "BT-110" in silent.flagged()
    _, said = fields(page(base + [[(0.1, "TVA non applicable, art. 293 B du CGI")]]))
    assert said.value("BT-110") == Decimal(0) and "BT-110" not in said.flagged()


def test_a_receipt_reference_is_proposed_only_for_review():
    p = page([[(0.1, "PAYMENT RECEIPT")], [(0.5, "Booking ID")], [(0.5, "IBZY2087")], [(0.1, "Date: 31/12/2025")]])
    got, res = fields(p)
    assert got["BT-1"] == "IBZY2087" and "BT-1" in res.flagged()
    with_number = page([[(0.1, "INVOICE")], [(0.1, "Invoice no: 7701")], [(0.5, "Booking ID")], [(0.5, "IBZY2087")]])
    assert fields(with_number)[0]["BT-1"] == "7701"


def test_lines_read_their_designation_from_its_column():
    p = page([[(0.05, "Pos."), (0.15, "Menge"), (0.25, "Beschreibung"), (0.75, "Zeilenbetrag")],
              [(0.05, "1"), (0.15, "2"), (0.25, "Exchange mailbox"), (0.8, "7,78")]])
    ex = extract.extract([p])
    assert [(ln["name"], ln["netAmount"]) for ln in ex.lines] == [("Exchange mailbox", Decimal("7.78"))]


def test_flatten_removes_uneven_lighting_but_keeps_the_ink():
    import numpy as np
    from PIL import Image

    from einvoice.ocr.preprocess import flatten

    h, w = 400, 300
    paper = np.linspace(120, 230, w, dtype=np.float32)[None, :].repeat(h, axis=0)  # a shadow across the page
    a = paper.copy()
    a[100:110, 20:280] = paper[100:110, 20:280] * 0.2  # a line of ink, as dark relative to its paper
    out = np.asarray(flatten(Image.fromarray(a.astype(np.uint8))), dtype=np.float32)
    assert a[200, 290] - a[200, 10] > 100  # before: 110 grey levels between the two sides of the paper
    assert out[200, 40:].min() > 235 and out[200, :40].min() > 220  # after: white (a little less at the border)
    assert out[105, 30] < 70 and out[105, 270] < 70  # ink is dark on both sides


def test_a_credit_note_whose_title_was_not_read_is_flagged():
    # the title sat white on a dark band and was lost; the body still says what the document is
    p = page([[(0.1, "N° AV-7")], [(0.1, "Date : 03/02/2026")], [(0.1, "Avoir sur facture n° F-6 du 02/01/2026")],
              [(0.5, "Total HT"), (0.8, "100,00 €")], [(0.5, "TVA 20 %"), (0.8, "20,00 €")],
              [(0.5, "Total TTC"), (0.8, "120,00 €")]], top=0.4)  # no title in the page's head
    got, res = fields(p)
    assert got["BT-3"] == "380" and "BT-3" in res.flagged() and res.needs_review


def test_rule_characters_split_cells_and_are_dropped():
    words = [Word(t, 0.9, 1, (x0, 0.1, x1, 0.112)) for t, x0, x1 in
             (("|", 0.09, 0.092), ("Total", 0.1, 0.14), ("HT", 0.145, 0.165), ("|", 0.17, 0.172), ("TVA", 0.178, 0.2),
              ("120,00€|", 0.205, 0.26))]
    rows = build_lines(words)
    assert [s.text for s in rows[0].segments] == ["Total HT", "TVA 120,00€"]


def test_remove_rules_erases_table_borders_not_text():
    import numpy as np
    from PIL import Image, ImageDraw

    from einvoice.ocr.preprocess import remove_rules

    img = Image.new("L", (2000, 600), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((100, 100, 1900, 400), outline=0, width=3)  # a table frame
    d.line((1000, 100, 1000, 400), fill=0, width=3)  # a column rule
    d.rectangle((300, 200, 330, 260), fill=0)  # the stem of a 20-pt capital at 300 dpi (60 px): kept
    out = np.asarray(remove_rules(img))
    assert out[100, 500] == 255 and out[250, 1000] == 255 and out[250, 100] == 255
    assert out[230, 315] == 0


def test_dotted_leaders_are_erased_but_small_lowercase_text_is_kept():
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from einvoice.invoicing.render import TEMPLATE_DIR
    from einvoice.ocr.preprocess import remove_rules

    img = Image.new("L", (2000, 300), 255)
    d = ImageDraw.Draw(img)
    for k in range(60):  # "Total HT ........ 1 234,56": 5-px dots every 10 px
        d.rectangle((300 + 10 * k, 100, 304 + 10 * k, 104), fill=0)
    font = ImageFont.truetype(str(TEMPLATE_DIR / "fonts" / "DejaVuSans.ttf"), 22)  # ~6.5 pt at 240 dpi
    d.text((300, 200), "nomenclature encore remarquer one more", fill=0, font=font)  # few ascenders
    before = np.asarray(img)
    out = np.asarray(remove_rules(img))
    assert (out[95:110, 290:910] < 128).sum() == 0  # the leader is gone
    text_before = (before[190:240] < 128).sum()
    assert (out[190:240] < 128).sum() >= 0.97 * text_before  # the small text is intact


def test_identifiers_cut_by_a_line_break_are_joined():
    # a centred footer wrapped by the page width, once inside the VAT number, once inside the SIRET
    vat_cut = page([[(0.1, "FACTURE N° F-1")],
                    [(0.1, "Mercier SARL - SARL au capital de 1 000 € - RCS Lyon 732 829 320 - N° TVA : FR44")],
                    [(0.4, "732829320")]])
    assert {c.value for c in extract.extract([vat_cut]).fields["BT-31"]} == {"FR44732829320"}
    siret_cut = page([[(0.1, "FACTURE N° F-1")], [(0.1, "Mercier SARL - SARL au capital de 1 000 € - SIRET 732 829")],
                      [(0.3, "320 00017 - N° TVA : FR44732829320")]])
    assert {c.value for c in extract.extract([siret_cut]).fields["BT-29"]} == {"73282932000017"}


def test_a_legal_mention_without_a_name_gives_no_supplier_name():
    p = page([[(0.1, "INVOICE")], [(0.1, "Registered in Marseille, SIREN 732 829 320 - VAT FR44732829320")]])
    ex = extract.extract([p])
    assert not any(n.startswith("Registered") for n in (c.value for c in ex.fields.get("BT-27", [])))


def test_a_total_ht_taken_from_the_lines_is_not_confirmed_by_the_same_lines():
    p = page([[(0.1, "FACTURE N° F-1")], [(0.1, "Date : 03/02/2026")],
              [(0.1, "Désignation"), (0.5, "Qté"), (0.6, "Prix"), (0.8, "Montant")],
              [(0.1, "Audit"), (0.5, "1"), (0.6, "600,00"), (0.8, "600,00")],
              [(0.1, "Formation"), (0.5, "1"), (0.6, "414,96"), (0.8, "414,96")],
              [(0.5, "Montant TTC"), (0.8, "1 014,96 €")]])
    got, res = fields(p)
    assert got["BT-109"] == Decimal("1014.96")  # the only evidence: lines summing to the total, no VAT read
    assert {"BT-109", "BT-110"} <= res.flagged() and res.needs_review


def test_a_misread_supplier_name_is_replaced_by_the_directory_name_for_review():
    rows = [[(0.1, "EP LS")], [(0.1, "FACTURE N° F-1")], [(0.1, "SIREN : 732 829 320")]]
    got, res = fields(page(rows), directory_name={"732829320": "Atelier Robert SARL"}.get)
    assert got["BT-27"] == "Atelier Robert SARL" and "BT-27" in res.flagged()


def test_labels_match_when_ocr_drops_their_spaces():
    p = page([[(0.1, "FACTURE N° F-1")], [(0.1, "Emisele : 16/04/2026")], [(0.5, "TotalHT"), (0.8, "100,00 €")],
              [(0.5, "TVA 20 %"), (0.8, "20,00 €")], [(0.5, "Netàpayer"), (0.8, "120,00 €")]])
    got, _ = fields(p)
    assert got["BT-2"] == _dt.date(2026, 4, 16) and got["BT-109"] == Decimal("100.00")
    assert got["BT-115"] == Decimal("120.00")


def test_a_section_or_column_heading_is_no_supplier_name():
    p = page([[(0.1, "PAYMENT RECEIPT")], [(0.1, "Hotel Details"), (0.4, "Check In"), (0.6, "Rooms")],
              [(0.1, "Résidence du Parc"), (0.4, "31/12/2025"), (0.6, "1")]])
    names = {c.value for c in extract.extract([p]).fields.get("BT-27", [])}
    assert not names & {"Hotel Details", "Check In", "Rooms"}  # a heading row: its cells are column titles
    for heading in ("Détails de la commande", "Informations client", "Récapitulatif", "Description"):
        assert not extract._name_value(heading), heading
    for name in ("Atelier Martinez SARL", "Retail Details Ltd", "Design Particulars SAS"):
        assert extract._name_value(name) == name
