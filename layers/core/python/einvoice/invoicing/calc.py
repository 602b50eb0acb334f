"""Exact decimal computation of EN 16931 derived amounts and the BR-CO consistency checks.

- Line net amount (BT-131) = quantity (BT-129) x net price (BT-146) / base quantity (BT-149)
  - line allowances (BG-27) + line charges (BG-28), rounded half-up to 2 decimals.
- VAT breakdown (BG-23): one entry per (category BT-151/BT-95/BT-102, rate) with
  taxable amount (BT-116) = sum of line nets + document charges - document allowances of that
  group, and tax amount (BT-117) = round(BT-116 x BT-119 / 100, 2) (BR-CO-17); zero for the
  non-taxed categories (Z, E, AE, K, G, O).
- Totals (BG-22) per BR-CO-10..16.

Rounding: ``ROUND_HALF_UP`` on the absolute value (Python's HALF_UP rounds ties away from zero),
as the CEN schematrons do with ``round(abs(x))``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from einvoice.errors import ErrorDetail

from .model import (
    NON_COUNTED_LINE_STATUSES,
    DocumentTotals,
    Invoice,
    InvoiceLine,
    VatBreakdown,
)

__all__ = [
    "CENT",
    "ZERO",
    "round2",
    "line_net_amount",
    "compute_vat_breakdown",
    "compute_totals",
    "compute",
    "Tolerances",
    "check_amounts",
    "category_rule",
    "counts",
    "DEFAULT_EXEMPTION_REASONS",
]

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
#: categories without VAT amount (tax amount must be 0)
UNTAXED_CATEGORIES = frozenset({"Z", "E", "AE", "K", "G", "O"})

#: Default exemption reasons (BT-120 text, BT-121 VATEX code) filled in when absent.
#: E (exempt) has no default on purpose: the legal reference depends on the case (e.g.
#: "TVA non applicable, art. 293 B du CGI" for the franchise en base) and must be given.
DEFAULT_EXEMPTION_REASONS: dict[str, tuple[str, str]] = {
    "AE": ("Autoliquidation", "VATEX-EU-AE"),
    "K": ("Exonération de TVA, article 262 ter I du CGI (livraison intracommunautaire)", "VATEX-EU-IC"),
    "G": ("Exonération de TVA, article 262 I du CGI (exportation)", "VATEX-EU-G"),
    "O": ("Non soumis à la TVA", "VATEX-EU-O"),
}

#: VAT category -> rule-id infix in EN 16931 (K = intra-community "IC", L = "AF", M = "AG").
_CATEGORY_RULE = {"S": "S", "Z": "Z", "E": "E", "AE": "AE", "K": "IC", "G": "G", "O": "O", "L": "AF", "M": "AG"}


def category_rule(category: str, number: str) -> str:
    """EN 16931 rule id for a VAT category rule, e.g. ``category_rule("K", "08") == "BR-IC-08"``."""
    return f"BR-{_CATEGORY_RULE.get(category, category)}-{number}"


def round2(value: Decimal) -> Decimal:
    """Round half-up (ties away from zero) to 2 decimals."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    total = ZERO
    for v in values:
        if v is not None:
            total += v
    return total


def line_net_amount(line: InvoiceLine) -> Decimal:
    """BT-131 computed from quantity, net price, base quantity and line allowances/charges."""
    base_qty = line.base_quantity if line.base_quantity not in (None, ZERO) else Decimal(1)
    gross = line.quantity * line.net_price / base_qty
    return round2(gross - _sum(a.amount for a in line.allowances) + _sum(c.amount for c in line.charges))


def counts(line: InvoiceLine) -> bool:
    """False for EXTENDED-CTC-FR GROUP / INFORMATION sub-lines (not part of the totals)."""
    return (line.line_status or "").upper() not in NON_COUNTED_LINE_STATUSES


def _rate_key(category: str, rate: Decimal | None) -> tuple[str, Decimal | None]:
    cat = (category or "").strip().upper()
    if rate is None or cat == "O":  # category O has no rate (BR-O-05)
        return (cat, None)
    return (cat, Decimal(rate))


def _vat_amount(category: str, rate: Decimal | None, base: Decimal) -> Decimal:
    if category in UNTAXED_CATEGORIES or rate is None:
        return round2(ZERO)
    return round2(base * rate / HUNDRED)


def _group_bases(
    invoice: Invoice, nets: list[Decimal]
) -> tuple[dict[tuple[str, Decimal | None], Decimal], dict[tuple[str, Decimal | None], Decimal | None]]:
    """(category, rate) -> taxable base, in order of first appearance; and the rate as written."""
    bases: dict[tuple[str, Decimal | None], Decimal] = {}
    rates: dict[tuple[str, Decimal | None], Decimal | None] = {}

    def add(category: str, rate: Decimal | None, amount: Decimal) -> None:
        key = _rate_key(category, rate)
        if key not in bases:
            bases[key] = ZERO
            rates[key] = rate
        bases[key] += amount

    for line, net in zip(invoice.lines, nets, strict=True):
        if counts(line):
            add(line.vat_category, line.vat_rate, net)
    for ch in invoice.charges:
        add(ch.vat_category, ch.vat_rate, ch.amount)
    for al in invoice.allowances:
        add(al.vat_category, al.vat_rate, -al.amount)
    return bases, rates


def compute_vat_breakdown(invoice: Invoice, nets: list[Decimal] | None = None) -> list[VatBreakdown]:
    """Fresh BG-23 entries from lines and document allowances/charges (exemption reasons kept
    from matching entries of ``invoice.vat_breakdown`` or defaulted for AE/K/G/O)."""
    if nets is None:
        nets = [line.net_amount if line.net_amount is not None else line_net_amount(line) for line in invoice.lines]
    bases, rates = _group_bases(invoice, nets)
    provided = {_rate_key(v.category, v.rate): v for v in invoice.vat_breakdown}
    out: list[VatBreakdown] = []
    for key, base in bases.items():
        category = key[0]
        rate = rates[key]
        base = round2(base)
        prev = provided.get(key)
        reason = prev.exemption_reason if prev else None
        reason_code = prev.exemption_reason_code if prev else None
        if reason is None and reason_code is None and category in DEFAULT_EXEMPTION_REASONS:
            reason, reason_code = DEFAULT_EXEMPTION_REASONS[category]
        out.append(
            VatBreakdown(
                category=category,
                rate=rate,
                taxable_amount=base,
                tax_amount=_vat_amount(category, rate, base),
                exemption_reason=reason,
                exemption_reason_code=reason_code,
            )
        )
    return out


def compute_totals(
    invoice: Invoice, nets: list[Decimal], breakdown: list[VatBreakdown]
) -> DocumentTotals:
    """BG-22 from line nets, document allowances/charges and the VAT breakdown (BR-CO-10..16)."""
    prev = invoice.totals
    line_total = round2(_sum(n for line, n in zip(invoice.lines, nets, strict=True) if counts(line)))
    allowance_total = round2(_sum(a.amount for a in invoice.allowances)) if invoice.allowances else None
    charge_total = round2(_sum(c.amount for c in invoice.charges)) if invoice.charges else None
    tax_exclusive = line_total - (allowance_total or ZERO) + (charge_total or ZERO)
    tax_amount = round2(_sum(v.tax_amount for v in breakdown))
    tax_inclusive = tax_exclusive + tax_amount
    prepaid = prev.prepaid if prev else None
    rounding = prev.rounding if prev else None
    payable = tax_inclusive - (prepaid or ZERO) + (rounding or ZERO)
    return DocumentTotals(
        line_total=line_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_exclusive=tax_exclusive,
        tax_amount=tax_amount,
        tax_amount_accounting=prev.tax_amount_accounting if prev else None,
        tax_inclusive=tax_inclusive,
        prepaid=prepaid,
        rounding=rounding,
        payable=payable,
    )


def compute(invoice: Invoice, *, overwrite: bool = False) -> Invoice:
    """Return a copy of ``invoice`` with every derived amount filled in.

    With ``overwrite=False`` (default) amounts the caller gave are kept, so that
    :func:`check_amounts` can compare them with the computed ones; missing ones are computed.
    With ``overwrite=True`` all derived amounts are recomputed (line nets, BG-23, BG-22),
    keeping exemption reasons, BT-111, BT-113 and BT-114.
    """
    lines = []
    nets: list[Decimal] = []
    for line in invoice.lines:
        net = line.net_amount
        if net is None or overwrite:
            net = line_net_amount(line)
            line = line.model_copy(update={"net_amount": net})
        lines.append(line)
        nets.append(net)
    fresh = compute_vat_breakdown(invoice, nets)
    if overwrite or not invoice.vat_breakdown:
        breakdown = fresh
    else:
        fresh_by_key = {_rate_key(v.category, v.rate): v for v in fresh}
        breakdown = []
        for v in invoice.vat_breakdown:
            f = fresh_by_key.pop(_rate_key(v.category, v.rate), None)
            upd = {}
            if v.taxable_amount is None:
                upd["taxable_amount"] = f.taxable_amount if f else ZERO
            if v.tax_amount is None:
                base = upd.get("taxable_amount", v.taxable_amount)
                upd["tax_amount"] = _vat_amount(v.category, v.rate, base)
            if f and v.exemption_reason is None and v.exemption_reason_code is None:
                upd["exemption_reason"] = f.exemption_reason
                upd["exemption_reason_code"] = f.exemption_reason_code
            breakdown.append(v.model_copy(update=upd) if upd else v)
        breakdown.extend(fresh_by_key.values())  # groups the caller forgot
    totals = compute_totals(invoice, nets, breakdown)
    prev = invoice.totals
    if prev is not None and not overwrite:
        upd = {k: v for k, v in prev.model_dump().items() if v is not None}
        totals = totals.model_copy(update=upd)
        if prev.payable is None:
            totals = totals.model_copy(
                update={"payable": totals.tax_inclusive - (totals.prepaid or ZERO) + (totals.rounding or ZERO)}
            )
    return invoice.model_copy(update={"lines": lines, "vat_breakdown": breakdown, "totals": totals})


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Tolerances:
    """Allowed absolute differences between provided and recomputed amounts.

    Defaults are exact, as the CEN UBL schematron (and BR-CO-10..16 in both syntaxes), and
    also recompute BT-131 (strict for API input). ``Tolerances.cen_cii()`` reproduces the CEN
    CII schematron, which accepts BT-117 within one currency unit of round(BT-116 x BT-119 / 100);
    ``cen_cii()`` / ``cen_ubl()`` do not recompute BT-131 (EN 16931 has no rule for it and the
    CEN examples themselves are not consistent there). ``Tolerances.extended_ctc_fr(n)``
    follows the EXTENDED-CTC-FR rules (0.01 per line / allowance / charge summed).
    ``line_net`` applies to BT-131 against quantity x price (no EN 16931 rule id; reported
    as ``CALC-BT-131``); None disables that comparison.
    """

    vat_amount: Decimal = ZERO
    sums: Decimal = ZERO
    line_net: Decimal | None = CENT

    @classmethod
    def cen_cii(cls) -> Tolerances:
        """As the CEN CII schematron: BT-117 within one unit, no BT-131 recomputation (no EN rule)."""
        return cls(vat_amount=Decimal("1"), sums=ZERO, line_net=None)

    @classmethod
    def cen_ubl(cls) -> Tolerances:
        """As the CEN UBL schematron: exact BT-117, no BT-131 recomputation (no EN rule)."""
        return cls(vat_amount=ZERO, sums=ZERO, line_net=None)

    @classmethod
    def extended_ctc_fr(cls, invoice: Invoice) -> Tolerances:
        n = len(invoice.lines) + len(invoice.allowances) + len(invoice.charges)
        return cls(vat_amount=CENT, sums=CENT * max(n, 1), line_net=CENT)


def _fmt(v: Decimal | None) -> str:
    return "absent" if v is None else format(v, "f")


def _diff(
    out: list[ErrorDetail],
    rule: str,
    field: str,
    label: str,
    provided: Decimal | None,
    expected: Decimal,
    tolerance: Decimal,
    label_fr: str,
) -> None:
    if provided is None:
        return
    if abs(provided - expected) > tolerance:
        out.append(
            ErrorDetail(
                message=f"{label} is {_fmt(provided)}, expected {_fmt(expected)}",
                message_fr=f"{label_fr} vaut {_fmt(provided)}, attendu {_fmt(expected)}",
                field=field,
                rule=rule,
            )
        )


def check_amounts(invoice: Invoice, tolerances: Tolerances | None = None) -> list[ErrorDetail]:
    """Compare the amounts carried by ``invoice`` with recomputed ones (BR-CO-10..17, BR-xx-08/09).

    Missing amounts are not reported here (schema/mandatory checks do that); run on the
    output of :func:`compute` to check caller-provided amounts.
    """
    tol = tolerances or Tolerances()
    out: list[ErrorDetail] = []
    nets: list[Decimal] = []
    for i, line in enumerate(invoice.lines):
        expected = line_net_amount(line)
        if line.net_amount is None:
            nets.append(expected)
            continue
        nets.append(line.net_amount)
        if tol.line_net is not None and counts(line):  # GROUP lines may carry a subtotal, not qty x price
            _diff(out, "CALC-BT-131", f"lines[{i}].netAmount", f"Line {line.id} net amount (BT-131)",
                  line.net_amount, expected, tol.line_net, f"Le montant net de la ligne {line.id} (BT-131)")

    # --- VAT breakdown
    bases, _rates = _group_bases(invoice, nets)
    seen: set[tuple[str, Decimal | None]] = set()
    for i, v in enumerate(invoice.vat_breakdown):
        key = _rate_key(v.category, v.rate)
        if key in seen:
            out.append(ErrorDetail(
                message=f"Duplicate VAT breakdown for category {v.category} rate {_fmt(v.rate)}",
                message_fr=f"Ventilation TVA en double pour la catégorie {v.category} taux {_fmt(v.rate)}",
                field=f"vatBreakdown[{i}]", rule=category_rule(key[0], "08")))
        seen.add(key)
        expected_base = round2(bases.get(key, ZERO))
        _diff(out, category_rule(key[0], "08"), f"vatBreakdown[{i}].taxableAmount",
              f"VAT taxable amount (BT-116) for category {v.category} rate {_fmt(v.rate)}",
              v.taxable_amount, expected_base, tol.sums,
              f"La base HT (BT-116) de la catégorie {v.category} taux {_fmt(v.rate)}")
        if v.taxable_amount is not None and v.tax_amount is not None:
            if key[0] in UNTAXED_CATEGORIES:
                if v.tax_amount != ZERO:
                    out.append(ErrorDetail(
                        message=f"VAT amount (BT-117) must be 0 for category {v.category}",
                        message_fr=f"Le montant de TVA (BT-117) doit être 0 pour la catégorie {v.category}",
                        field=f"vatBreakdown[{i}].taxAmount", rule=category_rule(key[0], "09")))
            elif v.rate is not None:
                _diff(out, "BR-CO-17", f"vatBreakdown[{i}].taxAmount",
                      f"VAT amount (BT-117) for category {v.category} rate {_fmt(v.rate)}",
                      v.tax_amount, round2(v.taxable_amount * v.rate / HUNDRED), tol.vat_amount,
                      f"Le montant de TVA (BT-117) de la catégorie {v.category} taux {_fmt(v.rate)}")
    for key in bases:
        if key not in seen and invoice.vat_breakdown:
            cat, rate = key
            out.append(ErrorDetail(
                message=f"No VAT breakdown (BG-23) for category {cat} rate {_fmt(rate)} used by lines/allowances/charges",
                message_fr=f"Aucune ventilation TVA (BG-23) pour la catégorie {cat} taux {_fmt(rate)} utilisée",
                field="vatBreakdown", rule=category_rule(cat, "01") if cat in _CATEGORY_RULE else "BR-CO-18"))
    if not invoice.vat_breakdown:
        out.append(ErrorDetail(message="The invoice must contain at least one VAT breakdown (BG-23)",
                               message_fr="La facture doit contenir au moins une ventilation de TVA (BG-23)",
                               field="vatBreakdown", rule="BR-CO-18"))

    # --- totals
    t = invoice.totals
    if t is None:
        return out
    s = tol.sums
    _diff(out, "BR-CO-10", "totals.lineTotal", "Sum of line net amounts (BT-106)", t.line_total,
          round2(_sum(n for line, n in zip(invoice.lines, nets, strict=True) if counts(line))), s,
          "La somme des montants nets des lignes (BT-106)")
    _diff(out, "BR-CO-11", "totals.allowanceTotal", "Sum of document allowances (BT-107)",
          t.allowance_total, _sum(a.amount for a in invoice.allowances), s,
          "La somme des remises de pied (BT-107)")
    _diff(out, "BR-CO-12", "totals.chargeTotal", "Sum of document charges (BT-108)",
          t.charge_total, _sum(c.amount for c in invoice.charges), s, "La somme des frais de pied (BT-108)")
    if t.allowance_total is None and invoice.allowances:
        out.append(ErrorDetail(message="Sum of allowances (BT-107) is missing", field="totals.allowanceTotal",
                               message_fr="La somme des remises (BT-107) est absente", rule="BR-CO-11"))
    if t.charge_total is None and invoice.charges:
        out.append(ErrorDetail(message="Sum of charges (BT-108) is missing", field="totals.chargeTotal",
                               message_fr="La somme des frais (BT-108) est absente", rule="BR-CO-12"))
    if t.line_total is not None:
        _diff(out, "BR-CO-13", "totals.taxExclusive", "Total without VAT (BT-109)", t.tax_exclusive,
              t.line_total - (t.allowance_total or ZERO) + (t.charge_total or ZERO), s,
              "Le total HT (BT-109)")
    _diff(out, "BR-CO-14", "totals.taxAmount", "Total VAT amount (BT-110)", t.tax_amount,
          _sum(v.tax_amount for v in invoice.vat_breakdown), s, "Le total de TVA (BT-110)")
    if t.tax_exclusive is not None:
        _diff(out, "BR-CO-15", "totals.taxInclusive", "Total with VAT (BT-112)", t.tax_inclusive,
              t.tax_exclusive + (t.tax_amount or ZERO), s, "Le total TTC (BT-112)")
    if t.tax_inclusive is not None:
        _diff(out, "BR-CO-16", "totals.payable", "Amount due for payment (BT-115)", t.payable,
              t.tax_inclusive - (t.prepaid or ZERO) + (t.rounding or ZERO), s, "Le net à payer (BT-115)")
    return out
