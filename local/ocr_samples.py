"""Made-up invoices rendered by the platform, and "scans" of them, for the OCR tests and benchmark.

``random_invoice(rng, buyer=...)`` builds a varied EN 16931 invoice (seller names, legal forms,
valid SIREN/SIRET/VAT keys and IBANs, 1-8 lines, mixed VAT rates, invoice number styles, credit
notes); ``render(invoice)`` is the platform's readable PDF (``einvoice.invoicing.render``);
``scan(pdf, dpi=..., angle=..., noise=...)`` rasterises it and degrades it like a scanner or a
phone would (rotation, grey noise, salt-and-pepper dots, blur, JPEG). Deterministic per seed.
"""

from __future__ import annotations

import datetime as _dt
import io
import random
from decimal import Decimal
from typing import Any

from einvoice.identifiers import french_vat_from_siren, luhn_ok

_FORMS = ("SAS", "SARL", "SA", "EURL", "SASU", "SCI", "SNC")
_ACTIVITIES = ("Boulangerie", "Menuiserie", "Électricité", "Transports", "Imprimerie", "Conseil", "Plomberie",
               "Atelier", "Garage", "Laboratoire", "Fromagerie", "Informatique", "Nettoyage", "Traiteur")
_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
          "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier")
_CITIES = (("75011", "Paris"), ("69003", "Lyon"), ("13006", "Marseille"), ("31000", "Toulouse"),
           ("44000", "Nantes"), ("33000", "Bordeaux"), ("59000", "Lille"), ("67000", "Strasbourg"),
           ("35000", "Rennes"), ("06000", "Nice"))
_STREETS = ("rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "rue des Lilas", "place du Marché",
            "chemin des Vignes", "rue Victor Hugo", "allée des Tilleuls")
_ITEMS = (("Prestation de conseil", "HUR", (60, 180)), ("Maintenance informatique", "HUR", (40, 95)),
          ("Ramette papier A4", "H87", (3, 9)), ("Cartouche d'encre", "H87", (15, 60)),
          ("Livraison", "C62", (10, 80)), ("Développement logiciel", "DAY", (350, 900)),
          ("Abonnement mensuel", "C62", (20, 150)), ("Pièces détachées", "H87", (5, 250)),
          ("Nettoyage des locaux", "HUR", (20, 35)), ("Formation", "DAY", (500, 1500)),
          ("Câble réseau 5 m", "H87", (4, 15)), ("Location de matériel", "DAY", (30, 200)))
_RATES = ("20", "20", "20", "10", "5.5")


def luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")


def random_siren(rng: random.Random) -> str:
    return luhn_complete(str(rng.randint(10_000_000, 99_999_999)))


def random_siret(rng: random.Random, siren: str) -> str:
    return luhn_complete(siren + f"{rng.randint(1, 9999):04d}")


def random_iban(rng: random.Random) -> str:
    bban = f"{rng.randint(10000, 99999)}{rng.randint(10000, 99999)}{rng.randint(10**10, 10**11 - 1)}"
    bban += f"{rng.randint(10, 97):02d}"
    number = int("".join(str(int(c, 36)) for c in bban + "FR00"))
    return f"FR{98 - number % 97:02d}{bban}"


def random_party(rng: random.Random) -> dict[str, Any]:
    siren = random_siren(rng)
    postcode, city = rng.choice(_CITIES)
    name = f"{rng.choice(_ACTIVITIES)} {rng.choice(_NAMES)} {rng.choice(_FORMS)}"
    return {"name": name, "siren": siren, "siret": random_siret(rng, siren),
            "address": {"line1": f"{rng.randint(1, 120)} {rng.choice(_STREETS)}", "postcode": postcode, "city": city}}


def _number(rng: random.Random, year: int) -> str:
    style = rng.randrange(5)
    n = rng.randint(1, 9999)
    return (f"F-{year}-{n:04d}", f"FA{year}{n:05d}", f"{year}-{n:06d}", f"INV/{year}/{n:04d}",
            f"{rng.randint(100000, 999999)}")[style]


def random_invoice(rng: random.Random, *, buyer: dict[str, Any] | None = None,
                   today: _dt.date = _dt.date(2026, 11, 20)) -> dict[str, Any]:
    """An invoice JSON (the ``POST /v1/invoices`` model) from a random supplier to ``buyer``."""
    seller = random_party(rng)
    buyer = buyer or random_party(rng)
    issue = today - _dt.timedelta(days=rng.randint(0, 300))
    terms = rng.choice((0, 30, 30, 45, 60))
    credit = rng.random() < 0.12
    lines = []
    for i in range(rng.randint(1, 8)):
        name, unit, (lo, hi) = rng.choice(_ITEMS)
        qty = Decimal(rng.choice((1, 1, 2, 3, 5, 10, 12, 24))) if unit != "HUR" else Decimal(rng.choice((1, 2, 4, 7.5, 8)))
        price = Decimal(rng.randint(lo * 100, hi * 100)) / 100
        lines.append({"id": str(i + 1), "name": name, "quantity": str(qty), "unitCode": unit,
                      "netPrice": str(price), "vatCategory": "S", "vatRate": rng.choice(_RATES)})
    year = issue.year
    inv: dict[str, Any] = {
        "number": _number(rng, year),
        "issueDate": issue.isoformat(),
        "typeCode": "381" if credit else "380",
        "currency": "EUR",
        "businessProcess": rng.choice(("B1", "S1", "M1")),
        "notes": [
            {"subjectCode": "PMT", "text": "Indemnité forfaitaire pour frais de recouvrement : 40 €"},
            {"subjectCode": "PMD", "text": "Pénalités de retard : 3 fois le taux d'intérêt légal"},
            {"subjectCode": "AAB", "text": "Pas d'escompte pour paiement anticipé"},
        ],
        "seller": {"name": seller["name"], "siren": seller["siren"], "vatId": french_vat_from_siren(seller["siren"]),
                   "identifiers": [{"value": seller["siret"], "scheme": "0009"}],
                   "electronicAddress": {"value": seller["siren"], "scheme": "0225"},
                   "address": {**seller["address"], "countryCode": "FR"}},
        "buyer": {"name": buyer["name"], "siren": buyer["siren"], "vatId": french_vat_from_siren(buyer["siren"]),
                  "electronicAddress": {"value": buyer["siren"], "scheme": "0225"},
                  "address": {**buyer.get("address", {"line1": "1 rue de Paris", "postcode": "75001",
                                                      "city": "Paris"}), "countryCode": "FR"}},
        "lines": lines,
    }
    if credit:
        inv["precedingInvoices"] = [{"number": _number(rng, year), "issueDate": (issue - _dt.timedelta(days=20)).isoformat()}]
    else:
        inv["dueDate"] = (issue + _dt.timedelta(days=terms)).isoformat()
        inv["paymentTerms"] = f"Paiement à {terms} jours" if terms else "Paiement à réception"
        inv["paymentInstructions"] = {"meansCode": "58", "creditTransfers": [{"accountId": random_iban(rng)}]}
    return inv


def render(invoice_json: dict[str, Any]) -> bytes:
    from einvoice.invoicing import calc
    from einvoice.invoicing import render as r
    from einvoice.invoicing.model import Invoice

    return r.render_pdf(calc.compute(Invoice.model_validate(invoice_json)))


def scan(pdf: bytes, *, dpi: int = 300, angle: float = 1.5, noise: float = 12.0, specks: float = 0.002,
         blur: float = 0.4, quality: int = 75, seed: int = 0) -> bytes:
    """A JPEG "scan" of the first page of ``pdf``: rotated, noisy, slightly blurred."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    doc = pdfium.PdfDocument(pdf)
    try:
        img = doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    rng = np.random.default_rng(seed)
    a = np.asarray(img, dtype=np.float32)
    a = a * 0.92 + 10  # a grey-ish paper and less than black ink
    a += rng.normal(0, noise, a.shape)
    mask = rng.random(a.shape)
    a[mask < specks / 2] = 0
    a[mask > 1 - specks / 2] = 255
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()
