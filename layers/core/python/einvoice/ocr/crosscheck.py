"""Candidates -> one value per field, then the cross-checks that raise or lower confidence.

Agreeing candidates reinforce each other (noisy-OR of their confidences); a competing value
that is almost as strong makes the field ambiguous. Then:

* totals: HT + VAT = TTC, the VAT breakdown sums to the totals, VAT = base x rate per rate, the
  lines sum to HT; a consistent set is trusted (>= 0.97), an inconsistent one is flagged;
* identifiers: SIREN/SIRET keys (already required by the extraction), existence in the directory
  and its name against the supplier name read, VAT number consistent with the SIREN, IBAN mod 97;
* the buyer is the company the document was submitted for (SIREN, name);
* dates: issue date not in the future, due date after it and consistent with "payment at N days".

A field is *sure* when its confidence is at least ``REVIEW_THRESHOLD`` and no error finding
names it. Any required field missing or unsure, or any error finding -> ``NEEDS_REVIEW``.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from einvoice.ocr import normalize as n
from einvoice.ocr.extract import Candidate, Context, Extraction, _similar

REVIEW_THRESHOLD = 0.9
# a credit note said anywhere (its title may be unreadable: white on a dark band, a stamp)
_CREDIT_HINT = re.compile(r"(?m)facture d'avoir|note de credit|credit note|credit memo|avoir (?:n[°º]|no\b|sur|numero)|^avoir\b")
REQUIRED = ("BT-1", "BT-2", "BT-3", "BT-5", "BT-27", "BT-30", "BT-44", "BT-109", "BT-110", "BT-112", "BT-115")
CENT = Decimal("0.01")
TOL = Decimal("0.02")


@dataclass
class FieldValue:
    value: Any
    confidence: float
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    source: str = "label"
    rate: bool = False  # a percentage: written "20", "5.5" (not as an amount)

    def to_json(self) -> dict[str, Any]:
        v = self.value
        if isinstance(v, Decimal) and self.rate:
            v = format(v.normalize(), "f")
        elif isinstance(v, Decimal):
            v = str(v.quantize(CENT)) if v == v.quantize(CENT) else str(v.normalize())
        elif isinstance(v, _dt.date):
            v = v.isoformat()
        out: dict[str, Any] = {"value": v, "confidence": round(float(self.confidence), 3)}
        if self.page:
            out["page"] = self.page
        if self.box and any(self.box):
            out["box"] = [round(c, 4) for c in self.box]
        out["source"] = self.source
        return out


@dataclass
class Result:
    fields: dict[str, FieldValue] = field(default_factory=dict)
    vat_breakdown: list[dict[str, FieldValue]] = field(default_factory=list)
    lines: list[dict[str, FieldValue]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def finding(self, rule: str, fields: list[str], message: str, message_fr: str, severity: str = "error") -> None:
        self.findings.append({"rule": rule, "fields": fields, "severity": severity, "message": message,
                              "messageFr": message_fr})

    def lower(self, bt: str, cap: float) -> None:
        if bt in self.fields:
            self.fields[bt].confidence = min(self.fields[bt].confidence, cap)

    def raise_(self, bt: str, floor: float) -> None:
        if bt in self.fields:
            self.fields[bt].confidence = max(self.fields[bt].confidence, floor)

    def value(self, bt: str) -> Any:
        f = self.fields.get(bt)
        return f.value if f else None

    def flagged(self) -> set[str]:
        """Fields a reviewer must look at: unsure, or named by an error finding."""
        out = {bt for bt, f in self.fields.items() if f.confidence < REVIEW_THRESHOLD}
        for f in self.findings:
            if f["severity"] == "error":
                out.update(f["fields"])
        return out

    @property
    def needs_review(self) -> bool:
        return any(f["severity"] == "error" for f in self.findings) or any(
            self.fields[bt].confidence < REVIEW_THRESHOLD for bt in REQUIRED if bt in self.fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": {bt: f.to_json() for bt, f in sorted(self.fields.items(), key=lambda kv: _bt_order(kv[0]))},
            "vatBreakdown": [{k: v.to_json() for k, v in row.items()} for row in self.vat_breakdown],
            "lines": [{k: v.to_json() for k, v in line.items()} for line in self.lines],
            "findings": self.findings,
        }


def _bt_order(bt: str) -> tuple[int, str]:
    m = re.match(r"BT-(\d+)", bt)
    return (int(m.group(1)) if m else 999, bt)


def _pick(cands: list[Candidate]) -> tuple[FieldValue | None, bool]:
    """The best-supported value (noisy-OR of agreeing candidates) and whether a rival is close."""
    if not cands:
        return None, False
    groups: dict[str, list[Candidate]] = {}
    for c in cands:
        key = n.fold(str(c.value)).strip() if isinstance(c.value, str) else str(c.value)
        groups.setdefault(key, []).append(c)
    scored = []
    for members in groups.values():
        miss = 1.0
        for c in members:
            miss *= 1 - max(0.0, min(0.999, c.conf))
        best = max(members, key=lambda c: c.conf)
        scored.append((1 - miss, best, members))
    scored.sort(key=lambda s: -s[0])
    score, best, members = scored[0]
    ambiguous = len(scored) > 1 and scored[1][0] >= 0.6 * score
    conf = score if not ambiguous else min(score, 0.6)
    sources = sorted({c.source for c in members})
    return FieldValue(best.value, conf, best.page, best.box, "+".join(sources)), ambiguous


def _resolve_name(cands: list[Candidate]) -> tuple[FieldValue | None, bool]:
    """Names: near-identical spellings (OCR noise, legal form present or not) count as one value."""
    if not cands:
        return None, False
    clusters: list[list[Candidate]] = []
    for c in sorted(cands, key=lambda c: -c.conf):
        for cl in clusters:
            if _similar(cl[0].value, c.value) >= 0.85:
                cl.append(c)
                break
        else:
            clusters.append([c])
    scored = []
    for cl in clusters:
        miss = 1.0
        for c in cl:
            miss *= 1 - max(0.0, min(0.999, c.conf))
        # the spelling read most often, then the most confident
        spellings: dict[str, list[Candidate]] = {}
        for c in cl:
            spellings.setdefault(c.value, []).append(c)
        best = max(spellings.values(), key=lambda s: (len(s), max(c.conf for c in s)))[0]
        scored.append((1 - miss, best, cl))
    scored.sort(key=lambda s: -s[0])
    score, best, cl = scored[0]
    if len(cl) == 1:  # a name read once, with nothing to confirm it, is not sure
        score = min(score, 0.85)
    ambiguous = len(scored) > 1 and scored[1][0] >= 0.8 * score
    return FieldValue(best.value, min(score, 0.6) if ambiguous else score, best.page, best.box,
                      "+".join(sorted({c.source for c in cl}))), ambiguous


def _known_seller(cands: list[Candidate], ex: Extraction, ctx: Context) -> list[Candidate]:
    """The supplier names read that match the directory's name for the SIREN read (a brand or a
    slogan beside the legal name is then no rival); all of them when none matches."""
    sirens = _pick(ex.fields.get("BT-30", []))[0]
    if sirens is None:
        return cands
    name, _ = _directory_name(ctx, sirens.value)
    if not name:
        return cands
    return [c for c in cands if _similar(c.value, name) >= 0.8] or cands


def _directory_name(ctx: Context, siren: str) -> tuple[str | None, bool]:
    """(name, reachable). An outage is 'unknown' for this check, never 'absent'."""
    if ctx.directory_name is None:
        return None, False
    try:
        return ctx.directory_name(siren), True
    except Exception:  # noqa: BLE001 - directory down: the check is skipped, not failed
        return None, False


def resolve(ex: Extraction, ctx: Context | None = None) -> Result:
    ctx = ctx or Context()
    res = Result()
    for bt, cands in ex.fields.items():
        embedded = [c for c in cands if c.source == "embedded"]
        if embedded:  # the PDF's own invoice XML states it: that is the legal value (EN 16931)
            best = embedded[0]
            res.fields[bt] = FieldValue(best.value, 1.0, best.page, best.box, "embedded")
            continue
        if bt == "BT-27":
            cands = _known_seller(cands, ex, ctx)
        elif bt == "BT-44" and ctx.company_name:
            own = [c for c in cands if _similar(c.value, ctx.company_name) >= 0.8]
            if own:  # the company's name, maybe wrapped over two lines: one value, the company's
                best = max(own, key=lambda c: c.conf)
                res.fields[bt] = FieldValue(ctx.company_name, best.conf, best.page, best.box,
                                            "+".join(sorted({c.source for c in own})))
                continue
        picked, ambiguous = (_resolve_name(cands) if bt in ("BT-27", "BT-44") else _pick(cands))
        if picked is None:
            continue
        res.fields[bt] = picked
        # rival totals are settled by the HT + VAT = TTC reconciliation below (and flagged there if not)
        if ambiguous and bt not in ("BT-109", "BT-110", "BT-112"):
            res.finding("OCR-AMBIGUOUS", [bt], f"{bt}: the document shows different values",
                        f"{bt} : le document montre des valeurs différentes")
    _defaults(res, ctx)
    _identifiers(res, ctx)
    _buyer(res, ctx)
    _amounts(res, ex)
    _signs(res)
    _dates(res, ex, ctx)
    if res.value("BT-3") == "380" and (res.value("BT-25") is not None or _CREDIT_HINT.search(n.fold(ex.text))):
        res.finding("OCR-TYPE", ["BT-3"], "The document reads as an invoice but mentions a credit note",
                    "Le document est lu comme une facture mais mentionne un avoir")
    if res.value("BT-3") in ("381", "261", "262", "396", "502", "503") and res.value("BT-25") is None:
        res.finding("OCR-PRECEDING", ["BT-25"], "A credit note must name the invoice it credits (BT-25)",
                    "Un avoir doit mentionner la facture qu'il annule (BT-25)")
    for bt in REQUIRED:
        if bt not in res.fields:
            res.finding("OCR-MISSING", [bt], f"{bt} was not found on the document",
                        f"{bt} n'a pas été trouvé sur le document")
    for bt, f in res.fields.items():
        if f.confidence < REVIEW_THRESHOLD and not any(bt in x["fields"] for x in res.findings):
            res.finding("OCR-LOW-CONFIDENCE", [bt], f"{bt} was read with a low confidence ({f.confidence:.2f})",
                        f"{bt} a été lu avec une confiance faible ({f.confidence:.2f})", severity="warning")
    return res


def _defaults(res: Result, ctx: Context) -> None:
    if "BT-3" not in res.fields:
        res.fields["BT-3"] = FieldValue("380", 0.9, source="default")
    if "BT-5" not in res.fields:
        res.fields["BT-5"] = FieldValue("EUR", 0.5, source="default")


def _identifiers(res: Result, ctx: Context) -> None:
    siren = res.value("BT-30")
    vat = res.value("BT-31")
    if siren is None and vat and vat.startswith("FR") and n.is_siren(vat[4:]):
        res.fields["BT-30"] = FieldValue(vat[4:], res.fields["BT-31"].confidence * 0.95,
                                         res.fields["BT-31"].page, res.fields["BT-31"].box, "vat")
        siren = vat[4:]
    if siren:
        res.raise_("BT-30", 0.9 if res.fields["BT-30"].confidence >= 0.5 else 0.0)  # Luhn held
    if siren and vat and vat.startswith("FR"):
        if n.vat_matches_siren(vat, siren):
            res.raise_("BT-30", 0.98)
            res.raise_("BT-31", 0.98)
        else:
            res.finding("OCR-VAT-SIREN", ["BT-30", "BT-31"], f"The VAT number {vat} does not match the SIREN {siren}",
                        f"Le numéro de TVA {vat} ne correspond pas au SIREN {siren}")
    elif vat:
        res.raise_("BT-31", 0.95)  # check digits held
    siret = res.value("BT-29")
    if siret and siren and not siret.startswith(siren):
        res.finding("OCR-SIRET-SIREN", ["BT-29", "BT-30"], f"The SIRET {siret} does not start with the SIREN {siren}",
                    f"Le SIRET {siret} ne commence pas par le SIREN {siren}")
    if "BT-84" in res.fields:
        res.raise_("BT-84", 0.98)  # mod 97 held
    if siren:
        name, reachable = _directory_name(ctx, siren)
        if reachable and name is None:
            res.lower("BT-30", 0.8)
            res.finding("OCR-SIREN-UNKNOWN", ["BT-30"], f"The SIREN {siren} is not in the directory",
                        f"Le SIREN {siren} n'est pas dans l'annuaire")
        elif name:
            seller = res.fields.get("BT-27")
            if seller and _similar(seller.value, name) >= 0.8:
                seller.value = name  # the registered spelling of the name read ("SAS." read for "S.A.S.")
                res.raise_("BT-27", 0.97)
                res.raise_("BT-30", 0.99)
            elif seller:
                # the legal name registered for the SIREN read, for a reviewer to confirm (the document may
                # show a brand, or a name that was misread)
                res.finding("OCR-SELLER-NAME", ["BT-27"],
                            f"The supplier name read ({seller.value}) differs from the directory's ({name})",
                            f"Le nom du fournisseur lu ({seller.value}) diffère de celui de l'annuaire ({name})",
                            severity="warning")
                res.fields["BT-27"] = FieldValue(name, 0.7, seller.page, seller.box, "directory")
            else:
                res.fields["BT-27"] = FieldValue(name, 0.92, source="directory")
    elif ctx.company_siren and res.value("BT-47") is None and res.value("BT-30") == ctx.company_siren:
        pass


def _buyer(res: Result, ctx: Context) -> None:
    if not ctx.company_siren:
        return
    buyer = res.value("BT-47")
    if buyer is None:
        res.fields["BT-47"] = FieldValue(ctx.company_siren, 0.95, source="company")
    elif buyer == ctx.company_siren:
        res.raise_("BT-47", 0.99)
    if res.value("BT-30") == ctx.company_siren:
        res.finding("OCR-SELLER-IS-COMPANY", ["BT-30"], "The supplier SIREN is the company's own SIREN",
                    "Le SIREN du fournisseur est celui de l'entreprise elle-même")
    name = res.fields.get("BT-44")
    if ctx.company_name:
        if name is None:
            res.fields["BT-44"] = FieldValue(ctx.company_name, 0.92, source="company")
        elif _similar(name.value, ctx.company_name) >= 0.8:
            res.raise_("BT-44", 0.97)
        else:
            res.lower("BT-44", 0.7)
            res.finding("OCR-BUYER-NOT-COMPANY", ["BT-44"],
                        f"The buyer read ({name.value}) is not the company ({ctx.company_name})",
                        f"L'acheteur lu ({name.value}) n'est pas l'entreprise ({ctx.company_name})")


_EXEMPT = re.compile(r"293 ?b|tva non applicable|exon[eé]r|autoliquidation|franchise en base|vat exempt|exempt from vat|"
                     r"reverse charge|no vat|tva 0 ?%|vat 0 ?%|0[.,]00 ?% |hors champ|262 ter|intra-?community supply")


def _signs(res: Result) -> None:
    """A negative total on a document read as an invoice: a credit note whose title was misread, or a
    misread sign; either way a reviewer decides."""
    negative = [bt for bt in ("BT-109", "BT-110", "BT-112", "BT-115") if (v := res.value(bt)) is not None and v < 0]
    if negative and res.value("BT-3") == "380":
        res.finding("OCR-NEGATIVE-TOTAL", ["BT-3", *negative], "Negative totals on a document read as an invoice",
                    "Totaux négatifs sur un document lu comme une facture")


def _amounts(res: Result, ex: Extraction) -> None:
    cands = {bt: ex.fields.get(bt, []) for bt in ("BT-109", "BT-110", "BT-112", "BT-115")}
    rows = _vat_breakdown(res, ex)
    vat_sum = sum((r["amount"].value for r in rows), Decimal(0)) if rows else None
    base_sum = sum((r["base"].value for r in rows if "base" in r), Decimal(0)) if rows and all("base" in r for r in rows) else None
    # the best consistent triple HT + TVA = TTC
    hts = {c.value: c for c in sorted(cands["BT-109"], key=lambda c: c.conf)}
    tvas = {c.value: c for c in sorted(cands["BT-110"], key=lambda c: c.conf)}
    ttcs = {c.value: c for c in sorted(cands["BT-112"] + cands["BT-115"], key=lambda c: c.conf)}
    if vat_sum is not None and vat_sum not in tvas:
        tvas[vat_sum] = Candidate(vat_sum, min(r["amount"].confidence for r in rows), rows[0]["amount"].page or 1,
                                  rows[0]["amount"].box or (0, 0, 0, 0), "breakdown")
    if ex.lines and not hts:  # no total without VAT printed: the lines' sum stands for it
        total = sum((ln["netAmount"] for ln in ex.lines), Decimal(0))
        hts[total] = Candidate(total, min(ln["conf"] for ln in ex.lines) * 0.9, ex.lines[0]["page"], ex.lines[0]["box"],
                               "lines")
    if base_sum is not None and base_sum not in hts:
        hts[base_sum] = Candidate(base_sum, min(r["base"].confidence for r in rows), rows[0]["base"].page or 1,
                                  rows[0]["base"].box or (0, 0, 0, 0), "breakdown")
    best = None
    for h, hc in hts.items():
        for t, tc in tvas.items():
            for c, cc in ttcs.items():
                if abs(h + t - c) <= CENT:
                    score = hc.conf + tc.conf + cc.conf + (0.5 if t == vat_sum else 0) + (0.5 if h == base_sum else 0)
                    if best is None or score > best[0]:
                        best = (score, hc, tc, cc)
    unexplained_zero = False
    if best is None and ttcs and not tvas and not rows and hts:
        # no VAT read: HT = TTC, trusted only when the document says why (exempt, franchise, reverse charge)
        unexplained_zero = not _EXEMPT.search(n.fold(ex.text))
        for h, hc in hts.items():
            if h in ttcs:
                best = (hc.conf, hc, Candidate(Decimal(0), hc.conf * 0.9, hc.page, (0, 0, 0, 0), "derived"), ttcs[h])
    if best is not None:
        _, hc, tc, cc = best
        for bt, c in (("BT-109", hc), ("BT-110", tc), ("BT-112", cc)):
            prev = res.fields.get(bt)
            conf = max(c.conf, 0.97 if c.conf >= 0.6 else c.conf)
            res.fields[bt] = FieldValue(c.value, conf, c.page, c.box, c.source if prev is None or prev.value != c.value
                                        else prev.source)
        if vat_sum is not None and vat_sum == tc.value:
            for bt in ("BT-110", "BT-109", "BT-112"):
                res.raise_(bt, 0.99)
        if unexplained_zero:
            for bt in ("BT-109", "BT-110", "BT-112"):
                res.lower(bt, 0.85)
    else:
        h, t, c = res.value("BT-109"), res.value("BT-110"), res.value("BT-112")
        if c is not None and t is not None and h is None:
            res.fields["BT-109"] = FieldValue(c - t, min(res.fields["BT-112"].confidence, res.fields["BT-110"].confidence)
                                              * 0.85, source="derived")
        elif c is not None and h is not None and t is None:
            res.fields["BT-110"] = FieldValue(c - h, min(res.fields["BT-112"].confidence, res.fields["BT-109"].confidence)
                                              * 0.85, source="derived")
        elif h is not None and t is not None and c is None:
            res.fields["BT-112"] = FieldValue(h + t, min(res.fields["BT-109"].confidence, res.fields["BT-110"].confidence)
                                              * 0.85, source="derived")
        h, t, c = res.value("BT-109"), res.value("BT-110"), res.value("BT-112")
        if None not in (h, t, c) and abs(h + t - c) > CENT:
            res.finding("OCR-TOTALS", ["BT-109", "BT-110", "BT-112"], f"Total HT {h} + VAT {t} is not total TTC {c}",
                        f"Total HT {h} + TVA {t} ne fait pas le total TTC {c}")
        for bt in ("BT-109", "BT-110", "BT-112"):
            res.lower(bt, 0.85)
    # amount due
    ttc = res.fields.get("BT-112")
    due = _pick(cands["BT-115"])[0]
    if due is not None:
        res.fields["BT-115"] = due
        if ttc is not None and due.value == ttc.value:
            res.raise_("BT-115", min(0.99, max(ttc.confidence, due.confidence)))
        elif ttc is not None and due.value > ttc.value:
            res.finding("OCR-AMOUNT-DUE", ["BT-115"], f"The amount due {due.value} exceeds the total {ttc.value}",
                        f"Le net à payer {due.value} dépasse le total TTC {ttc.value}")
    elif ttc is not None:
        res.fields["BT-115"] = FieldValue(ttc.value, ttc.confidence * 0.97, ttc.page, ttc.box, "derived")
    # VAT breakdown against the totals
    if rows:
        t = res.value("BT-110")
        if t is not None and vat_sum is not None and abs(vat_sum - t) > CENT:
            res.finding("OCR-VAT-SUM", ["BT-110", "vatBreakdown"], f"The VAT breakdown sums to {vat_sum}, not {t}",
                        f"Le récapitulatif de TVA totalise {vat_sum}, pas {t}")
        if len(rows) == 1 and "base" not in rows[0] and res.value("BT-109") is not None:
            rows[0]["base"] = FieldValue(res.value("BT-109"), res.fields["BT-109"].confidence, source="derived")
        for i, r in enumerate(rows):
            if "base" in r:
                expected = (r["base"].value * r["rate"].value / 100).quantize(CENT)
                if abs(expected - r["amount"].value) > TOL:
                    res.finding("OCR-VAT-RATE", [f"vatBreakdown[{i}]"],
                                f"VAT {r['amount'].value} is not {r['rate'].value} % of {r['base'].value}",
                                f"La TVA {r['amount'].value} n'est pas {r['rate'].value} % de {r['base'].value}")
                    for v in r.values():
                        v.confidence = min(v.confidence, 0.6)
                else:
                    for v in r.values():
                        v.confidence = max(v.confidence, 0.97 if v.confidence >= 0.6 else v.confidence)
    res.vat_breakdown = rows
    # lines against the total HT
    if ex.lines:
        total = sum((ln["netAmount"] for ln in ex.lines), Decimal(0))
        h = res.value("BT-109")
        # a total HT that *is* the lines' sum (none printed) cannot be confirmed by them
        agree = h is not None and abs(total - h) <= CENT and "lines" not in res.fields["BT-109"].source
        for ln in ex.lines:
            conf = max(ln["conf"], 0.97) if agree and ln["conf"] >= 0.6 else min(ln["conf"], 0.85 if not agree else 1)
            res.lines.append({k: FieldValue(ln[k], conf, ln["page"], ln["box"], "table", rate=k in ("vatRate", "quantity"))
                              for k in ("name", "quantity", "unitPrice", "vatRate", "netAmount") if k in ln})
        if agree:
            res.raise_("BT-109", 0.99)
        elif h is not None:
            res.finding("OCR-LINES-SUM", ["lines"], f"The lines read sum to {total}, not the total HT {h}",
                        f"Les lignes lues totalisent {total}, pas le total HT {h}", severity="warning")


def _vat_breakdown(res: Result, ex: Extraction) -> list[dict[str, FieldValue]]:
    seen: dict[tuple, dict[str, Any]] = {}
    for r in ex.vat_rows:
        key = (r["rate"], r.get("base"), r["amount"])
        if key in seen:
            seen[key]["conf"] = 1 - (1 - seen[key]["conf"]) * (1 - r["conf"])
            continue
        seen[key] = dict(r)
    # one row per rate (prefer rows with a base)
    by_rate: dict[Decimal, dict[str, Any]] = {}
    for r in seen.values():
        cur = by_rate.get(r["rate"])
        if cur is None or ("base" in r and "base" not in cur) or ("base" in r) == ("base" in cur) and r["conf"] > cur["conf"]:
            by_rate[r["rate"]] = r
    out = []
    for r in by_rate.values():
        row = {"rate": FieldValue(r["rate"], r["conf"], r["page"], r["box"], "breakdown", rate=True),
               "amount": FieldValue(r["amount"], r["conf"], r["page"], r["box"], "breakdown")}
        if "base" in r:
            row["base"] = FieldValue(r["base"], r["conf"], r["page"], r["box"], "breakdown")
        out.append(row)
    return out


_TERMS = re.compile(r"(\d{1,3})\s*(?:jours|days|tage|dagen)")


def _dates(res: Result, ex: Extraction, ctx: Context) -> None:
    issue, due = res.value("BT-2"), res.value("BT-9")
    if issue is not None:
        if issue > ctx.today + _dt.timedelta(days=1):
            res.finding("OCR-DATE-FUTURE", ["BT-2"], f"The issue date {issue} is in the future",
                        f"La date d'émission {issue} est dans le futur")
        elif issue < ctx.today - _dt.timedelta(days=3660):
            res.finding("OCR-DATE-OLD", ["BT-2"], f"The issue date {issue} is more than ten years old",
                        f"La date d'émission {issue} a plus de dix ans", severity="warning")
    if issue is not None and due is not None:
        if due < issue:
            res.finding("OCR-DUE-BEFORE-ISSUE", ["BT-9", "BT-2"], f"The due date {due} is before the issue date {issue}",
                        f"L'échéance {due} précède la date d'émission {issue}")
        elif (due - issue).days > 400:
            res.finding("OCR-DUE-FAR", ["BT-9"], f"The due date {due} is more than a year after the issue date",
                        f"L'échéance {due} est plus d'un an après la date d'émission")
        terms = [int(m.group(1)) for m in _TERMS.finditer(n.fold(ex.text))]
        if terms and (due - issue).days in terms:
            res.raise_("BT-2", 0.97)
            res.raise_("BT-9", 0.97)
