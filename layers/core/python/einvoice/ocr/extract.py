"""From positioned words to invoice fields keyed by EN 16931 business term, with a confidence each.

The same logic runs after every reader (PDF text layer, Tesseract, Textract); no template.

1. **Labels** (``LABELS``): FR/EN dictionaries with synonyms (and common DE/NL ones), matched on
   accent-folded text of row segments. A label's value is looked for, in order, after it in the
   same segment, in the next segment of the row, then below it in the same column (header/value
   layouts) -- each step lowers the score a little.
2. **Patterns with check digits** anywhere on the page: SIREN/SIRET (Luhn, La Poste rule), French
   VAT numbers (key), IBAN (mod 97). The company receiving the invoice is known, so its own
   identifiers are told apart from the supplier's.
3. **Tables**: a header row naming at least two columns (designation, quantity, unit price, VAT,
   amount) opens the line table; rows with an amount under the amount column are lines.
4. **VAT breakdown**: rows with a rate (``20 %``) and one or two amounts.

Confidences start from the reader's word confidence (1.0 for a text layer) times the label and
position scores; ``checks.cross_check`` then raises or lowers them.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from einvoice.ocr import normalize as n
from einvoice.ocr.layout import Box, Page, Row, Segment, union

# ------------------------------------------------------------------------------ label dictionaries
# (pattern on folded text, score). Longer/more specific labels score higher; the best label wins
# a segment, so "Total HT" is never taken for "Total".
_NO = r"(?:n[°ºo]\.?|no\.?|nr\.?|num\.?|numero|number|#)"
LABELS: dict[str, list[tuple[str, float]]] = {
    "BT-1": [
        (rf"(?:{_NO}|reference|ref\.?)\s*(?:de\s+)?(?:la\s+|l')?(?:facture|d'avoir|avoir|note de credit|piece)", 1.0),
        (rf"(?:facture|avoir|invoice|credit note|credit memo|note de credit|bill|rechnung|factuur|piece)\s*{_NO}", 1.0),
        (rf"^(?:facture|avoir|invoice|credit note|note de credit)(?: [a-z']+){{1,3}}\s*{_NO}", 1.0),
        (r"invoice\s*(?:number|no\.?|#|id|ref(?:erence)?)", 1.0), (r"rechnungs-?\s?(?:nr|nummer)\.?", 1.0),
        (r"factuurnummer", 1.0), (r"ref(?:erence)?\.? (?:de la )?facture", 0.9),
        (rf"^{_NO}(?=\s|\d|:|$)", 0.8), (r"^(?:reference|ref\.?)(?=\s*:|\s*$)", 0.6),
        (r"^(?:facture|invoice|avoir)(?=\s+[a-z0-9/_-]*\d)", 0.75),
    ],
    "BT-2": [
        (r"date (?:d'|de l'|de |du )?(?:emission|facturation|(?:la )?facture)", 1.0), (r"invoice date|date of invoice", 1.0),
        (r"date of (?:issue|invoice)", 1.0), (r"issue date|date issued|billing date|issued on|date d'edition", 1.0),
        (r"rechnungsdatum|factuurdatum", 1.0), (r"fait le|emise? le|facture le|etablie? le", 0.9),
        (r"^date\s*:?(?=\s*(?:$|\d|[a-z]+\.?\s+\d))", 0.95),
        (r"^(?:date|le)(?!\s*(?:d'|de\s)?(?:echeance|limite|livraison|d'execution|due|of delivery|de commande|commande|"
         r"de la prestation|de paiement|de reglement))\b", 0.75),
        (rf"(?:facture|invoice|avoir|note de credit|credit note)(?: [a-z']+){{0,3}}\s*(?:{_NO}\s*)?\S*\s+(?:du|of|dated)(?=\s)",
         0.85),
    ],
    "BT-9": [
        (r"date (?:d'|de l')?echeance|echeance(?: de paiement)?|date limite de (?:paiement|reglement)", 1.0),
        (r"a ?(?:payer|regler) (?:avant le|avant|au plus tard le|le)|payable (?:le|avant le|au plus tard le)", 1.0),
        (r"due date|date due|payment due(?: date| by| on)?|due by|due on|pay by|payable by|to be paid by", 1.0),
        (r"payable (?:before|on)", 0.9), (r"^due\b(?!\s*(?:on receipt|upon))", 0.8), (r"faellig|fallig(?:keit)?|vervaldatum", 1.0),
    ],
    "BT-109": [
        (r"(?:sous-?\s?)?total (?:net )?h\.?\s?t\.?(?![a-z])|montant (?:total |net )?h\.?\s?t\.?(?![a-z])|"
         r"total hors tax|total net ht|total net hors tax", 1.0),
        (r"sous[- ]?total|sub-?\s?total|subtotaal", 0.9),
        (r"total (?:excl|excluding|before|net of|w/o|without|ex)\.?\s*(?:vat|tax|tva)", 1.0),
        (r"(?:total )?net amount|net total|total net|exclusief btw|nettobetrag|summe netto|taxable amount", 0.9),
        (r"^(?:base|montant|total) h\.?\s?t\.?(?![a-z])|^base (?:imposable|ht)", 0.85),
    ],
    "BT-110": [
        (r"(?:total|montant) (?:de la |des |total (?:de la |des )?)?(?:t\.?v\.?a\.?|taxes?)(?![a-z])|total (?:vat|tax)|"
         r"tax total|vat total|total taxes|vat amount|tax amount|sales tax", 1.0),
        (r"^(?:t\.?v\.?a\.?|vat|tax|btw|mwst|ust)(?![a-z])(?!.*\d\s?%)", 0.75),
        (r"^(?:t\.?v\.?a\.?|vat|tax)(?![a-z])", 0.6), (r"^taxes\b", 0.7),
    ],
    "BT-112": [
        (r"(?:total|montant) (?:total )?(?:net )?t\.?\s?t\.?\s?c\.?|total toutes taxes|montant toutes taxes|"
         r"total (?:incl|including|with|inc)\.?\s*(?:vat|tax|tva)|total tva comprise", 1.0),
        (r"grand total|invoice total|total amount|total for this invoice|gesamtbetrag|totaal|total facture|gross total|"
         r"total general|total de la facture|montant total", 0.9),
        (r"^total\b(?!\s*(?:h\.?t|ht|tva|t\.v\.a|vat|tax|des lignes|lines|net|excl|hors|du|de la|a reporter|reporte))", 0.7),
    ],
    "BT-115": [
        (r"net a payer|reste a payer|montant a (?:payer|regler)|somme a payer|solde a payer|total a (?:payer|regler)|"
         r"solde du|reste du|a regler|net a regler", 1.0),
        (r"amount due|balance due|total due|amount payable|total amount due|balance to pay|please pay|zu zahlen|"
         r"te betalen|amount to pay", 1.0),
        (r"montant du prelevement", 0.8),
    ],
    "BT-106": [(r"total des lignes|total lignes|sum of lines|line total", 1.0)],
    "BT-25": [(r"facture (?:d'origine|initiale|precedente|rectifiee|annulee|de reference)|avoir sur (?:la )?facture|"
               r"original invoice|(?:credit|refers)(?: note)? (?:for|to|against) invoice|ref(?:erence)?\.? facture "
               r"(?:initiale|d'origine)|annule et remplace (?:la )?facture|credit for invoice|refers to invoice", 1.0)],
    "BT-27": [
        (r"^(?:vendeur|fournisseur|emetteur|prestataire|seller|supplier|vendor|sold by|from)\b\s*:?", 1.0),
        (r"titulaire du compte|account holder|beneficiaire", 0.8),
    ],
    "BT-44": [
        (r"^(?:client|acheteur|destinataire|buyer|customer|bill to|billed to|invoice to|sold to|factur[eé] a|"
         r"facturer a|adresse a)\b\s*:?", 1.0),
        (r"^(?:adresse de facturation|billing address)\b", 0.9),
    ],
    # labels whose value is not read here (deposits, running totals, other parties, identifiers): they
    # win a segment like any label, so their amounts and dates are not taken for another field's
    "OTHER": [
        (r"(?:sous-?\s?)?total (?:ht )?a reporter|total ht reporte|^report(?:e| page precedente)?\b|carried forward|"
         r"brought forward|balance [bc]/f|carried over", 1.0),
        (r"acompte|deja regle|reglement recu|deposit|paid to date|payment received|advance payment|avance", 1.0),
        (r"date (?:de )?(?:livraison|commande|la prestation|d'execution)|livre le|delivery date|date of supply|"
         r"shipped|periode|service period|order date", 1.0),
        (r"(?:code|n[°º]|numero|compte|ref(?:erence)?\.?) client|customer (?:id|no|number|code)|account no|your ref|"
         r"votre (?:reference|commande)|commande|bon de (?:commande|livraison)|purchase order|po number|order ref", 1.0),
        (r"adresse de livraison|livrer a|lieu d'intervention|ship to|deliver to|site address", 1.0),
    ],
    "SIREN": [(r"\bsiren\b|\brcs\b|\brc\b|r\.c\.s\.?|registre du commerce|immatricul", 1.0), (r"\bsiret\b", 1.0)],
    "VAT": [(r"(?:n[°º]|numero|num\.?|identifiant|id\.?)\s*(?:de\s+)?tva|tva intra(?:communautaire|com)?|"
             r"vat (?:number|no|reg|id)|intra-eu vat|ust-?id|btw-?nr", 1.0)],
}
# the document's own reference, proposed (flagged) only when no invoice number is printed at all
FALLBACK_NUMBER = re.compile(r"^(?:booking|reservation|receipt|recu|order|commande|dossier|transaction)\s*"
                             r"(?:id|no\.?|number|ref(?:erence)?|n[°º]|#)\s*:?$")
# spaces inside a label are optional: OCR drops them in small print ("Emisele", "Totalà payer")
_COMPILED = {k: [(re.compile(p.replace(" ", " ?")), s) for p, s in v] for k, v in LABELS.items()}
_ANY_LABEL = re.compile("|".join(f"(?:{p})" for v in LABELS.values() for p, _ in v))

TITLE_CREDIT = re.compile(r"\b(?:avoir|facture d'avoir|note de credit|credit note|credit memo|gutschrift|creditnota)\b")
TITLE_INVOICE = re.compile(r"\b(?:facture|invoice|rechnung|factuur|bill|receipt|recu|quittung)\b")
TABLE_HEADERS = {
    "name": r"designation|description|libelle|article|produit|prestation|item|product|service|beschreibung|omschrijving|artikel",
    "quantity": r"\bqte\b|quantite|\bqty\b|quantity|\bnombre\b|\bnb\b|menge|aantal|\bunits?\b",
    "price": r"\bp\.?u\.?\b|prix unitaire|unit price|\bprix\b|\bprice\b|\brate\b|tarif|vk-preis|einzelpreis|prijs",
    "vat": r"\btva\b|\bvat\b|\btax(?:es)?\b|\bbtw\b|mwst",
    "amount": r"montant|\btotal\b|amount|\bbetrag\b|zeilenbetrag|bedrag",
}
_TABLE_END = re.compile(r"total|sous-total|subtotal|recapitulatif|net a payer|montant (?:ht|ttc)|tva \d|bitte|merci")
_LEGAL_WORDS = re.compile(r"\b(?:au capital|capital social|share capital|siren|siret|rcs|r\.c\.s)\b")


@dataclass
class Candidate:
    value: Any
    conf: float
    page: int
    box: Box
    source: str = "label"

    def key(self) -> str:
        return str(self.value)


@dataclass
class Context:
    """What is known about the receiving company (the buyer) and the reference data."""

    company_siren: str | None = None
    company_name: str | None = None
    directory_name: Callable[[str], str | None] | None = None  # SIREN -> legal name, None when unknown
    today: _dt.date = field(default_factory=_dt.date.today)


@dataclass
class Extraction:
    fields: dict[str, list[Candidate]] = field(default_factory=dict)
    vat_rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    english: bool = False
    mdy: bool = False  # numeric dates are month-first (03/25/2026): from the document's own dates, else USD

    def add(self, bt: str, cand: Candidate) -> None:
        self.fields.setdefault(bt, []).append(cand)


# ------------------------------------------------------------------------------ value parsers
# what a legal mention starts with when it carries no name ("Registered in Lyon, SIREN ...")
_NOT_A_NAME = re.compile(r"^(?:registered|immatricul|company (?:no|number)|rcs|r\.c\.s|siren|siret|n[°º]|tva|vat|"
                         r"capital|with a share|au capital|numero|identifiant)")
# a section or column heading ("Hotel Details", "Informations client", "Récapitulatif") is no party's name
_HEADING = re.compile(r"(?:^|\s)(?:details?|informations?|summary|recapitulatif|coordonnees|description|"
                      r"designation|particulars)\s*:?$|^(?:details?|informations?|coordonnees|recapitulatif)\b")


def _date_parser(english: bool) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        found = n.dates_in(text, prefer_mdy=english)
        return found[0][0] if found else None

    return parse


def _amount_value(text: str) -> Any:
    found = [a for a in n.amounts_in(text) if a[2]]
    if not found:  # a whole number ("1 200") only when it is all the piece says, not "art. 293 B du CGI"
        if not re.fullmatch(r"[\s:=]*(?:(?:rs\.?|[a-z]{3}|[€$£₹])\s?)?[-\u2212]?[\d\s.,'\u00a0\u202f]+(?:[a-z]{3}|[€$£₹])?\s*",
                            text, flags=re.I):
            return None
        found = n.amounts_in(text)
    if not found or n.dates_in(text):
        return None if not found else (found[-1][0] if not n.dates_in(text) else None)
    return found[-1][0]  # the rightmost amount of the piece (labels come first)


_NUMBER_TOKEN = re.compile(r"[A-Za-z0-9#][A-Za-z0-9_/.\-]*")


def _number_value(text: str) -> Any:
    t = re.sub(r"^\s*[:.#]?\s*(?:n[°ºo]\.?|no\.?|nr\.?)?\s*[:#]?\s*", "", text, flags=re.I)
    for tok in _NUMBER_TOKEN.findall(t)[:2]:
        tok = n.clean_number(tok)
        if len(tok) < 3 or len(tok) > 35 or not any(c.isdigit() for c in tok):
            continue
        dates = n.dates_in(tok)
        if (dates and dates[0][1][1] - dates[0][1][0] >= len(tok) - 1) or re.fullmatch(r"\d{1,2}[.,]\d{2}", tok):
            continue
        return tok
    return None


def _name_value(text: str) -> Any:
    t = text.strip().lstrip(":").strip()
    folded = n.fold(t)
    if t.endswith(":") or re.match(r"^[^:]{1,25}:\s", t) or len(t) < 2 or len(t) > 80 or sum(c.isalpha() for c in t) < 2:
        return None
    if _ANY_LABEL.search(folded) and len(folded) < 25:
        return None
    if re.match(r"^\d", t) or "@" in t or re.search(r"\b(?:rue|avenue|boulevard|street|st\.|road)\b", folded):
        return None
    if _NOT_A_NAME.match(folded) or _HEADING.search(folded):
        return None
    return t


# ------------------------------------------------------------------------------ label/value pairing
def _label_hits(seg: Segment) -> list[tuple[str, float, int]]:
    """The label a segment starts with: (field, score, end of the label in the folded text).

    Per field the best pattern wins (score, then length); across fields the *longest* match wins
    ("Total TVA" over "Total", "N° TVA intracom." over "N°", "Sous-total à reporter" over
    "Sous-total"), so a specific wording is never taken for a generic one. A number and a date may
    share a segment ("Facture n° 12 du 03/02/2026"); a credited-invoice label excludes both.
    """
    folded = n.fold(seg.text)
    found = []
    for bt, patterns in _COMPILED.items():
        window = 3 + (len(folded) // 3 if bt in ("BT-1", "BT-2", "BT-25") else 0) + (10 if bt == "OTHER" else 0)
        best = None
        for rx, score in patterns:
            m = rx.search(folded)
            if m and m.start() <= window:
                cand = (score, m.end() - m.start(), m.end())
                if best is None or cand[:2] > best[:2]:
                    best = cand
        if best:
            found.append((bt, *best))
    if not found:
        return []
    if any(f[0] == "BT-25" for f in found):
        found = [f for f in found if f[0] not in ("BT-1", "BT-2")]
    found.sort(key=lambda f: (-f[2], -f[1]))
    winner = found[0]
    keep = [winner] + [f for f in found[1:] if {f[0], winner[0]} == {"BT-1", "BT-2"}]
    return [(bt, score, end) for bt, score, _, end in keep]


def _words_box(seg: Segment, start_char: int) -> tuple[Box, float]:
    """Box and min confidence of the words of ``seg`` from character ``start_char`` on."""
    pos, words = 0, []
    for w in seg.words:
        if pos + len(w.text) > start_char:
            words.append(w)
        pos += len(w.text) + 1
    words = words or seg.words
    return union(w.box for w in words), min(w.conf for w in words)


def _value_words(seg: Segment, text: str, start: int, value_text: str) -> tuple[Box, float]:
    idx = text.find(value_text, start) if value_text else -1
    return _words_box(seg, idx if idx >= 0 else start)


def _below(rows: list[Row], seg: Segment, depth: int = 3) -> list[tuple[Segment, float]]:
    """Segments under ``seg`` that overlap it horizontally, nearest first."""
    out = []
    x0, _, x1, _ = seg.box
    for k in range(1, depth + 1):
        r = seg.row + k
        if r >= len(rows):
            break
        for s in rows[r].segments:
            sx0, _, sx1, _ = s.box
            overlap = min(x1, sx1) - max(x0, sx0)
            if overlap > 0.3 * min(x1 - x0, sx1 - sx0) or abs(sx0 - x0) < 0.02:
                out.append((s, 0.93 - 0.05 * (k - 1)))
                break
            # the value beside the label, read a little lower (a skewed or photographed page)
            if k == 1 and x1 - 0.005 <= sx0 <= x1 + 0.06 and s.box[1] - seg.box[3] < seg.box[3] - seg.box[1]:
                out.append((s, 0.9))
                break
    return out


PARSERS: dict[str, str] = {"BT-25": "number", "BT-26": "date", "BT-1": "number", "BT-2": "date", "BT-9": "date", "BT-109": "amount", "BT-110": "amount",
                           "BT-112": "amount", "BT-115": "amount", "BT-106": "amount", "BT-27": "name",
                           "BT-44": "name"}


def _parsers(ex: Extraction) -> dict[str, Callable[[str], Any]]:
    return {"number": _number_value, "date": _date_parser(ex.mdy), "amount": _amount_value, "name": _name_value}


def _label_rows(page: Page, ex: Extraction) -> set[int]:
    """A row of labels with their values in the row below, column by column ("N° | Date | Échéance"
    over "F-12 | 03/02/2026 | 05/03/2026", "Total HT | TVA | Total TTC" over three amounts). Returns
    the rows handled."""
    parse = _parsers(ex)
    done: set[int] = set()
    for row in page.rows:
        labelled = [(seg, hits) for seg in row.segments if (hits := _label_hits(seg))
                    and not n.fold(seg.text)[hits[0][2]:].strip(" :.-#")]  # the label alone, its value elsewhere
        if len(labelled) < 2 or len(labelled) < len(row.segments) - 1 or row.index + 1 >= len(page.rows):
            continue
        if any(a[2] for a in n.amounts_in(row.text)) or n.dates_in(row.text) or _is_table_header(row):
            continue  # the values are beside their labels, or a line table's header
        below = page.rows[row.index + 1]
        if below.box[1] - row.box[3] > 3 * (row.box[3] - row.box[1]):
            continue
        done.add(row.index)
        for seg, hits in labelled:
            best, best_overlap = None, 0.0
            for cand in below.segments:
                overlap = min(seg.box[2], cand.box[2]) - max(seg.box[0], cand.box[0])
                if overlap > best_overlap:
                    best, best_overlap = cand, overlap
            if best is None:
                continue
            for bt, score, _ in hits:
                kind = PARSERS.get(bt)
                value = parse[kind](best.text) if kind else None
                if bt == "BT-1" and score < 0.9 and _near_title(page, row, seg):
                    score = 0.95
                if value is not None:
                    ex.add(bt, Candidate(value, best.conf * score, page.number, best.box, "column"))
    return done


def _pair_labels(page: Page, ex: Extraction, skip: set[int] = frozenset()) -> None:
    parse = _parsers(ex)
    for row in page.rows:
        if row.index in skip:
            continue
        header_row = _is_table_header(row) or (
            sum(1 for x in row.segments if _label_hits(x)) >= 2 and not any(a[2] for a in n.amounts_in(row.text))
            and bool(re.search(r"\b(?:base|taux|rate|montant|amount)\b", n.fold(row.text))))
        for si, seg in enumerate(row.segments):
            hits = _label_hits(seg)
            if not hits:
                continue
            text = seg.text
            folded = n.fold(text)
            for bt, score, end in hits:
                kind = PARSERS.get(bt)
                if kind is None or header_row:
                    continue
                fn = parse[kind]
                rest = text[end:] if len(folded) == len(text) else text[len(text) - len(folded[end:]):]
                tried: list[tuple[Segment, str, float, int]] = []
                if rest.strip(" :.-"):
                    tried.append((seg, rest, 1.0, end))
                if si + 1 < len(row.segments):
                    nxt = row.segments[si + 1]
                    if not _label_hits(nxt) or kind == "name":
                        tried.append((nxt, nxt.text, 0.97, 0))
                beside_labels = (si + 1 < len(row.segments) and bool(_label_hits(row.segments[si + 1]))) or (
                    si > 0 and bool(_label_hits(row.segments[si - 1])))
                if kind != "amount" or (not tried and score >= 0.9 and not beside_labels):
                    tried += [(s, s.text, f, 0) for s, f in _below(page.rows, seg)]
                if kind == "date" and tried and tried[0][0] is seg:  # "17 janvier" / "2026" wrapped in a narrow box
                    nxt_row = _below(page.rows, seg, depth=1)
                    if nxt_row and len(nxt_row[0][0].text) <= 12:
                        tried.insert(1, (seg, rest + " " + nxt_row[0][0].text, 0.95, end))
                for s, piece, pos_score, start in tried:
                    if s is not seg and s.row != seg.row and any(h[0] != bt for h in _label_hits(s)):
                        continue  # another field's label and its value ("Pay by: 19.06.2026" under "Date:")
                    value = fn(piece)
                    if value is None:
                        continue
                    if kind == "name" and s is not seg and _label_hits(s) and not rest.strip(" :"):
                        continue
                    box, conf = _value_words(s, s.text, start, str(piece).strip()[:3])
                    if bt == "BT-1" and score < 0.9 and _near_title(page, row, seg):
                        score = 0.95
                    ex.add(bt, Candidate(value, conf * score * pos_score, page.number, box))
                    break


def _preceding_dates(pages: list[Page], ex: Extraction) -> None:
    """BT-26: the date written after the preceding invoice's number ("... F-12 du 26/09/2026")."""
    for c in ex.fields.get("BT-25", []):
        for page in pages:
            for row in page.rows:
                text = row.text
                i = text.find(str(c.value))
                if page.number == c.page and i >= 0:
                    found = n.dates_in(text[i + len(str(c.value)):], prefer_mdy=ex.mdy)
                    if found:
                        ex.add("BT-26", Candidate(found[0][0], c.conf, page.number, c.box))
                        return


_BARE_NO = re.compile(rf"^{_NO}\s*:?")


def _near_title(page: Page, row: Row, seg: Segment | None = None) -> bool:
    """A bare "N°" in the header of a page titled "Facture" / "Invoice" / "Avoir" (its top 40 %, above
    the lines) is the document's number label."""
    if row.box[1] > 0.4 or (seg is not None and not _BARE_NO.match(n.fold(seg.text))):
        return False
    return any(TITLE_INVOICE.search(n.fold(r.text)) or TITLE_CREDIT.search(n.fold(r.text))
               for r in page.rows if r.box[1] < 0.35 and len(r.text) < 60)


# ------------------------------------------------------------------------------ patterns anywhere
def _wrapped_identifiers(page: Page, ex: Extraction, ctx: Context) -> None:
    """An identifier cut by a line break in a narrow footer ("N° TVA : FR93" / "721837458",
    "SIRET 567 892" / "690 96864"): the end of a row joined to the start of the next, and only a match
    that crosses the break is kept (the rest was read row by row)."""
    for row, nxt in zip(page.rows, page.rows[1:], strict=False):
        if not row.segments or not nxt.segments or nxt.box[1] - row.box[3] > (row.box[3] - row.box[1]) * 1.5:
            continue
        head, tail = row.segments[-1], nxt.segments[0]
        joined = head.text + " " + tail.text
        cut = len(head.text)
        conf = min(head.conf, tail.conf) * 0.9
        box = union([head.box, tail.box])
        for vat, (a, b) in n.vat_numbers_in(joined):
            if a < cut < b:
                own = ctx.company_siren and vat.endswith(ctx.company_siren)
                ex.add("BT-48" if own else "BT-31", Candidate(vat, conf, page.number, box, "pattern"))
        if re.search(r"siren|siret|rcs|r\.c\.s|registre|immatricul", n.fold(row.text)):
            for kind, value, (a, b) in n.sirens_in(joined):
                if a < cut < b:
                    bt = "BT-47" if ctx.company_siren and value[:9] == ctx.company_siren else "BT-30"
                    ex.add(bt, Candidate(value[:9], conf, page.number, box, "pattern"))
                    if kind == "SIRET":
                        ex.add("BT-29" if bt == "BT-30" else "BT-46", Candidate(value, conf, page.number, box, "pattern"))


def _scan_patterns(page: Page, ex: Extraction, ctx: Context) -> None:
    _wrapped_identifiers(page, ex, ctx)
    for row in page.rows:
        for seg in row.segments:
            text = seg.text
            folded = n.fold(text)
            for kind, value, span in n.sirens_in(text):
                context = n.fold(row.text)
                labelled = bool(re.search(r"siren|siret|rcs|r\.c\.s|registre|immatricul", context))
                if not labelled:
                    continue
                box, conf = _words_box(seg, span[0])
                siren = value[:9]
                bt = "BT-47" if ctx.company_siren and siren == ctx.company_siren else "BT-30"
                ex.add(bt, Candidate(siren, conf, page.number, box, source="pattern"))
                if kind == "SIRET":
                    ex.add("BT-29" if bt == "BT-30" else "BT-46", Candidate(value, conf, page.number, box, "pattern"))
            for vat, span in n.vat_numbers_in(text):
                box, conf = _words_box(seg, span[0])
                own = ctx.company_siren and vat.endswith(ctx.company_siren)
                ex.add("BT-48" if own else "BT-31", Candidate(vat, conf, page.number, box, source="pattern"))
            for iban, span in n.ibans_in(text):
                box, conf = _words_box(seg, span[0])
                ex.add("BT-84", Candidate(iban, conf, page.number, box, source="pattern"))
            # legal footer: "<name> SAS au capital ... RCS" / "<name> · SIREN ..."
            m = _LEGAL_WORDS.search(folded)
            if m and not _label_hits(Segment(seg.words[:1])):
                head = re.split(r"\s[·:|,\-–—]\s|\s-\s|,", text[:m.start()])[0].strip(" ·:-,")
                head = re.sub(r"\b(?:au capital.*|capital.*)$", "", head, flags=re.I).strip()
                name = _name_value(head) if not (_LEGAL_FORM.fullmatch(n.fold(head))
                                                 or _NOT_A_NAME.match(n.fold(head))) else None
                if not name and seg.index > 0 and not head.strip(" ·:-,|"):
                    # "<name> | SAS au capital ...": the name is the previous cell of the footer
                    prev = row.segments[seg.index - 1]
                    name = _name_value(prev.text) if not _LEGAL_FORM.fullmatch(n.fold(prev.text).strip()) else None
                    if name and not n.sirens_in(name) and not _label_hits(prev):
                        ex.add("BT-27", Candidate(name, prev.conf * 0.8, page.number, prev.box, source="legal"))
                    continue
                if name and not n.sirens_in(name):
                    ex.add("BT-27", Candidate(name, seg.conf * 0.8, page.number, seg.box, source="legal"))
                elif seg.index == 0:
                    _name_above(page, row, ex)


_LEGAL_FORM = re.compile(r"(?:sarl|sas|sasu|sa|eurl|snc|sci|scop|gmbh|ag|bv|b\.v\.|ltd|inc|llc|plc|srl|spa)\.?")
_ADDRESS_ROW = re.compile(r"siege|adresse|address|\btel\b|telephone|phone|fax|e-?mail|www\.|\d{5}|\brue\b|avenue")


def _name_above(page: Page, row: Row, ex: Extraction) -> None:
    """A legal mention line without a name ("Sarl au capital de ..."): the name is the short line
    above it (skipping the head-office address / contact lines)."""
    for r in page.rows[max(0, row.index - 3):row.index][::-1]:
        folded = n.fold(r.text)
        if _ADDRESS_ROW.search(folded):
            continue
        if len(r.segments) == 1:
            name = _name_value(r.text)
            if name:
                ex.add("BT-27", Candidate(name, r.segments[0].conf * 0.75, page.number, r.box, source="legal"))
        return


def _column_totals(page: Page, ex: Extraction) -> None:
    """"Total | 24.99 | 5.00 | 29.99" under a header naming HT / TVA / TTC columns."""
    heads = {"BT-109": r"\bht\b|hors tax|excl|net\b|netto", "BT-110": r"\btva\b|\bvat\b|\btax\b|btw|mwst",
             "BT-112": r"\bttc\b|incl|brutto|gross"}
    for row in page.rows:
        if not re.match(r"^(?:total|totaux|totals|summe|totaal)\b", n.fold(row.text)):
            continue
        amounts = [(seg, a[0]) for seg in row.segments for a in n.amounts_in(seg.text) if a[2]]
        if len(amounts) < 2:
            continue
        for hr in page.rows[max(0, row.index - 8):row.index][::-1]:
            cols = {}
            for seg in hr.segments:
                folded = n.fold(seg.text)
                for bt, rx in heads.items():
                    if bt not in cols and re.search(rx, folded):
                        cols[bt] = seg.box
                        break
            if len(cols) >= 2:
                for bt, box in cols.items():
                    for seg, value in amounts:
                        if min(box[2], seg.box[2]) - max(box[0], seg.box[0]) > -0.01:
                            ex.add(bt, Candidate(value, seg.conf * 0.9, page.number, seg.box, "column"))
                            break
                break


def _fallback_number(pages: list[Page], ex: Extraction) -> None:
    """No invoice number printed (a receipt, a booking confirmation): its own reference ("Booking ID",
    "Order no.") is proposed at a confidence that always asks a reviewer."""
    for page in pages:
        for row in page.rows:
            for seg in row.segments:
                if not FALLBACK_NUMBER.match(n.fold(seg.text).strip()):
                    continue
                for s, _ in ([(row.segments[seg.index + 1], 1.0)] if seg.index + 1 < len(row.segments) else []) + \
                        _below(page.rows, seg, depth=1):
                    value = _number_value(s.text)
                    if value:
                        ex.add("BT-1", Candidate(value, min(0.6, s.conf * 0.6), page.number, s.box, "reference"))
                        return


def _credit_signs(ex: Extraction) -> None:
    """A credit note may print its amounts negative ("-1 234,56"); EN 16931 carries them positive."""
    if not any(c.value == "381" for c in ex.fields.get("BT-3", [])):
        return
    for bt in ("BT-106", "BT-109", "BT-110", "BT-112", "BT-115"):
        for c in ex.fields.get(bt, []):
            c.value = abs(c.value)
    for r in ex.vat_rows:
        for k in ("base", "amount"):
            if k in r:
                r[k] = abs(r[k])
    for ln in ex.lines:
        ln["netAmount"] = abs(ln["netAmount"])
        if "unitPrice" in ln:
            ln["unitPrice"] = abs(ln["unitPrice"])


def _title(page: Page, ex: Extraction) -> None:
    top = [r for r in page.rows if r.box[1] < 0.35]
    for row in top:
        folded = n.fold(row.text)
        if TITLE_CREDIT.search(folded):
            ex.add("BT-3", Candidate("381", min(w.conf for w in row.words), page.number, row.box, "title"))
            return
    for row in top:
        if TITLE_INVOICE.search(n.fold(row.text)):
            ex.add("BT-3", Candidate("380", 0.9, page.number, row.box, "title"))
            return


def _currency(pages: list[Page], ex: Extraction) -> None:
    votes: dict[str, int] = {}
    for page in pages:
        for row in page.rows:
            folded = n.fold(row.text)
            if not n.amounts_in(row.text) and not re.search(r"devise|currency|\beur(?:os?)?\b|montants? (?:en|exprim)",
                                                             folded):
                continue
            if re.search(r"indemnit|recouvrement|recovery|penalt|late payment|capital", folded):
                continue  # the legal 40 EUR recovery fee and a share capital are in euros whatever the invoice's
            code = n.currency_in(row.text)
            if code:
                votes[code] = votes.get(code, 0) + 1
    # a French supplier (FR VAT number or a SIREN read) invoices in euros unless another currency shows
    french = any(str(c.value).startswith("FR") for c in ex.fields.get("BT-31", [])) or bool(ex.fields.get("BT-30"))
    if votes:
        code, count = max(votes.items(), key=lambda kv: kv[1])
        share = count / sum(votes.values())
        conf = min(0.99, 0.6 + 0.1 * count) * share
        if code == "EUR" and share == 1 and french:
            conf = max(conf, 0.97)
        ex.add("BT-5", Candidate(code, conf, pages[0].number, (0, 0, 0, 0), "vote"))
    elif french:  # no currency printed: euros, but a reviewer confirms
        ex.add("BT-5", Candidate("EUR", 0.85, pages[0].number, (0, 0, 0, 0), "french-supplier"))


def _top_name(page: Page, ex: Extraction, ctx: Context) -> None:
    """The first text block of the page (letterheads put the supplier's name there)."""
    for row in page.rows[:6]:
        for seg in row.segments:
            text = seg.text
            folded = n.fold(text)
            if TITLE_INVOICE.search(folded) or TITLE_CREDIT.search(folded):
                text = re.sub(r"(?i)\b(?:facture|invoice|rechnung|factuur|receipt|avoir|credit note|payment)\b\.?", "",
                              text).strip(" .:-")
            if not text or _label_hits(seg):
                continue
            if _HEADING.search(folded):
                break  # a heading row ("Hotel Details | Check In | Check Out"): its cells are column titles
            name = _name_value(text)
            if name and sum(ch.isalpha() for ch in name) < 3:
                continue  # a logo's initials
            if name and not n.dates_in(text) and not re.search(r"www\.|https?:|@", text):
                if ctx.company_name and _similar(name, ctx.company_name) > 0.8:
                    continue
                ex.add("BT-27", Candidate(name, seg.conf * 0.7, page.number, seg.box, "top"))
                return


def _similar(a: str, b: str) -> float:
    from difflib import SequenceMatcher

    fa, fb = n.fold(a).strip(), n.fold(b).strip()
    if not fa or not fb:
        return 0.0
    short, long_ = sorted((fa, fb), key=len)
    if short in long_ and len(short) >= 4 and len(short) >= 0.4 * len(long_):  # the name with or without its form
        return max(0.85, SequenceMatcher(None, fa, fb).ratio())
    return SequenceMatcher(None, fa, fb).ratio()


def _company_name(pages: list[Page], ex: Extraction, ctx: Context) -> None:
    if not ctx.company_name:
        return
    for page in pages:
        for row in page.rows:
            for seg in row.segments:
                if _similar(seg.text, ctx.company_name) >= 0.85 and len(seg.text) <= len(ctx.company_name) + 12:
                    ex.add("BT-44", Candidate(seg.text.strip(), seg.conf, page.number, seg.box, "company"))


# ------------------------------------------------------------------------------ VAT rows and tables
def _vat_rows(page: Page, ex: Extraction) -> None:
    """VAT breakdown rows: a rate and the amounts of its own cells (up to a segment labelling
    something else, e.g. the totals block sharing the row). A rate followed by a base and an amount
    that is rate x base is a VAT row whatever the wording (tables without "TVA" on each row);
    otherwise the row must say VAT ("TVA 20 % : 9,34")."""
    for row in page.rows:
        folded = n.fold(row.text)
        if re.search(r"\b(?:qte|qty|quantite|designation|description)\b", folded):
            continue
        worded = bool(re.search(r"\b(?:tva|t\.v\.a|vat|tax|btw|mwst|ust|taux)\b", folded))
        own: list[Decimal] = []
        rate: Decimal | None = None
        for seg in row.segments:
            rates = n.rates_in(seg.text)
            if rate is None:
                if len(rates) != 1:
                    continue
                rate = rates[0]
                after = seg.text[seg.text.find("%") + 1:]
                own += [a[0] for a in n.amounts_in(after) if a[2]]
                continue
            if _label_hits(seg) or rates:
                break
            own += [a[0] for a in n.amounts_in(seg.text) if a[2]]
        if rate is None or not own:
            continue
        pairs = [(a, b) for a, b in zip(own, own[1:], strict=False)
                 if abs(a * rate / 100 - b) <= Decimal("0.02") + abs(a) * Decimal("0.0005")]
        if not pairs and not (worded and len(n.rates_in(row.text)) == 1):
            continue
        entry: dict[str, Any] = {"rate": rate, "conf": min(w.conf for w in row.words), "page": page.number,
                                 "box": row.box}
        if pairs:
            entry["base"], entry["amount"] = pairs[0]
        elif len(own) >= 2:
            entry["base"], entry["amount"] = own[0], own[1]
        else:
            entry["amount"] = own[0]
        ex.vat_rows.append(entry)


def _header_columns(row: Row) -> dict[str, Box]:
    found: dict[str, Box] = {}
    for seg in row.segments:
        folded = n.fold(seg.text)
        for col, rx in TABLE_HEADERS.items():
            if col not in found and re.search(rx, folded):
                found[col] = seg.box
                break
    return found


def _is_table_header(row: Row) -> bool:
    found = _header_columns(row)
    return len(found) >= 3 and ("amount" in found or "price" in found)


def _table(page: Page, ex: Extraction) -> None:
    header_idx, columns = None, {}
    for row in page.rows:
        found = _header_columns(row)
        if len(found) >= 3 and ("amount" in found or "price" in found):
            header_idx, columns = row.index, found
            break
    if header_idx is None:
        return
    amount_col = columns.get("amount") or columns.get("price")
    qty_col = columns.get("quantity")
    price_col = columns.get("price") if columns.get("amount") else None
    for row in page.rows[header_idx + 1:]:
        folded = n.fold(row.text)
        if _TABLE_END.search(folded) and not re.match(r"^\d+\s", folded):
            break
        amounts = [(a, span) for a, span, money in n.amounts_in(row.text) if money]
        if not amounts:
            continue
        # the amount under the amount column (rightmost)
        seg_amounts = []
        for seg in row.segments:
            for value, _, money in n.amounts_in(seg.text):
                seg_amounts.append((seg, value, money))
        right = [x for x in seg_amounts if x[0].box[2] >= amount_col[0] - 0.03]
        if not right:
            continue
        total_seg, total, _ = right[-1]
        name_col = columns.get("name")
        if name_col is not None:  # the designation column: from its header to the next column's header
            nxt = min((b[0] for b in columns.values() if b[0] > name_col[0] + 0.01), default=1.0)
            name_parts = [s.text for s in row.segments if s.box[0] >= name_col[0] - 0.03 and s.box[2] < nxt - 0.005]
        else:
            name_parts = [s.text for s in row.segments if s.box[2] < (qty_col or amount_col)[0] - 0.005
                          and not re.fullmatch(r"\d{1,3}", s.text.strip())]
        name = " ".join(name_parts).strip()
        name = re.sub(r"^\d{1,3}\s+", "", name)
        if not name or not any(c.isalpha() for c in name):
            continue
        line: dict[str, Any] = {"name": name, "netAmount": total, "conf": min(w.conf for w in row.words),
                                "page": page.number, "box": row.box}
        if qty_col:
            for seg in row.segments:
                if seg.box[0] <= qty_col[2] + 0.02 and seg.box[2] >= qty_col[0] - 0.02:
                    m = re.match(r"\s*(\d+(?:[.,]\d+)?)", seg.text)
                    if m:
                        line["quantity"] = Decimal(m.group(1).replace(",", "."))
                        break
        if price_col:
            for seg, value, _money in seg_amounts:
                if seg.box[2] >= price_col[0] - 0.02 and seg.box[0] <= price_col[2] + 0.02 and seg is not total_seg:
                    line["unitPrice"] = value
                    break
        rates = n.rates_in(row.text)
        if rates:
            line["vatRate"] = rates[-1]
        ex.lines.append(line)


# ------------------------------------------------------------------------------ entry point
def extract(pages: list[Page], ctx: Context | None = None) -> Extraction:
    ctx = ctx or Context()
    ex = Extraction()
    ex.text = "\n".join(r.text for p in pages for r in p.rows)
    folded = n.fold(ex.text)
    french = len(re.findall(r"\b(?:facture|montant|tva|total ht|ttc|date d'|echeance|le|de|du|des)\b", folded))
    english = len(re.findall(r"\b(?:invoice|amount|due|the|of|and|total|tax|date:)\b", folded))
    ex.english = english > french * 1.5
    dmy_votes, mdy_votes = n.month_first_votes(ex.text)
    if dmy_votes or mdy_votes:
        ex.mdy = mdy_votes > dmy_votes
    else:  # no date says: month-first only for US-dollar documents in English
        ex.mdy = ex.english and n.currency_in(ex.text) == "USD"
    for page in pages:
        _pair_labels(page, ex, _label_rows(page, ex))
        _scan_patterns(page, ex, ctx)
        _vat_rows(page, ex)
        _column_totals(page, ex)
        _table(page, ex)
    if len(pages) > 1:  # running totals of earlier pages ("à reporter") weigh less than the last page's
        for bt in ("BT-109", "BT-110", "BT-112", "BT-115"):
            for c in ex.fields.get(bt, []):
                if c.page != pages[-1].number:
                    c.conf *= 0.6
    if not ex.fields.get("BT-1"):
        _fallback_number(pages, ex)
    _preceding_dates(pages, ex)
    _title(pages[0], ex)
    _credit_signs(ex)
    _top_name(pages[0], ex, ctx)
    _currency(pages, ex)
    _company_name(pages, ex, ctx)
    return ex


def parse_value(bt: str, text: str, english: bool = False) -> Any:
    """A value typed for ``bt`` from raw text (engine hints, reviewer corrections), or None."""
    kind = PARSERS.get(bt)
    if kind == "date":
        found = n.dates_in(text, prefer_mdy=english)
        if not found:
            try:
                return _dt.date.fromisoformat(text.strip())
            except ValueError:
                return None
        return found[0][0]
    if kind == "amount":
        found = n.amounts_in(text)
        return found[-1][0] if found else None
    if kind == "number":
        return _number_value(text) or (n.clean_number(text) or None)
    if kind == "name":
        t = " ".join(text.split())
        return t or None
    if bt in ("BT-30", "BT-47"):
        d = n.digits_repaired(text)
        return d[:9] if (len(d) == 9 and n.is_siren(d)) or (len(d) == 14 and n.is_siret(d)) else None
    if bt in ("BT-29", "BT-46"):
        d = n.digits_repaired(text)
        return d if n.is_siret(d) else None
    if bt in ("BT-31", "BT-48"):
        found = n.vat_numbers_in(text.upper())
        return found[0][0] if found else None
    if bt == "BT-84":
        found = n.ibans_in(text)
        return found[0][0] if found else None
    if bt == "BT-5":
        t = text.strip().upper()
        return t if re.fullmatch(r"[A-Z]{3}", t) else n.currency_in(text)
    if bt == "BT-3":
        t = text.strip()
        return t if re.fullmatch(r"\d{3}", t) else None
    return text.strip() or None


class CorrectionError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


CORRECTABLE = ("BT-1", "BT-2", "BT-3", "BT-25", "BT-26", "BT-5", "BT-9", "BT-27", "BT-29", "BT-30", "BT-31", "BT-44", "BT-47",
               "BT-48", "BT-84", "BT-109", "BT-110", "BT-112", "BT-115")


def apply_corrections(ex: Extraction, corrections: dict[str, Any]) -> None:
    """Reviewer values replace what was read (confidence 1, source "user"); ``None`` removes a field.
    Raises ``CorrectionError`` naming the first value that does not parse or fails its check digits."""
    for bt, raw in (corrections.get("fields") or {}).items():
        if bt not in CORRECTABLE:
            raise CorrectionError(f"fields.{bt}", f"{bt} cannot be corrected")
        if raw is None:
            ex.fields.pop(bt, None)
            continue
        value = parse_value(bt, str(raw))
        if value is None:
            raise CorrectionError(f"fields.{bt}", f"{raw!r} is not a valid value for {bt}")
        ex.fields[bt] = [Candidate(value, 1.0, 0, (0.0, 0.0, 0.0, 0.0), "user")]
    if corrections.get("vatBreakdown") is not None:
        rows = []
        for i, r in enumerate(corrections["vatBreakdown"]):
            try:
                entry = {"rate": Decimal(str(r["rate"])), "amount": Decimal(str(r["amount"])).quantize(Decimal("0.01")),
                         "conf": 1.0, "page": 0, "box": (0.0, 0.0, 0.0, 0.0)}
                if r.get("base") is not None:
                    entry["base"] = Decimal(str(r["base"])).quantize(Decimal("0.01"))
            except Exception:  # noqa: BLE001 - KeyError, InvalidOperation, TypeError
                raise CorrectionError(f"vatBreakdown[{i}]", "rate and amount (decimal strings) are required") from None
            rows.append(entry)
        ex.vat_rows = rows
    if corrections.get("lines") is not None:
        lines = []
        for i, ln in enumerate(corrections["lines"]):
            try:
                entry = {"name": str(ln["name"]).strip(), "netAmount": Decimal(str(ln["netAmount"])).quantize(Decimal("0.01")),
                         "conf": 1.0, "page": 0, "box": (0.0, 0.0, 0.0, 0.0)}
                for k in ("quantity", "unitPrice", "vatRate"):
                    if ln.get(k) is not None:
                        entry[k] = Decimal(str(ln[k]))
            except Exception:  # noqa: BLE001
                raise CorrectionError(f"lines[{i}]", "name and netAmount are required; numbers as decimal strings") from None
            if not entry["name"]:
                raise CorrectionError(f"lines[{i}].name", "a line needs a name")
            lines.append(entry)
        ex.lines = lines
