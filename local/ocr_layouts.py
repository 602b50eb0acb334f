"""Diverse synthetic supplier invoices (not the platform's own layout) and their scans, with ground truth.

The OCR benchmark and tests need documents that look like what suppliers really send, not like
the platform's renderer: ``sample(seed, buyer)`` draws one invoice (supplier, lines, VAT rates,
deposit, credit note...) and one *presentation* of it, independently of each other:

* seven layouts (``LAYOUTS``): letterhead with a meta table, coloured header band with labels above
  values, letter-style ("Facture n° X du 12 mars 2026"), two-column "details" box, everything in
  ruled grids with column totals, a long multi-page invoice with running totals, and a bare
  minimal one;
* French or English wording drawn from vocabularies of real invoice labels (several per field:
  "N° de facture", "Facture N°", "Réf. facture", "Invoice No.", "Invoice #"...), amounts written
  ``1 234,56 €``, ``1.234,56``, ``1,234.56``, ``EUR 1234.56``..., dates ``12/03/2026``,
  ``12.03.2026``, ``12 mars 2026``, ``March 12, 2026``, ``2026-03-12``..., identifiers printed
  ``SIREN : 123 456 789``, ``RCS Lyon B 123 456 789``, ``SIRET 123 456 789 00012``,
  ``N° TVA intracom. FR12 123456789``, IBAN grouped by four or not;
* VAT tables in several shapes or a single-rate summary, line tables with different columns,
  logos, slogans, order and delivery references, late-payment mentions (amounts and dates that are
  *not* the ones to read), brand names beside the legal name, ship-to addresses, credit notes with
  the credited invoice, deposits (amount due below the total).

The vocabularies and layouts were written from what invoices print, not from the extractor's
dictionaries; nothing here is tuned to the extractor. ``scan(pdf, rng, dpi)`` rasterises every page
and degrades it like a scanner or a phone: rotation up to 3 degrees, a perspective skew for some,
uneven lighting, faded contrast, grey noise, specks, blur, JPEG quality 60-85 (one page -> JPEG,
several -> a PDF of JPEG pages, as scanners produce). Deterministic per seed (same fonts installed).
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from einvoice.identifiers import french_vat_from_siren
from local.ocr_samples import random_iban, random_party, random_siren, random_siret

CENT = Decimal("0.01")
TODAY = _dt.date(2026, 11, 20)

# fonts: those of the host when installed, else Typst's embedded ones / the platform's DejaVu Sans
FONTS = (("Nimbus Sans", "DejaVu Sans"), ("Nimbus Roman", "Libertinus Serif"), ("DejaVu Serif", "Libertinus Serif"),
         ("URW Gothic", "DejaVu Sans"), ("DejaVu Sans",), ("Libertinus Serif",), ("C059", "Libertinus Serif"),
         ("Nimbus Sans Narrow", "DejaVu Sans"))

_TRADES = ("Boulangerie", "Menuiserie", "Électricité Générale", "Transports", "Imprimerie", "Conseil", "Plomberie",
           "Atelier", "Garage", "Laboratoire", "Fromagerie", "Informatique", "Nettoyage Pro", "Traiteur", "Bâtiment",
           "Paysages", "Logistique", "Studio", "Distribution", "Ingénierie")
_SURNAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
             "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
             "Morel", "Girard", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Chevalier", "Faure", "Rousseau")
_INVENTED = ("Axelis", "Novatek", "Bleu Horizon", "Cap Ouest", "Optimum", "Vertigo", "Alpha Services", "Kalisto",
             "Sud Énergies", "Les Ateliers Réunis", "Nordic Supply", "Bureau Plus", "Hexagone Solutions", "Proxima")
_FORMS = ("SAS", "SARL", "SA", "EURL", "SASU", "SNC", "S.A.S.", "S.A.R.L.")
_CITIES = (("75011", "Paris"), ("69003", "Lyon"), ("13006", "Marseille"), ("31000", "Toulouse"), ("44000", "Nantes"),
           ("33000", "Bordeaux"), ("59000", "Lille"), ("67000", "Strasbourg"), ("35000", "Rennes"), ("06000", "Nice"),
           ("92100", "Boulogne-Billancourt"), ("38000", "Grenoble"), ("21000", "Dijon"), ("34000", "Montpellier"))
_STREETS = ("rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "rue des Lilas", "place du Marché",
            "chemin des Vignes", "rue Victor Hugo", "allée des Tilleuls", "ZI des Grands Champs", "quai de la Loire")
_ITEMS_FR = ("Prestation de conseil", "Maintenance informatique", "Ramette papier A4 80 g", "Cartouche d'encre noire",
             "Frais de livraison", "Développement logiciel", "Abonnement mensuel", "Pièces détachées",
             "Nettoyage des locaux", "Formation Excel avancé", "Câble réseau Cat6 5 m", "Location nacelle",
             "Main d'œuvre", "Déplacement", "Audit de sécurité", "Licence annuelle", "Peinture murale",
             "Remplacement disjoncteur", "Transport palette", "Hébergement web")
_ITEMS_EN = ("Consulting services", "IT maintenance", "A4 paper ream", "Black ink cartridge", "Shipping",
             "Software development", "Monthly subscription", "Spare parts", "Office cleaning", "Training session",
             "Network cable 5 m", "Equipment rental", "Labour", "Travel expenses", "Security audit", "Annual licence",
             "Web hosting", "Translation", "Design work", "Support plan")
_RATES = (Decimal("20"), Decimal("20"), Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"))

# ------------------------------------------------------------------------------ vocabularies (real wordings)
VOCAB: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "title": ("FACTURE", "Facture", "FACTURE", "Facture de prestations"),
        "credit_title": ("AVOIR", "Facture d'avoir", "AVOIR", "Note de crédit"),
        "number": ("N° de facture", "Facture N°", "Numéro de facture", "N° facture", "Réf. facture", "Facture n°",
                   "Numéro", "N°", "Pièce n°"),
        "credit_number": ("N° d'avoir", "Avoir N°", "Numéro d'avoir", "N°"),
        "date": ("Date", "Date de facture", "Date d'émission", "Date facture", "Émise le", "Date de facturation",
                 "Le"),
        "due": ("Date d'échéance", "Échéance", "À payer avant le", "Date limite de paiement", "Échéance de paiement",
                "Payable le"),
        "buyer": ("Client", "Facturé à", "Destinataire", "Adressé à", "Adresse de facturation", "CLIENT", "Facturer à"),
        "ht": ("Total HT", "Montant HT", "Total H.T.", "TOTAL NET HT", "Sous-total HT", "Total hors taxes",
               "Montant net HT", "Base HT"),
        "tva": ("TVA", "Total TVA", "Montant TVA", "T.V.A.", "Total T.V.A."),
        "ttc": ("Total TTC", "Montant TTC", "Total T.T.C.", "TOTAL TTC", "Montant total TTC", "Total toutes taxes"),
        "due_amount": ("Net à payer", "Reste à payer", "Montant à régler", "Solde dû", "NET A PAYER", "Total à payer",
                       "Reste dû"),
        "deposit": ("Acompte versé", "Acompte reçu le {d}", "Déjà réglé", "Règlement reçu"),
        "vat_rate_col": ("Taux", "Taux TVA", "TVA %", "Code TVA"),
        "vat_base_col": ("Base HT", "Montant HT", "Base", "Assiette"),
        "vat_amount_col": ("Montant TVA", "TVA", "Mt TVA", "Montant T.V.A."),
        "desc": ("Désignation", "Description", "Libellé", "Article", "Prestation", "Produit"),
        "qty": ("Qté", "Quantité", "Qte", "Nb"),
        "unit": ("Unité", "U.", "Un."),
        "price": ("P.U. HT", "Prix unitaire HT", "PU HT", "Prix U.", "Tarif"),
        "line_vat": ("TVA", "TVA %", "Tx TVA"),
        "line_total": ("Montant HT", "Total HT", "Montant", "Total"),
        "ref": ("Réf.", "Code", "Référence"),
        "terms": ("Paiement à {n} jours", "Règlement à {n} jours date de facture", "Conditions : {n} jours net",
                  "Paiement à réception de facture", "Délai de paiement : {n} jours"),
        "order": ("Commande n° {o} du {d}", "Votre commande : {o}", "Bon de commande {o}", "Réf. commande : {o}"),
        "delivery": ("Date de livraison : {d}", "Livré le {d}", "Date de la prestation : {d}", "Période : {d}"),
        "client_code": ("Code client : {c}", "N° client : {c}", "Compte client {c}", "Votre référence : {c}"),
        "penalty": ("En cas de retard de paiement, une pénalité égale à trois fois le taux d'intérêt légal sera "
                    "exigible, ainsi qu'une indemnité forfaitaire pour frais de recouvrement de 40 €.",
                    "Pénalités de retard : 3 fois le taux légal. Indemnité forfaitaire de recouvrement : 40,00 €. "
                    "Pas d'escompte pour paiement anticipé.",
                    "Tout retard de paiement entraîne une indemnité de 40 € (art. L441-10 C. com.). Escompte : néant."),
        "thanks": ("Merci de votre confiance !", "Nous vous remercions de votre commande.", "Merci pour votre achat",
                   "À bientôt !"),
        "page": ("Page {p}/{n}", "Page {p} sur {n}", "{p}/{n}"),
        "carry": ("Total HT à reporter", "Sous-total à reporter", "Report"),
        "brought": ("Report page précédente", "Report", "Total HT reporté"),
        "credits": ("Avoir sur facture n° {f} du {d}", "Facture d'origine : {f} du {d}", "Annule et remplace la "
                    "facture {f} du {d}", "Réf. facture initiale : {f} ({d})"),
        "vat_id": ("N° TVA intracom. : {v}", "TVA intracommunautaire : {v}", "N° TVA : {v}", "TVA : {v}",
                   "Numéro de TVA {v}", "Identifiant TVA : {v}"),
        "siren": ("SIREN : {s}", "RCS {city} B {s}", "RCS {city} {s}", "R.C.S. {city} {s}", "Siren {s}"),
        "siret": ("SIRET : {s}", "Siret {s}", "N° SIRET {s}"),
        "iban": ("IBAN : {i}", "IBAN {i}", "Coordonnées bancaires : IBAN {i}"),
        "bic": ("BIC : {b}", "BIC {b}", "SWIFT : {b}"),
        "capital": ("{form} au capital de {c} €", "{form} au capital social de {c} euros", "{form} – capital {c} €"),
        "phone": ("Tél. {t}", "Tél : {t}", "T. {t}"),
        "details": ("Détails de la facture", "Informations", "Références"),
        "ship": ("Adresse de livraison", "Livrer à", "Lieu d'intervention"),
        "currency_note": ("Montants exprimés en euros", "Devise : {cur}", "Montants en {cur}"),
    },
    "en": {
        "title": ("INVOICE", "Invoice", "TAX INVOICE", "Commercial invoice"),
        "credit_title": ("CREDIT NOTE", "Credit note", "CREDIT MEMO"),
        "number": ("Invoice No.", "Invoice #", "Invoice number", "Invoice no", "Number", "No.", "Reference"),
        "credit_number": ("Credit note no.", "Credit note #", "Number"),
        "date": ("Date", "Invoice date", "Date of issue", "Issue date", "Issued on", "Invoice Date"),
        "due": ("Due date", "Payment due", "Due", "Pay by", "Date due"),
        "buyer": ("Bill to", "Billed to", "Customer", "Invoice to", "BILL TO", "Client"),
        "ht": ("Subtotal", "Total excl. VAT", "Net total", "Sub-total", "Total before tax", "Net amount"),
        "tva": ("VAT", "Total VAT", "Tax", "VAT amount", "Sales tax"),
        "ttc": ("Total", "Total incl. VAT", "Invoice total", "TOTAL", "Grand total", "Gross total"),
        "due_amount": ("Amount due", "Balance due", "Total due", "AMOUNT DUE", "Amount payable", "Please pay"),
        "deposit": ("Deposit paid", "Less payment received {d}", "Paid to date", "Advance payment"),
        "vat_rate_col": ("Rate", "VAT rate", "VAT %", "Tax rate"),
        "vat_base_col": ("Net", "Taxable amount", "Base", "Net amount"),
        "vat_amount_col": ("VAT", "Tax", "VAT amount"),
        "desc": ("Description", "Item", "Service", "Product", "Details"),
        "qty": ("Qty", "Quantity", "Units", "Hours"),
        "unit": ("Unit", "UoM"),
        "price": ("Unit price", "Rate", "Price", "Unit cost"),
        "line_vat": ("VAT", "VAT %", "Tax"),
        "line_total": ("Amount", "Total", "Net", "Line total"),
        "ref": ("Ref.", "Code", "SKU"),
        "terms": ("Payment terms: {n} days", "Net {n}", "Payable within {n} days", "Due on receipt", "Terms: {n} days"),
        "order": ("PO number: {o}", "Your order {o} of {d}", "Purchase order {o}", "Order ref. {o}"),
        "delivery": ("Delivery date: {d}", "Shipped {d}", "Service period: {d}", "Date of supply: {d}"),
        "client_code": ("Customer ID: {c}", "Account no. {c}", "Customer number {c}", "Your ref: {c}"),
        "penalty": ("Late payments incur interest at three times the French legal rate and a fixed recovery fee of "
                    "EUR 40.", "Overdue invoices bear a fixed recovery charge of 40 EUR. No discount for early payment.",
                    "A flat fee of €40 applies to late payment (French Commercial Code L441-10)."),
        "thanks": ("Thank you for your business!", "Thanks for your order.", "We appreciate your business.",
                   "Questions? Contact us."),
        "page": ("Page {p} of {n}", "Page {p}/{n}", "{p}/{n}"),
        "carry": ("Carried forward", "Subtotal carried forward", "Balance c/f"),
        "brought": ("Brought forward", "Balance b/f", "Carried over"),
        "credits": ("Credit for invoice {f} dated {d}", "Original invoice: {f} ({d})", "Refers to invoice {f} of {d}",
                    "Credit note against invoice {f} issued {d}"),
        "vat_id": ("VAT No. {v}", "VAT number: {v}", "VAT ID: {v}", "VAT reg. no. {v}", "Intra-EU VAT {v}"),
        "siren": ("SIREN: {s}", "Company no. {s} (RCS {city})", "RCS {city} {s}", "Registered in {city}, SIREN {s}"),
        "siret": ("SIRET: {s}", "SIRET {s}", "Establishment no. (SIRET) {s}"),
        "iban": ("IBAN: {i}", "IBAN {i}", "Bank details: IBAN {i}"),
        "bic": ("BIC: {b}", "SWIFT/BIC {b}", "BIC {b}"),
        "capital": ("{form} with a share capital of EUR {c}", "{form}, capital €{c}", "{form} – share capital {c} EUR"),
        "phone": ("Tel. {t}", "Phone: {t}", "T: {t}"),
        "details": ("Invoice details", "Details", "Summary"),
        "ship": ("Ship to", "Deliver to", "Site address"),
        "currency_note": ("All amounts in {cur}", "Currency: {cur}", "Amounts in {cur}"),
    },
}
_FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


# ------------------------------------------------------------------------------ formats
def fmt_amount(value: Decimal, style: str, currency: str, place: str) -> str:
    """``style``: fr_space (1 234,56), fr_dot (1.234,56), fr_plain (1234,56), en_comma (1,234.56),
    en_plain (1234.56), ch ('); ``place``: suffix_sign, suffix_code, prefix_sign, prefix_code, none."""
    neg = value < 0
    q = abs(value).quantize(CENT)
    integer, frac = f"{q:.2f}".split(".")
    groups = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    sep, dec = {"fr_space": ("\u00a0", ","), "fr_dot": (".", ","), "fr_plain": ("", ","), "en_comma": (",", "."),
                "en_plain": ("", "."), "ch": ("'", ".")}[style]
    text = sep.join(groups) + dec + frac
    sign = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency, currency)
    text = {"suffix_sign": f"{text}\u00a0{sign}", "suffix_code": f"{text} {currency}", "prefix_sign": f"{sign}{text}",
            "prefix_code": f"{currency} {text}", "none": text}[place]
    return ("-" + text) if neg else text


def fmt_date(d: _dt.date, style: str) -> str:
    return {
        "dmy_slash": f"{d.day:02d}/{d.month:02d}/{d.year}", "dmy_dot": f"{d.day:02d}.{d.month:02d}.{d.year}",
        "dmy_dash": f"{d.day:02d}-{d.month:02d}-{d.year}", "dmy_short": f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",
        "iso": d.isoformat(), "fr_long": f"{'1er' if d.day == 1 else d.day} {_FR_MONTHS[d.month - 1]} {d.year}",
        "en_long": f"{_EN_MONTHS[d.month - 1]} {d.day}, {d.year}", "en_dmy": f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}",
        "en_abbr": f"{d.day:02d} {_EN_MONTHS[d.month - 1][:3]} {d.year}", "mdy_slash": f"{d.month:02d}/{d.day:02d}/{d.year}",
    }[style]


def group_siren(s: str, rng: random.Random) -> str:
    return rng.choice((f"{s[:3]} {s[3:6]} {s[6:]}", s, f"{s[:3]} {s[3:6]} {s[6:9]}"))


def group_siret(s: str, rng: random.Random) -> str:
    return rng.choice((f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}", s, f"{s[:9]} {s[9:]}"))


def group_vat(v: str, rng: random.Random) -> str:
    return rng.choice((v, f"{v[:4]} {v[4:]}", f"{v[:2]} {v[2:4]} {v[4:7]} {v[7:10]} {v[10:]}", f"{v[:2]}{v[2:4]} {v[4:]}"))


def group_iban(i: str, rng: random.Random) -> str:
    return " ".join(i[k:k + 4] for k in range(0, len(i), 4)) if rng.random() < 0.8 else i


# ------------------------------------------------------------------------------ the invoice (content)
@dataclass
class Doc:
    seed: int
    lang: str
    layout: str
    seller: dict[str, Any]
    buyer: dict[str, Any]
    number: str
    issue: _dt.date
    due: _dt.date | None
    credit: bool
    credited: tuple[str, _dt.date] | None
    currency: str
    lines: list[dict[str, Any]]
    vat: list[tuple[Decimal, Decimal, Decimal]]  # rate, base, amount
    ht: Decimal
    tva: Decimal
    ttc: Decimal
    deposit: Decimal
    terms_days: int | None
    style: dict[str, Any] = field(default_factory=dict)

    @property
    def payable(self) -> Decimal:
        return self.ttc - self.deposit

    def truth(self) -> dict[str, str]:
        """Ground truth by business term: what the document prints, normalised (ISO dates, decimals)."""
        s = self.seller
        out = {"BT-1": self.number, "BT-2": self.issue.isoformat(), "BT-3": "381" if self.credit else "380",
               "BT-5": self.currency, "BT-27": s["name"], "BT-30": s["siren"], "BT-44": self.buyer["name"],
               "BT-109": str(self.ht), "BT-110": str(self.tva), "BT-112": str(self.ttc), "BT-115": str(self.payable)}
        if self.due:
            out["BT-9"] = self.due.isoformat()
        if self.style.get("show_vat_id", True):
            out["BT-31"] = s["vat"]
        if self.style.get("show_siret"):
            out["BT-29"] = s["siret"]
        if self.style.get("show_iban"):
            out["BT-84"] = s["iban"]
        if self.credited:
            out["BT-25"] = self.credited[0]
        return out


def _seller(rng: random.Random) -> dict[str, Any]:
    base = random_party(rng)
    kind = rng.randrange(4)
    form = rng.choice(_FORMS)
    if kind == 0:
        name = f"{rng.choice(_TRADES)} {rng.choice(_SURNAMES)} {form}"
    elif kind == 1:
        name = f"{rng.choice(_INVENTED)} {form}"
    elif kind == 2:
        name = f"{form} {rng.choice(_SURNAMES)} & Fils"
    else:
        name = f"{rng.choice(_SURNAMES)} {rng.choice(_TRADES)}"
        form = rng.choice(_FORMS)
    postcode, city = rng.choice(_CITIES)
    bic = rng.choice(("BNPAFRPPXXX", "CRLYFRPP", "SOGEFRPP", "AGRIFRPP882", "CMCIFR2A", "CCBPFRPPLYO"))
    return {"name": name, "form": form, "siren": base["siren"], "siret": base["siret"],
            "vat": french_vat_from_siren(base["siren"]), "iban": random_iban(rng), "bic": bic,
            "street": f"{rng.randint(1, 180)} {rng.choice(_STREETS)}", "postcode": postcode, "city": city,
            "phone": f"0{rng.randint(1, 5)} " + " ".join(f"{rng.randint(10, 99)}" for _ in range(4)),
            "email": "contact@" + "".join(c for c in next(w for w in name.split() if w not in _FORMS).lower()
                                          if c.isascii() and c.isalpha()) + ".fr",
            "capital": rng.choice(("1 000", "5 000", "10 000", "37 000", "50 000", "100 000", "7 622,45")),
            "brand": rng.choice(_INVENTED).upper() if rng.random() < 0.15 else None}


def _number(rng: random.Random, year: int, credit: bool) -> str:
    n = rng.randint(1, 99999)
    styles = (f"F{year}-{n % 10000:04d}", f"FA-{year}-{n:05d}", f"{year}{n:05d}", f"INV-{n:06d}",
              f"{n:06d}", f"FAC{year % 100:02d}{n % 1000:03d}", f"{year}/{n % 1000:03d}", f"F-{n:05d}")
    num = rng.choice(styles)
    if credit and rng.random() < 0.6:
        num = rng.choice(("AV", "AV-", "CN-", "A")) + num.lstrip("FINVAC-")
    return num


def _round(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def make_doc(seed: int, buyer: dict[str, Any], layout: str | None = None) -> Doc:
    rng = random.Random(seed)
    lang = "en" if rng.random() < 0.35 else "fr"
    layout = layout or rng.choice(LAYOUT_NAMES)
    seller = _seller(rng)
    credit = rng.random() < 0.12
    issue = TODAY - _dt.timedelta(days=rng.randint(0, 320))
    terms = rng.choice((None, 0, 30, 30, 45, 60, 15))
    due = None if credit or terms is None else issue + _dt.timedelta(days=terms)
    currency = "EUR" if lang == "fr" or rng.random() < 0.8 else rng.choice(("USD", "GBP"))
    many = layout == "multipage"
    n_lines = rng.randint(34, 52) if many else rng.randint(1, 9)
    single_rate = rng.random() < 0.55
    rate0 = rng.choice(_RATES)
    items = _ITEMS_EN if lang == "en" else _ITEMS_FR
    lines = []
    for _ in range(n_lines):
        qty = Decimal(rng.choice((1, 1, 1, 2, 3, 4, 5, 10, 12, 25))) if rng.random() < 0.8 else \
            Decimal(rng.choice(("0.5", "1.5", "2.5", "7.5", "3.25")))
        price = Decimal(rng.randint(150, 250000 if rng.random() < 0.3 else 30000)) / 100
        rate = rate0 if single_rate else rng.choice(_RATES)
        lines.append({"ref": f"{rng.choice('ABCDEFGHKLMP')}{rng.randint(100, 9999)}", "name": rng.choice(items),
                      "qty": qty, "unit": rng.choice(("u", "h", "j", "m²", "forfait")), "price": price, "rate": rate,
                      "net": _round(qty * price)})
    by_rate: dict[Decimal, Decimal] = {}
    for ln in lines:
        by_rate[ln["rate"]] = by_rate.get(ln["rate"], Decimal(0)) + ln["net"]
    vat = [(r, b, _round(b * r / 100)) for r, b in sorted(by_rate.items(), key=lambda kv: -kv[0])]
    ht = sum((b for _, b, _ in vat), Decimal(0))
    tva = sum((a for _, _, a in vat), Decimal(0))
    ttc = ht + tva
    deposit = _round(ttc * Decimal(rng.choice((20, 30, 50))) / 100) if not credit and rng.random() < 0.1 else Decimal(0)
    year = issue.year
    credited = (_number(rng, year, False), issue - _dt.timedelta(days=rng.randint(5, 60))) if credit else None
    doc = Doc(seed, lang, layout, seller, buyer, _number(rng, year, credit), issue, due, credit, credited, currency,
              lines, vat, ht, tva, ttc, deposit, terms)
    doc.style = _style(rng, doc)
    return doc


def _style(rng: random.Random, doc: Doc) -> dict[str, Any]:
    fr = doc.lang == "fr"
    amount_style = rng.choice(("fr_space", "fr_space", "fr_dot", "fr_plain")) if fr else \
        rng.choice(("en_comma", "en_comma", "en_plain", "fr_space"))
    place = rng.choice(("suffix_sign", "suffix_sign", "suffix_code", "none")) if fr else \
        rng.choice(("prefix_sign", "prefix_code", "suffix_code", "none", "suffix_sign"))
    if fr:
        date_style = rng.choice(("dmy_slash", "dmy_slash", "dmy_slash", "dmy_dot", "dmy_dash", "fr_long", "dmy_short",
                                 "iso"))
    elif doc.currency == "USD":
        date_style = rng.choice(("mdy_slash", "en_long", "en_abbr"))
    else:
        date_style = rng.choice(("dmy_slash", "en_long", "en_dmy", "en_abbr", "iso", "dmy_dot"))
    v = VOCAB[doc.lang]
    pick = {k: rng.choice(vals) for k, vals in v.items()}
    return {
        "font": rng.choice(FONTS), "size": rng.choice((8.5, 9, 9.5, 10, 10.5, 11)), "amount": amount_style,
        "place": place, "date": date_style, "words": pick, "show_vat_id": rng.random() < 0.92,
        "show_siret": rng.random() < 0.5, "show_iban": rng.random() < 0.7 and not doc.credit,
        "seller_right": rng.random() < 0.35, "logo": rng.random() < 0.6, "slogan": rng.random() < 0.4,
        "order": rng.random() < 0.5, "delivery": rng.random() < 0.4, "client_code": rng.random() < 0.5,
        "buyer_ids": rng.random() < 0.4, "ship_to": rng.random() < 0.2, "penalty": rng.random() < 0.7,
        "vat_shape": rng.choice(("table", "table", "inline", "codes")) if len(doc.vat) > 1 else
        rng.choice(("inline", "inline", "table", "rate_in_label")),
        "line_cols": rng.choice((("desc", "qty", "price", "total"), ("ref", "desc", "qty", "unit", "price", "vat", "total"),
                                 ("desc", "qty", "price", "vat", "total"), ("desc", "total"),
                                 ("ref", "desc", "qty", "price", "total"))),
        "ids_where": rng.choice(("footer", "footer", "header", "both")), "rule_color": rng.choice(
            ("#1f4e79", "#7a1f1f", "#2e6b3a", "#444444", "#b35c00", "#5b2c83")),
        "negative_credit": doc.credit and rng.random() < 0.3,
        "accent": rng.random() < 0.5,
        "title_number": doc.layout in ("letterhead", "band", "details", "minimal") and rng.random() < 0.25,
        "seed": rng.random(),
    }


# ------------------------------------------------------------------------------ Typst markup helpers
def t(text: str) -> str:
    """A Typst string literal inserted into markup (no markup interpretation of the text)."""
    return "#" + json.dumps(text, ensure_ascii=False)


def lines_(*texts: str) -> str:
    return " \\ ".join(t(x) for x in texts if x)


class _R:
    """Formatting of one document (amounts, dates, vocabulary)."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.s = doc.style
        self.w = doc.style["words"]
        self.rng = random.Random(doc.seed * 7 + 1)

    def amt(self, v: Decimal, currency: bool = True) -> str:
        if self.doc.credit and self.s["negative_credit"]:
            v = -v
        return fmt_amount(v, self.s["amount"], self.doc.currency, self.s["place"] if currency else "none")

    def date(self, d: _dt.date) -> str:
        return fmt_date(d, self.s["date"])

    def rate(self, r: Decimal) -> str:
        text = format(r.normalize(), "f")
        if self.s["amount"].startswith("fr") or self.doc.lang == "fr":
            text = text.replace(".", ",")
        return f"{text} %" if self.doc.lang == "fr" else f"{text}%"

    def word(self, key: str, **kw: Any) -> str:
        text = self.w[key]
        for k, v in kw.items():
            text = text.replace("{" + k + "}", str(v))
        return text

    def title(self) -> str:
        title = self.w["credit_title"] if self.doc.credit else self.w["title"]
        if self.s["title_number"]:  # "FACTURE N° F-2026-0042" and no number row in the meta
            title += (" N° " if self.doc.lang == "fr" else " No. ") + self.doc.number
        return title

    def number_label(self) -> str:
        return self.w["credit_number"] if self.doc.credit else self.w["number"]

    def siren_text(self) -> str:
        s = self.doc.seller
        return self.word("siren", s=group_siren(s["siren"], self.rng), city=s["city"].split("-")[0])

    def legal(self) -> list[str]:
        """The mentions about the seller's identity (where they go depends on the layout)."""
        s, out = self.doc.seller, []
        out.append(self.word("capital", form=s["form"], c=s["capital"]))
        out.append(self.siren_text())
        if self.s["show_siret"]:
            out.append(self.word("siret", s=group_siret(s["siret"], self.rng)))
        if self.s["show_vat_id"]:
            out.append(self.word("vat_id", v=group_vat(s["vat"], self.rng)))
        return out

    def bank(self) -> list[str]:
        s = self.doc.seller
        if not self.s["show_iban"]:
            return []
        return [self.word("iban", i=group_iban(s["iban"], self.rng)), self.word("bic", b=s["bic"])]

    def seller_lines(self, with_name: bool = True) -> list[str]:
        s = self.doc.seller
        out = [s["street"], f"{s['postcode']} {s['city']}"]
        if self.rng.random() < 0.7:
            out.append(self.word("phone", t=s["phone"]))
        if self.rng.random() < 0.6:
            out.append(s["email"])
        return ([s["name"]] if with_name else []) + out

    def buyer_lines(self) -> list[str]:
        b, out = self.doc.buyer, []
        out += [b["name"], b["address"]["line1"], f"{b['address']['postcode']} {b['address']['city']}"]
        if self.s["buyer_ids"]:
            vat = french_vat_from_siren(b["siren"])
            out.append(("N° TVA : " if self.doc.lang == "fr" else "VAT: ") + vat)
        return out

    def extras(self) -> list[str]:
        """Order / delivery / client references: dates and numbers that are not the ones to read."""
        out, d = [], self.doc
        if self.s["order"]:
            out.append(self.word("order", o=f"{self.rng.choice(('45', 'PO', 'CMD', 'BC'))}{self.rng.randint(10000, 999999)}",
                                 d=self.date(d.issue - _dt.timedelta(days=self.rng.randint(3, 40)))))
        if self.s["delivery"]:
            out.append(self.word("delivery", d=self.date(d.issue - _dt.timedelta(days=self.rng.randint(0, 10)))))
        if self.s["client_code"]:
            out.append(self.word("client_code", c=f"{self.rng.choice(('C', 'CL', '411', ''))}{self.rng.randint(100, 99999)}"))
        if self.s["place"] == "none" and self.s["seed"] < 0.6:  # amounts without a sign: the currency said once
            out.append(self.word("currency_note", cur=d.currency))
        return out

    def terms(self) -> str | None:
        n = self.doc.terms_days
        if n is None or self.doc.credit:
            return None
        if n == 0:
            return "Paiement à réception" if self.doc.lang == "fr" else "Due on receipt"
        text = self.w["terms"]
        if "{n}" not in text:
            text = VOCAB[self.doc.lang]["terms"][0]
        return text.replace("{n}", str(n))

    def credits(self) -> str | None:
        if not self.doc.credited:
            return None
        f, d = self.doc.credited
        return self.word("credits", f=f, d=self.date(d))

    def meta(self) -> list[tuple[str, str]]:
        d = self.doc
        out = [] if self.s["title_number"] else [(self.number_label(), d.number)]
        out.append((self.w["date"], self.date(d.issue)))
        if d.due:
            out.append((self.w["due"], self.date(d.due)))
        return out

    def totals(self) -> list[tuple[str, str, bool]]:
        """(label, amount, bold) rows of the totals block, in the layout's VAT shape."""
        d, out = self.doc, []
        out.append((self.w["ht"], self.amt(d.ht), False))
        shape = self.s["vat_shape"]
        if shape in ("inline", "rate_in_label") or (shape == "codes" and len(d.vat) == 1):
            for rate, base, amount in d.vat:
                lab = f"{self.w['tva']} {self.rate(rate)}" if shape != "rate_in_label" else \
                    f"{self.w['tva']} ({self.rate(rate)})"
                if len(d.vat) > 1 and self.rng.random() < 0.5:
                    lab += (" sur " if d.lang == "fr" else " on ") + self.amt(base)
                out.append((lab, self.amt(amount), False))
            if len(d.vat) > 1:
                out.append((self.w["tva"] if "Total" in self.w["tva"] else
                            ("Total TVA" if d.lang == "fr" else "Total VAT"), self.amt(d.tva), False))
        else:
            out.append((self.w["tva"], self.amt(d.tva), False))
        out.append((self.w["ttc"], self.amt(d.ttc), True))
        if d.deposit:
            out.append((self.word("deposit", d=self.date(d.issue - _dt.timedelta(days=20))), self.amt(-d.deposit), False))
        if d.deposit or self.rng.random() < 0.55:
            out.append((self.w["due_amount"], self.amt(d.payable), True))
        return out

    def vat_table(self) -> str | None:
        d = self.doc
        if self.s["vat_shape"] not in ("table", "codes"):
            return None
        codes = self.s["vat_shape"] == "codes"
        head = ([("Code" if codes else "")] if codes else []) + [self.w["vat_rate_col"], self.w["vat_base_col"],
                                                               self.w["vat_amount_col"]]
        rows = []
        for i, (rate, base, amount) in enumerate(d.vat):
            rows.append(([f"T{i + 1}"] if codes else []) + [self.rate(rate), self.amt(base, False), self.amt(amount, False)])
        return table(head, rows, self.s, align_right_from=len(head) - 2, small=True)

    def line_rows(self, lines: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
        cols = self.s["line_cols"]
        head = [self.w[{"desc": "desc", "qty": "qty", "unit": "unit", "price": "price", "vat": "line_vat",
                        "total": "line_total", "ref": "ref"}[c]] for c in cols]
        rows = []
        for ln in lines:
            cell = {"ref": ln["ref"], "desc": ln["name"], "qty": format(ln["qty"].normalize(), "f").replace(
                        ".", "," if self.doc.lang == "fr" else "."),
                    "unit": ln["unit"], "price": self.amt(ln["price"], False), "vat": self.rate(ln["rate"]),
                    "total": self.amt(ln["net"], False)}
            rows.append([cell[c] for c in cols])
        return head, rows


def table(head: list[str], rows: list[list[str]], style: dict[str, Any], *, align_right_from: int = 1,
          small: bool = False, ruled: bool | None = None, widths: list[str] | None = None) -> str:
    ruled = style["seed"] < 0.5 if ruled is None else ruled
    n = len(head)
    widths = widths or ["auto"] * n
    stroke = "0.5pt + luma(90)" if ruled else "none"
    cells = []
    for h in head:
        cells.append(f"table.cell(fill: luma(225))[#text(weight: \"bold\")[{t(h)}]]" if style["accent"] else
                     f"[#text(weight: \"bold\")[{t(h)}]]")
    for row in rows:
        cells += [f"[{t(c)}]" for c in row]
    align = "(" + ", ".join("left" if i < align_right_from else "right" for i in range(n)) + ",)"
    size = f"#set text(size: {style['size'] - 1}pt)\n" if small else ""
    hline = "" if ruled else "table.hline(y: 1, stroke: 0.6pt),"
    return (f"#block[{size}#table(columns: ({', '.join(widths)},), stroke: {stroke}, inset: 4pt, align: {align}, "
            f"{hline}{', '.join(cells)})]")


def _kv_block(pairs: list[tuple[str, str]], sep: str = " : ", bold_label: bool = False) -> str:
    out = []
    for k, v in pairs:
        lab = f"#text(weight: \"bold\")[{t(k + sep.rstrip())}]" if bold_label else t(k + sep.rstrip())
        out.append(f"{lab} {t(v)}")
    return " \\ ".join(out)


def _totals_block(r: _R, ruled: bool = False) -> str:
    cells = []
    for lab, val, bold in r.totals():
        weight = '"bold"' if bold else '"regular"'
        cells += [f"[#text(weight: {weight})[{t(lab)}]]", f"[#text(weight: {weight})[{t(val)}]]"]
    stroke = "0.5pt + luma(90)" if ruled else "none"
    return f"#table(columns: (auto, auto), stroke: {stroke}, inset: 4pt, align: (left, right), {', '.join(cells)})"


def _logo(r: _R) -> str:
    s = r.doc.seller
    label = s["brand"] or "".join(w[0] for w in s["name"].split()[:2]).upper()
    shape = r.rng.choice(("circle", "rect"))
    colour = r.s["rule_color"]
    if shape == "circle":
        return (f"#box(circle(radius: 16pt, fill: rgb(\"{colour}\"))[#set align(center + horizon)\n"
                f"#text(fill: white, weight: \"bold\", size: 12pt)[{t(label[:3])}]])")
    return (f"#box(rect(fill: rgb(\"{colour}\"), inset: 6pt, radius: 3pt)[#text(fill: white, weight: \"bold\", "
            f"size: 14pt)[{t(label)}]])")


def _preamble(r: _R, footer: str = "") -> str:
    s = r.s
    fonts = "(" + ", ".join(json.dumps(f) for f in s["font"]) + ",)"
    lang = r.doc.lang
    foot = f", footer: [#set text(size: {s['size'] - 2}pt)\n#set align(center)\n{footer}]" if footer else ""
    return (f"#set page(paper: \"a4\", margin: (x: {1.4 + s['seed']:.2f}cm, top: 1.5cm, bottom: 2.4cm){foot})\n"
            f"#set text(font: {fonts}, size: {s['size']}pt, lang: \"{lang}\")\n#set par(justify: false)\n")


def _footer_legal(r: _R, full: bool = False) -> str:
    s = r.doc.seller
    full = full or r.s["ids_where"] in ("footer", "both")
    parts = [s["name"]] + r.legal() if full else [s["name"], r.legal()[0]]
    sep = r.rng.choice((" – ", " - ", " · ", " | "))
    text = sep.join(parts)
    bank = r.bank() if r.rng.random() < 0.4 else []
    return t(text) + ("" if not bank else " \\ " + t(sep.join(bank)))


# ------------------------------------------------------------------------------ layouts
def layout_letterhead(r: _R) -> str:
    """Seller block with logo top-left (or right), title and a meta table on the other side, client below."""
    d, s = r.doc, r.s
    seller = (_logo(r) + " \\ " if s["logo"] else "") + f"#text(size: {s['size'] + 3}pt, weight: \"bold\")[{t(d.seller['name'])}] \\ " + lines_(
        *r.seller_lines(False))
    if s["ids_where"] in ("header", "both"):
        seller += " \\ " + f"#text(size: {s['size'] - 1}pt)[{lines_(*r.legal()[1:])}]"
    meta = (f"#text(size: 20pt, weight: \"bold\", fill: rgb(\"{s['rule_color']}\"))[{t(r.title())}]\n\n"
            + table(["", ""], [[k, v] for k, v in r.meta()], s, align_right_from=2, ruled=True).replace(
                "[#text(weight: \"bold\")[#\"\"]], [#text(weight: \"bold\")[#\"\"]], ", "").replace(
                "table.cell(fill: luma(225))[#text(weight: \"bold\")[#\"\"]], table.cell(fill: luma(225))[#text(weight: \"bold\")[#\"\"]], ", ""))
    left, right = (seller, meta) if not s["seller_right"] else (meta, seller)
    body = f"#grid(columns: (1fr, 1fr), gutter: 12pt, [{left}], [#align(right)[#align(left)[{right}]]])\n\n"
    buyer = f"#text(weight: \"bold\")[{t(r.w['buyer'])}] \\ " + lines_(*r.buyer_lines())
    ship = (f"#text(weight: \"bold\")[{t(r.w['ship'])}] \\ " + lines_("Entrepôt " + d.seller["city"],
                                                                        f"{r.rng.randint(1, 99)} rue du Port",
                                                                        d.buyer["address"]["postcode"] + " " + d.buyer["address"]["city"])) if s["ship_to"] else ""
    body += f"#v(8pt)\n#grid(columns: (1fr, 1fr), [{ship}], [#rect(inset: 8pt, stroke: 0.5pt)[{buyer}]])\n\n"
    body += _common_body(r)
    return _preamble(r, _footer_legal(r)) + body


def _common_body(r: _R, totals_ruled: bool = False) -> str:
    d, s = r.doc, r.s
    out = ""
    extras = r.extras()
    if extras:
        out += f"#v(6pt)\n#text(size: {s['size'] - 0.5}pt)[{lines_(*extras)}]\n\n"
    if r.credits():
        out += f"#v(4pt)\n{t(r.credits())}\n\n"
    head, rows = r.line_rows(d.lines)
    widths = ["1fr" if c == "desc" else "auto" for c in s["line_cols"]]
    first_num = s["line_cols"].index("desc") + 1
    out += "#v(10pt)\n" + table(head, rows, s, align_right_from=first_num, widths=widths) + "\n\n"
    vt = r.vat_table()
    tot = _totals_block(r, totals_ruled)
    out += f"#v(8pt)\n#grid(columns: (1fr, auto), gutter: 16pt, [{vt or ''}], [{tot}])\n\n"
    pay = [x for x in (r.terms(), *r.bank()) if x]
    if pay:
        out += f"#v(8pt)\n{lines_(*pay)}\n\n"
    if s["penalty"]:
        out += f"#v(6pt)\n#text(size: {s['size'] - 1.5}pt)[{t(r.w['penalty'])}]\n\n"
    if s["slogan"]:
        out += f"#v(6pt)\n#align(center)[#emph[{t(r.w['thanks'])}]]\n"
    return out


def layout_band(r: _R) -> str:
    """A coloured band with the seller's name, meta as a row of labels above their values."""
    d, s = r.doc, r.s
    colour = s["rule_color"]
    band = (f"#block(width: 100%, fill: rgb(\"{colour}\"), inset: 10pt)[#grid(columns: (1fr, auto), "
            f"[#text(fill: white, size: {s['size'] + 5}pt, weight: \"bold\")[{t(d.seller['brand'] or d.seller['name'])}]], "
            f"[#text(fill: white, size: 16pt)[{t(r.title())}]])]\n")
    addr = lines_(*r.seller_lines(d.seller["brand"] is not None))
    if s["ids_where"] in ("header", "both"):
        addr += " \\ " + lines_(*r.legal()[1:])
    buyer = f"#text(weight: \"bold\")[{t(r.w['buyer'])}] \\ " + lines_(*r.buyer_lines())
    body = band + f"#v(6pt)\n#grid(columns: (1fr, 1fr), gutter: 12pt, [#text(size: {s['size'] - 0.5}pt)[{addr}]], [{buyer}])\n\n"
    meta = r.meta()
    extra_cols = []
    if s["client_code"]:
        extra_cols.append((("Code client" if d.lang == "fr" else "Customer ID"), f"C{r.rng.randint(1000, 9999)}"))
    cols = meta + extra_cols
    body += "#v(8pt)\n" + table([k for k, _ in cols], [[v for _, v in cols]], s, align_right_from=len(cols),
                                 ruled=True) + "\n\n"
    s2 = dict(s)
    s2["client_code"] = False
    r.s = s2
    body += _common_body(r, totals_ruled=s["seed"] > 0.6)
    return _preamble(r, _footer_legal(r)) + body


def layout_letter(r: _R) -> str:
    """Centred letterhead, window-envelope address, "Facture n° X du <date>" as a sentence, dotted totals."""
    d, s = r.doc, r.s
    head = (f"#align(center)[#text(size: {s['size'] + 6}pt, weight: \"bold\")[{t(d.seller['name'])}] \\ "
            + (f"#emph[{t(d.seller['brand'] + ' — ' + ('votre partenaire depuis 1998' if d.lang == 'fr' else 'since 1998'))}] \\ " if d.seller["brand"] else "")
            + f"#text(size: {s['size'] - 1}pt)[{t(' – '.join(r.seller_lines(False)))}]"
            + (f" \\ #text(size: {s['size'] - 1.5}pt)[{t(' – '.join(r.legal()[1:]))}]" if s["ids_where"] != "footer" else "")
            + "]\n#line(length: 100%, stroke: 0.6pt)\n")
    addr = f"#v(18pt)\n#grid(columns: (1fr, 8cm), [], [{lines_(*r.buyer_lines())}])\n#v(12pt)\n"
    place = ((f"{d.seller['city']}, le {r.date(d.issue)}" if d.lang == "fr" else f"{d.seller['city']}, {r.date(d.issue)}")
             if s["seed"] < 0.5 else "")
    of = " du " if d.lang == "fr" else " dated "
    sentence = f"{r.title().rstrip(' N°').capitalize()} n° {d.number}{of}{r.date(d.issue)}" if d.lang == "fr" else \
        f"{r.title().capitalize()} {d.number}{of}{r.date(d.issue)}"
    body = head + addr + (f"#align(right)[{t(place)}]\n\n" if place else "")
    body += f"#text(size: {s['size'] + 2}pt, weight: \"bold\")[{t(sentence)}]\n\n"
    if d.due:
        body += t(f"{r.w['due']} : {r.date(d.due)}" if d.lang == "fr" else f"{r.w['due']}: {r.date(d.due)}") + "\n\n"
    extras = r.extras()
    if extras:
        body += lines_(*extras) + "\n\n"
    if r.credits():
        body += t(r.credits()) + "\n\n"
    head_, rows = r.line_rows(d.lines)
    widths = ["1fr" if c == "desc" else "auto" for c in s["line_cols"]]
    body += table(head_, rows, s, align_right_from=s["line_cols"].index("desc") + 1, widths=widths, ruled=False) + "\n\n"
    body += "#v(6pt)\n#align(right)[#box(width: 9cm)["
    for lab, val, bold in r.totals():
        w = "bold" if bold else "regular"
        body += f"#text(weight: \"{w}\")[{t(lab)} #box(width: 1fr, repeat[.]) {t(val)}] \\ "
    body += "]]\n"
    vt = r.vat_table()
    if vt:
        body += f"#v(6pt)\n{vt}\n"
    pay = [x for x in (r.terms(), *r.bank()) if x]
    if pay:
        body += f"#v(10pt)\n{lines_(*pay)}\n\n"
    if s["penalty"]:
        body += f"#text(size: {s['size'] - 1.5}pt)[{t(r.w['penalty'])}]\n\n"
    foot = t(" – ".join([d.seller["name"]] + r.legal())) if s["ids_where"] != "header" else t(d.seller["name"])
    return _preamble(r, foot) + body


def layout_details_box(r: _R) -> str:
    """Seller left, a framed "details" box right (label: value lines), bill-to and ship-to side by side."""
    d, s = r.doc, r.s
    seller = (_logo(r) + "\n\n" if s["logo"] else "") + f"#text(weight: \"bold\", size: {s['size'] + 2}pt)[{t(d.seller['name'])}] \\ " + lines_(
        *r.seller_lines(False))
    if s["ids_where"] in ("header", "both"):
        seller += " \\ " + lines_(*r.legal()[1:])
    sep = ": " if d.lang == "en" else r.rng.choice((" : ", " : ", ": "))
    details = (f"#text(size: 18pt, weight: \"bold\")[{t(r.title())}]\n\n#rect(inset: 8pt, stroke: 0.6pt + rgb(\"{s['rule_color']}\"))["
               f"#text(weight: \"bold\")[{t(r.w['details'])}] \\ {_kv_block(r.meta() + [(k.split(':')[0], k.split(':', 1)[1].strip()) for k in r.extras() if ':' in k], sep, bold_label=s['seed'] > 0.5)}]")
    body = f"#grid(columns: (1fr, 1fr), gutter: 16pt, [{seller}], [{details}])\n#v(10pt)\n"
    buyer = f"#text(weight: \"bold\")[{t(r.w['buyer'])}] \\ " + lines_(*r.buyer_lines())
    ship = (f"#text(weight: \"bold\")[{t(r.w['ship'])}] \\ " + lines_("Site " + d.buyer["address"]["city"],
                                                                        "ZA du Moulin", d.buyer["address"]["postcode"] + " " + d.buyer["address"]["city"])) if s["ship_to"] else ""
    body += f"#grid(columns: (1fr, 1fr), gutter: 16pt, [{buyer}], [{ship}])\n\n"
    s2 = dict(s)
    s2["order"] = s2["delivery"] = s2["client_code"] = False
    r.s = s2
    body += _common_body(r, totals_ruled=True)
    return _preamble(r, _footer_legal(r)) + body


def layout_grid(r: _R) -> str:
    """Everything in ruled grids: a header grid with the labels above the values, totals as columns."""
    d, s = r.doc, r.s
    top = (f"#grid(columns: (auto, 1fr, auto), gutter: 10pt, [{_logo(r) if s['logo'] else ''}], "
           f"[#text(weight: \"bold\", size: {s['size'] + 2}pt)[{t(d.seller['name'])}] \\ {lines_(*r.seller_lines(False))}], "
           f"[#text(size: 18pt, weight: \"bold\")[{t(r.title())}]])\n#v(8pt)\n")
    cells = []
    pairs = r.meta() + ([("Client", d.buyer["name"])] if d.lang == "fr" else [("Customer", d.buyer["name"])])
    for k, v in pairs:
        cells.append(f"[#text(size: {s['size'] - 1.5}pt)[{t(k)}] \\ #text(weight: \"bold\")[{t(v)}]]")
    top += f"#table(columns: ({', '.join(['1fr'] * len(pairs))},), stroke: 0.6pt, inset: 5pt, {', '.join(cells)})\n\n"
    top += f"#text(size: {s['size'] - 0.5}pt)[{lines_(*r.buyer_lines()[1:])}]\n\n"
    extras = r.extras()
    if extras:
        top += lines_(*extras) + "\n\n"
    if r.credits():
        top += t(r.credits()) + "\n\n"
    head, rows = r.line_rows(d.lines)
    widths = ["1fr" if c == "desc" else "auto" for c in s["line_cols"]]
    top += table(head, rows, s, align_right_from=s["line_cols"].index("desc") + 1, widths=widths, ruled=True) + "\n\n"
    vt = r.vat_table()
    if vt:
        top += f"#v(6pt)\n{vt}\n\n"
    fr = d.lang == "fr"
    heads = [r.w["ht"], r.w["tva"] if not r.w["tva"].startswith("T.V") else "TVA", r.w["ttc"]]
    vals = [r.amt(d.ht), r.amt(d.tva), r.amt(d.ttc)]
    if d.deposit:
        heads.append(("Acompte" if fr else "Deposit"))
        vals.append(r.amt(-d.deposit))
    heads.append(r.w["due_amount"])
    vals.append(r.amt(d.payable))
    top += "#v(6pt)\n" + table(heads, [vals], s, align_right_from=0, ruled=True) + "\n\n"
    pay = [x for x in (r.terms(), *r.bank()) if x]
    if pay:
        top += f"#v(8pt)\n{lines_(*pay)}\n\n"
    if s["penalty"]:
        top += f"#text(size: {s['size'] - 1.5}pt)[{t(r.w['penalty'])}]\n"
    return _preamble(r, _footer_legal(r, full=True)) + top


def layout_multipage(r: _R) -> str:
    """A long invoice: lines over two or three pages, a running total at each page foot, totals on the last page."""
    d, s = r.doc, r.s
    per_page = 24
    chunks = [d.lines[i:i + per_page] for i in range(0, len(d.lines), per_page)]
    n = len(chunks)
    header = (f"#grid(columns: (1fr, auto), [#text(weight: \"bold\", size: {s['size'] + 3}pt)[{t(d.seller['name'])}] \\ "
              f"{lines_(*r.seller_lines(False)[:2])}], [#text(size: 16pt, weight: \"bold\")[{t(r.title())}] \\ "
              f"{_kv_block(r.meta()[:2], ' : ' if d.lang == 'fr' else ': ')}])\n")
    body = ""
    running = Decimal(0)
    widths = ["1fr" if c == "desc" else "auto" for c in s["line_cols"]]
    for p, chunk in enumerate(chunks, start=1):
        if p > 1:
            body += "#pagebreak()\n"
        body += header + f"#align(right)[#text(size: {s['size'] - 1}pt)[{t(r.word('page', p=p, n=n))}]]\n"
        if p == 1:
            buyer = f"#text(weight: \"bold\")[{t(r.w['buyer'])}] \\ " + lines_(*r.buyer_lines())
            body += f"#grid(columns: (1fr, 1fr), [{lines_(*r.extras())}], [#rect(inset: 8pt)[{buyer}]])\n\n"
            if d.due:
                body += t(f"{r.w['due']} : {r.date(d.due)}") + "\n\n"
            if r.credits():
                body += t(r.credits()) + "\n\n"
        head, rows = r.line_rows(chunk)
        if p > 1:
            rows.insert(0, [""] * (len(head) - 2) + [r.w["brought"], r.amt(running, False)])
        running += sum((ln["net"] for ln in chunk), Decimal(0))
        if p < n:
            rows.append([""] * (len(head) - 2) + [r.w["carry"], r.amt(running, False)])
        body += table(head, rows, s, align_right_from=s["line_cols"].index("desc") + 1, widths=widths, ruled=True) + "\n"
    vt = r.vat_table()
    body += f"#v(8pt)\n#grid(columns: (1fr, auto), gutter: 16pt, [{vt or ''}], [{_totals_block(r, True)}])\n\n"
    pay = [x for x in (r.terms(), *r.bank()) if x]
    if pay:
        body += lines_(*pay) + "\n\n"
    if s["penalty"]:
        body += f"#text(size: {s['size'] - 1.5}pt)[{t(r.w['penalty'])}]\n"
    return _preamble(r, _footer_legal(r, full=True)) + body


def layout_minimal(r: _R) -> str:
    """A bare word-processor invoice: left-aligned blocks, "Label: value" lines, one plain table."""
    d, s = r.doc, r.s
    sep = ": " if d.lang == "en" else r.rng.choice((" : ", " : ", ": "))
    body = lines_(*r.seller_lines(True)) + "\n\n"
    if s["ids_where"] != "footer":
        body += lines_(*r.legal()[1:]) + "\n\n"
    body += f"#align(right)[{lines_(*r.buyer_lines())}]\n\n"
    body += f"#text(size: {s['size'] + 4}pt, weight: \"bold\")[{t(r.title())}]\n\n"
    body += _kv_block(r.meta(), sep) + "\n\n"
    s2 = dict(s)
    s2["accent"] = False
    r.s = s2
    body += _common_body(r)
    foot = t(" - ".join([d.seller["name"]] + r.legal())) if s["ids_where"] != "header" else ""
    return _preamble(r, foot) + body


LAYOUTS: dict[str, Callable[[_R], str]] = {
    "letterhead": layout_letterhead, "band": layout_band, "letter": layout_letter, "details": layout_details_box,
    "grid": layout_grid, "multipage": layout_multipage, "minimal": layout_minimal,
}
LAYOUT_NAMES = tuple(LAYOUTS)


# ------------------------------------------------------------------------------ rendering and scanning
_compiler_fonts: Any = None


def _fonts() -> Any:
    global _compiler_fonts
    if _compiler_fonts is None:
        import typst

        from einvoice.invoicing.render import TEMPLATE_DIR

        _compiler_fonts = typst.Fonts(include_system_fonts=True, include_embedded_fonts=True,
                                      font_paths=[str(TEMPLATE_DIR / "fonts")])
    return _compiler_fonts


def typst_source(doc: Doc) -> str:
    return LAYOUTS[doc.layout](_R(doc))


def render(doc: Doc) -> bytes:
    import typst

    return typst.compile(typst_source(doc).encode(), format="pdf", font_paths=_fonts())


@dataclass
class Sample:
    doc: Doc
    pdf: bytes

    @property
    def truth(self) -> dict[str, str]:
        return self.doc.truth()

    @property
    def label(self) -> str:
        return f"{self.doc.seed}:{self.doc.layout}/{self.doc.lang}"


def sample(seed: int, buyer: dict[str, Any], layout: str | None = None) -> Sample:
    doc = make_doc(seed, buyer, layout)
    return Sample(doc, render(doc))


def company(seed: int = 1) -> dict[str, Any]:
    """The receiving company (the buyer of every sample)."""
    rng = random.Random(seed)
    siren = random_siren(rng)
    return {"name": "Groupe Hôtelier Beaulieu SAS", "siren": siren, "siret": random_siret(rng, siren),
            "address": {"line1": "14 avenue de la Gare", "postcode": "74000", "city": "Annecy"}}


def _degrade(img: Any, rng: random.Random, dpi: int, photo: bool) -> Any:
    import numpy as np
    from PIL import Image, ImageFilter

    angle = rng.uniform(-3, 3)
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    w, h = img.size
    if photo:  # the page shot from slightly off-axis: a trapezoid
        d = int(w * rng.uniform(0.02, 0.05))
        e = int(h * rng.uniform(0.0, 0.03))
        quad = (d, e, 0, h, w, h - e, w - d, 0) if rng.random() < 0.5 else (0, 0, d, h - e, w - d, h, w, e)
        img = img.transform((w, h), Image.Transform.QUAD, quad, resample=Image.Resampling.BICUBIC, fillcolor=255)
    blur = rng.uniform(0.3, 1.0) * dpi / 300
    img = img.filter(ImageFilter.GaussianBlur(blur))
    seed = rng.randrange(2**32)
    nrng = np.random.default_rng(seed)
    a = np.asarray(img, dtype=np.float32)
    ink, paper = rng.uniform(20, 80), rng.uniform(205, 245)
    a = ink + a * (paper - ink) / 255  # faded contrast
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    dist = np.sqrt(((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2)
    light = 1 - rng.uniform(0.05, 0.25 if photo else 0.15) * dist  # uneven lighting
    a = a * light
    a += nrng.normal(0, rng.uniform(4, 14), a.shape)
    mask = nrng.random(a.shape)
    specks = rng.uniform(0.0005, 0.003)
    a[mask < specks / 2] = ink
    a[mask > 1 - specks / 2] = paper
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def scan(pdf: bytes, rng: random.Random, dpi: int, *, photo: bool | None = None) -> tuple[bytes, str]:
    """(bytes, content type): a JPEG for one page, a PDF of JPEG pages for several."""
    import pypdfium2 as pdfium

    photo = rng.random() < 0.15 if photo is None else photo
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = [doc[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(doc))]
    finally:
        doc.close()
    quality = rng.randint(60, 85)
    images = [_degrade(p, rng, dpi, photo) for p in pages]
    buf = io.BytesIO()
    if len(images) == 1:
        images[0].save(buf, format="JPEG", quality=quality, dpi=(dpi, dpi))
        return buf.getvalue(), "image/jpeg"
    jpgs = []
    for im in images:
        b = io.BytesIO()
        im.save(b, format="JPEG", quality=quality)
        jpgs.append(__import__("PIL.Image", fromlist=["Image"]).open(io.BytesIO(b.getvalue())))
    jpgs[0].save(buf, format="PDF", save_all=True, append_images=jpgs[1:], resolution=float(dpi))
    return buf.getvalue(), "application/pdf"
