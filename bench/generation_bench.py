"""JSON -> Factur-X generation benchmark (warm p50), with the ads-facturx peer for comparison.

Usage (from the repo root)::

    PYTHONPATH=layers/core/python .venv/bin/python bench/generation_bench.py [--repeat 30] [--no-peer]
        [--lines 1,10,50,100] [--json build/generation_bench.json]

What is timed, per invoice size of 1..100 lines, after warm-up (compiler, schemas, imports
cached), on ``--repeat`` *distinct* invoices of that size (other numbers, names, prices): Typst
memoizes whole layouts, so re-rendering one identical document would be 2-4x faster than real
traffic (that figure is shown as ``same`` for reference only):
- ours: ``Invoice.model_validate_json(body)`` + ``to_facturx(invoice, "en16931")`` (computes the
  amounts, writes the CII, checks it against the Factur-X XSD, renders the PDF/A-3b with
  Typst and embeds ``factur-x.xml``); the render alone and the CII alone are reported too.
- peer: ads-facturx (PyPI), the pipeline of its README: ``DevisData.model_validate`` ->
  ``export_xml`` -> ``xml_check_xsd`` -> ``export_pdf`` (ReportLab) -> ``add_icc`` (pikepdf)
  -> ``generate_facturx`` (factur-x 6.x), on the same invoices mapped to its input dict.
  ads-facturx pins factur-x < 7 and saxonche < 13, so it runs in its own virtualenv,
  ``build/bench-venv-ads`` (created with ``python3 -m venv`` + ``pip install ads-facturx`` on
  first use), in a subprocess (``bench/generation_peer_ads.py``).

Profiles: our ``en16931`` is compared with ads ``EU`` (``urn:cen.eu:en16931:2017``) and our
``extended`` with ads ``FR`` (its French flavour declares an EXTENDED-CTC-FR BT-24).

Not part of the test suite (no ``test_`` prefix, needs a network install for the peer).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PEER_VENV = REPO / "build" / "bench-venv-ads"
PEER_SCRIPT = Path(__file__).resolve().parent / "generation_peer_ads.py"

SELLER_SIREN = "732829320"
BUYER_SIREN = "552100554"

BASE: dict[str, Any] = {
    "number": "F-2026-0001",
    "issueDate": "2026-09-15",
    "typeCode": "380",
    "currency": "EUR",
    "vatDueDateCode": "3",
    "dueDate": "2026-10-15",
    "buyerReference": "SERVICE-ACHATS",
    "purchaseOrderReference": "PO-4512",
    "paymentTerms": "Paiement à 30 jours date de facture",
    "businessProcess": "S1",
    "notes": [
        {"subjectCode": "PMT", "text": "Indemnité forfaitaire pour frais de recouvrement : 40 €"},
        {"subjectCode": "PMD", "text": "Pénalités de retard : 3 fois le taux d'intérêt légal"},
        {"subjectCode": "AAB", "text": "Pas d'escompte pour paiement anticipé"},
        {"subjectCode": "BAR", "text": "B2B"},
    ],
    "seller": {
        "name": "Vendeur Conseil SAS",
        "identifiers": [{"value": SELLER_SIREN + "00074", "scheme": "0009"}],
        "siren": SELLER_SIREN,
        "vatId": "FR44" + SELLER_SIREN,
        "legalInfo": "SAS au capital de 10 000 €, RCS Paris",
        "electronicAddress": {"value": SELLER_SIREN, "scheme": "0225"},
        "address": {"line1": "1 rue de la Paix", "city": "Paris", "postcode": "75002", "countryCode": "FR"},
    },
    "buyer": {
        "name": "Acheteur Industrie SARL",
        "siren": BUYER_SIREN,
        "vatId": "FR96" + BUYER_SIREN,
        "electronicAddress": {"value": BUYER_SIREN, "scheme": "0225"},
        "address": {"line1": "2 avenue Foch", "city": "Lyon", "postcode": "69006", "countryCode": "FR"},
    },
    "paymentInstructions": {
        "meansCode": "30",
        "creditTransfers": [{"accountId": "FR7630006000011234567890189"}],
    },
    "lines": [],
}
_ITEMS = [
    ("Prestation de conseil", "DAY", "650.00", "20"),
    ("Licence logicielle", "C62", "120.50", "20"),
    ("Ouvrage technique", "H87", "32.90", "5.5"),
    ("Frais de déplacement", "C62", "85.00", "20"),
    ("Heures de support", "HUR", "75.00", "10"),
]


def invoice_body(n_lines: int, variant: int = 0) -> dict[str, Any]:
    """An invoice of ``n_lines`` lines; each ``variant`` has other numbers, names, quantities and
    prices (same layout), so that renders cannot be served from Typst's memoization caches."""
    import random

    rnd = random.Random(n_lines * 100_003 + variant)
    body = copy.deepcopy(BASE)
    body["number"] = f"F-2026-{n_lines:04d}" + (f"-{variant:05d}" if variant else "")
    for i in range(n_lines):
        name, unit, price, rate = _ITEMS[i % len(_ITEMS)]
        if variant:
            name = f"{name} réf. {rnd.randint(1000, 99999)}"
            price = f"{Decimal(price) * Decimal(rnd.randint(50, 150)) / 100:.2f}"
        body["lines"].append({
            "id": str(i + 1), "name": f"{name} n° {i + 1}",
            "quantity": str(rnd.randint(1, 40) if variant else 1 + i % 7), "unitCode": unit,
            "netPrice": price, "vatCategory": "S", "vatRate": rate,
        })
    return body


# --------------------------------------------------------------------------- ours


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[k]


def quality(pdf: bytes) -> str:
    """Validation verdict (XSD + EN 16931/Factur-X + BR-FR) and PDF/A structure of one output."""
    from einvoice.invoicing.facturx import pdfa3_structure

    s = pdfa3_structure(pdf)
    struct = "pdf/a-3 ok" if s["ok"] else "pdf/a-3 problems: " + "; ".join(s["problems"])
    try:
        from einvoice.validation import validate

        r = validate(pdf)
        verdict = f"{r.verdict} ({r.profile})" + (f" {sorted(r.rule_ids())}" if r.verdict != "valid" else "")
    except Exception as exc:  # noqa: BLE001
        verdict = f"validation unavailable ({exc})"
    return f"{verdict}; {struct}"


def bench_ours(sizes: list[int], profile: str, repeat: int) -> dict[int, dict[str, Any]]:
    """Each timed call gets a *different* invoice (new number, names, prices): that is the real
    workload. Re-rendering the very same document is much faster because Typst memoizes the
    whole layout; that figure is reported separately as ``same_doc_p50`` for reference only."""
    from einvoice.invoicing import calc, cii, render
    from einvoice.invoicing.facturx import pdfa3_structure, to_facturx
    from einvoice.invoicing.model import Invoice

    out: dict[int, dict[str, Any]] = {}
    for n in sizes:
        raws = [json.dumps(invoice_body(n, v)).encode() for v in range(1, repeat + 4)]
        for raw in raws[:3]:  # warm-up on other documents
            to_facturx(Invoice.model_validate_json(raw), profile)
        total, cpu, rend, xml, same = [], [], [], [], []
        pdf = b""
        for raw in raws[3:]:
            c0 = time.process_time()
            t0 = time.perf_counter()
            pdf = to_facturx(Invoice.model_validate_json(raw), profile)
            total.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        invs = [calc.compute(Invoice.model_validate_json(raw)) for raw in raws]
        for inv in invs[:repeat]:
            # render alone, on documents never rendered with these exact contents as PDF-only
            inv = inv.model_copy(update={"number": inv.number + "R"})
            t0 = time.perf_counter()
            render.render_pdf(inv)
            rend.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            cii.to_cii(inv, profile)
            xml.append(time.perf_counter() - t0)
        one = json.dumps(invoice_body(n)).encode()
        to_facturx(Invoice.model_validate_json(one), profile)
        for _ in range(max(5, repeat // 3)):
            t0 = time.perf_counter()
            to_facturx(Invoice.model_validate_json(one), profile)
            same.append(time.perf_counter() - t0)
        s = pdfa3_structure(pdf)
        out[n] = {
            "p50": statistics.median(total), "p95": pct(total, 0.95), "cpu_p50": statistics.median(cpu),
            "render_p50": statistics.median(rend), "same_doc_p50": statistics.median(same),
            "cii_p50": statistics.median(xml), "size": len(pdf), "structure_ok": s["ok"],
            "problems": s["problems"], "level": s["fx_conformance_level"],
            "quality": quality(pdf) if n == max(sizes) else None,
        }
    return out


# --------------------------------------------------------------------------- peer


def _f(v: Decimal | None) -> float:
    return float(v or 0)


def to_ads(body: dict[str, Any]) -> dict[str, Any]:
    """Our invoice (computed) as an ads-facturx ``DevisData`` dict with the same content."""
    from einvoice.invoicing import calc
    from einvoice.invoicing.model import Invoice

    inv = calc.compute(Invoice.model_validate(body))
    t = inv.totals

    def party(p: Any) -> dict[str, Any]:
        a = p.address
        return {"name": p.name, "vat": p.vat_id, "address": {
            "adr_l1": a.line1 or "", "adr_l2": a.line2 or "", "adr_l3": a.line3 or "",
            "postcode": a.postcode or "", "city": a.city or "", "country_id": a.country_code}}

    notes = {n.subject_code: n.text for n in inv.notes}
    iban = inv.payment_instructions.credit_transfers[0].account_id if inv.payment_instructions else None
    return {
        "identification": [{"information": x} for x in (
            inv.seller.name, inv.seller.address.line1, f"{inv.seller.address.postcode} {inv.seller.address.city}",
            f"SIREN {inv.seller.siren}", f"N° TVA : {inv.seller.vat_id}")],
        "seller": party(inv.seller),
        "buyer": party(inv.buyer),
        "invoice": {
            "name": inv.number, "order": inv.purchase_order_reference or inv.number,
            "member": inv.buyer_reference or "", "date": inv.issue_date.strftime("%Y%m%d"),
            "expiration": (inv.due_date or inv.issue_date).strftime("%Y%m%d"), "type_code": inv.type_code,
            "date_format": "102", "currency": inv.currency, "reference": inv.purchase_order_reference,
            "description": [inv.payment_terms or ""],
            "line_total_amount": _f(t.line_total), "tax_total_amount": _f(t.tax_amount),
            "tax_basis_total_amount": _f(t.tax_exclusive), "grand_total_amount": _f(t.tax_inclusive),
            "prepaid_amount": _f(t.prepaid), "paid_amount": 0.0, "rounding_amount": _f(t.rounding),
            "due_payable_amount": _f(t.payable),
            "linked_document_number": "", "linked_document_date": "", "vat_exemption": "",
            "seller_siren": inv.seller.siren,
            "xml_seller_scheme": "0225", "xml_seller_endpoint_id": inv.seller.electronic_address.value,
            "xml_buyer_scheme": "0225", "xml_buyer_endpoint_id": inv.buyer.electronic_address.value,
            "business_process": inv.business_process, "xml_iban": iban, "xml_payment_type_code": "30",
        },
        "invoice_lines": [{
            "type_line": "product", "line_id": int(line.id), "product_description": line.name,
            "product_type": "LB", "quantity": float(line.quantity), "unit_price": float(line.net_price),
            "unit_code": line.unit_code, "unit_code_xml": line.unit_code, "tva_code": float(line.vat_rate or 0),
            "tva_type": line.vat_category, "line_amount": _f(line.net_amount)} for line in inv.lines],
        "invoice_summary": [{
            "rate": float(v.rate or 0), "base_amount": _f(v.taxable_amount), "vat_amount": _f(v.tax_amount),
            "vat_code": v.category, "ttc_amount": _f(v.taxable_amount + v.tax_amount)} for v in inv.vat_breakdown],
        "legal_information": [
            {"li_seq": i + 1, "li_label": notes[c], "li_code": c} for i, c in enumerate(("PMT", "PMD", "AAB"))],
        "footer": [{"society": "1", "sort_order": 1, "formatting": "normal", "size": "8pt",
                    "text_alignment": "left", "information": f"{inv.seller.name} — SIREN {inv.seller.siren}"}],
        "reference_box": [{"type_line": "title", "rb_label": "Référence :",
                           "rb_description": inv.purchase_order_reference or ""}],
        "footer_information": [
            {"label": "Conditions :", "description": inv.payment_terms or "", "type_line": "comment"},
            {"label": "IBAN :", "description": iban or "", "type_line": "comment"},
        ],
    }


def ensure_peer_venv() -> tuple[Path | None, str]:
    py = PEER_VENV / "bin" / "python"
    if py.exists():
        probe = subprocess.run([str(py), "-c", "import ads_facturx"], capture_output=True, text=True,
                               check=False)
        if probe.returncode == 0:
            return py, "existing venv"
    try:
        subprocess.run(["python3", "-m", "venv", str(PEER_VENV)], check=True,
                       capture_output=True, text=True)
        proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "ads-facturx"], capture_output=True,
                              text=True, timeout=900, check=False)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        return None, f"cannot create {PEER_VENV}: {exc}"
    if proc.returncode != 0:
        return None, "pip install ads-facturx failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
    return py, "created"


def bench_peer(py: Path, sizes: list[int], profile: str, repeat: int) -> dict[str, Any]:
    """The peer gets the same kind of workload: ``repeat`` distinct invoices per size."""
    with tempfile.TemporaryDirectory(prefix="ads-bench-") as work:
        job = {"profile": profile, "warmup": 2, "workdir": work,
               "invoices": [{"name": str(n), "variants": [to_ads(invoice_body(n, v)) for v in range(1, repeat + 3)]}
                            for n in sizes]}
        proc = subprocess.run([str(py), str(PEER_SCRIPT)], input=json.dumps(job), capture_output=True, text=True,
                              timeout=3600, env=dict(os.environ, PYTHONPATH=""), check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"peer runner failed: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--lines", default="1,10,50,100")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.lines.split(",")]
    report: dict[str, Any] = {"ours": {}, "peer": {}, "peer_status": None}

    t0 = time.perf_counter()
    from einvoice.invoicing.facturx import to_facturx
    from einvoice.invoicing.model import Invoice
    from einvoice.invoicing.render import warm_up

    warm_up()
    first_t = time.perf_counter()
    to_facturx(Invoice.model_validate_json(json.dumps(invoice_body(sizes[0])).encode()))
    report["ours_cold"] = {"import_s": first_t - t0, "first_call_s": time.perf_counter() - first_t}

    for profile in ("en16931", "extended"):
        report["ours"][profile] = bench_ours(sizes, profile, args.repeat)

    if args.no_peer:
        report["peer_status"] = "skipped (--no-peer)"
    else:
        py, status = ensure_peer_venv()
        report["peer_status"] = status
        if py is not None:
            for ads_profile in ("EU", "FR"):
                try:
                    report["peer"][ads_profile] = bench_peer(py, sizes, ads_profile, max(5, args.repeat // 3))
                except Exception as exc:  # noqa: BLE001 - say why, print our figures alone
                    report["peer"][ads_profile] = {"error": str(exc)}

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"host: {os.cpu_count()} CPUs, load average {load:.1f} at the end (wall times inflate under load; "
          "'cpu' = process CPU time, all threads)")
    print(f"cold: imports {report['ours_cold']['import_s'] * 1000:.0f} ms, first JSON->Factur-X "
          f"{report['ours_cold']['first_call_s'] * 1000:.0f} ms (this machine runs with PYTHONDONTWRITEBYTECODE)")
    for ours_profile, ads_profile in (("en16931", "EU"), ("extended", "FR")):
        print(f"\nprofile ours={ours_profile} / ads-facturx={ads_profile}  (warm, ms)")
        print(f"{'lines':>5} {'ours p50':>9} {'p95':>7} {'cpu':>6} {'render':>7} {'cii':>6} {'same':>6} {'KB':>5}  "
              f"{'ads p50':>8} {'cpu':>6} {'ads KB':>6}  {'ads/ours':>8}  ads stages p50 (model+xml/xsd/pdf/icc/fx)")
        peer = report["peer"].get(ads_profile) or {}
        peer_rows = {r["name"]: r for r in peer.get("results", [])}
        for n in sizes:
            o = report["ours"][ours_profile][n]
            line = (f"{n:>5} {o['p50'] * 1000:>9.1f} {o['p95'] * 1000:>7.1f} {o['cpu_p50'] * 1000:>6.1f} "
                    f"{o['render_p50'] * 1000:>7.1f} "
                    f"{o['cii_p50'] * 1000:>6.1f} {o['same_doc_p50'] * 1000:>6.1f} {o['size'] / 1024:>5.0f}")
            if not o["structure_ok"]:
                line += f"  [our structure problems: {o['problems']}]"
            r = peer_rows.get(str(n))
            if r and "runs" in r:
                totals = [x["total"] for x in r["runs"]]
                p50 = statistics.median(totals)
                stages = "/".join(f"{statistics.median([x[k] for x in r['runs']]) * 1000:.0f}"
                                  for k in ("model_xml", "xsd", "pdf", "icc", "facturx"))
                cpu = statistics.median([x["cpu"] for x in r["runs"]])
                line += (f"  {p50 * 1000:>8.1f} {cpu * 1000:>6.1f} {r['size'] / 1024:>6.0f}  {p50 / o['p50']:>7.1f}x  "
                         f"{stages}")
                r["p50"] = p50
            elif r:
                line += f"  peer error: {r.get('error')}"
            print(line)
        big = max(sizes)
        print(f"  ours ({big} lines): {report['ours'][ours_profile][big]['quality']}")
        if peer.get("error"):
            print(f"  ads-facturx not measured: {peer['error']}")
        elif peer.get("results"):
            import base64

            last = peer_rows.get(str(big))
            if last and last.get("pdf_b64"):
                print(f"  ads-facturx ({big} lines): {quality(base64.b64decode(last.pop('pdf_b64')))}")
            for r in peer["results"]:
                r.pop("pdf_b64", None)
            print(f"  ads-facturx versions: {peer.get('versions')}")
    if not report["peer"] and report["peer_status"]:
        print(f"\nads-facturx not measured: {report['peer_status']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
