"""The SEPA credit transfer file (ISO 20022 pain.001) of a payment batch.

Built with ``sepaxml`` (batch booking, one payment information block for the execution date, service
level SEPA, charges SLEV, names and remittance transliterated to the SEPA Latin character set).
``sepaxml`` draws the message and payment-information ids at random and stamps the local time: they
are replaced by the batch id and its creation time, so the same batch always gives the same file
(it is regenerated on each download instead of being stored). The result is validated against the
XSD ``sepaxml`` ships (parsed once per process through ``einvoice.validation.xsd``); a file that
fails it is never returned.
"""

from __future__ import annotations

import re
from decimal import Decimal

from einvoice.payments.model import PaymentBatch

_NOT_SEPA_ID = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


class PaymentFileError(Exception):
    """The generated file does not validate against its XSD (a bug, never user input: values are checked first)."""


def end_to_end_id(number: str) -> str:
    """An EndToEndId from an invoice number: SEPA characters only, 35 at most, no leading/trailing or double '/'."""
    value = _NOT_SEPA_ID.sub("-", number.strip())[:35]
    while "//" in value:
        value = value.replace("//", "/-")
    return value.strip("/") or "NOTPROVIDED"


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def build(batch: PaymentBatch) -> bytes:
    from lxml import etree
    from sepaxml import SepaTransfer

    config = {"name": batch.debtor.name, "IBAN": batch.debtor.iban, "batch": True, "currency": batch.currency}
    if batch.debtor.bic:
        config["BIC"] = batch.debtor.bic
    transfer = SepaTransfer(config, schema=batch.schema, clean=True)
    for line in batch.lines:
        payment = {
            "name": line.payee_name,
            "IBAN": line.iban,
            "amount": _cents(line.amount),
            "execution_date": batch.execution_date,
            "description": line.number,
            "endtoend_id": line.end_to_end_id,
        }
        if line.bic:
            payment["BIC"] = line.bic
        transfer.add_payment(payment)
    raw = transfer.export(validate=False)
    root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{batch.schema}"}
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", ns)
    header.find("p:MsgId", ns).text = batch.id[:35]
    header.find("p:CreDtTm", ns).text = batch.created_at[:19]
    for i, block in enumerate(root.findall("p:CstmrCdtTrfInitn/p:PmtInf", ns), start=1):
        block.find("p:PmtInfId", ns).text = f"{batch.id[:31]}-{i}"
    validate(root, batch.schema)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def validate(root: object, schema: str) -> None:
    from einvoice.validation import xsd

    errors = xsd.validate(schema, root)
    if errors:
        raise PaymentFileError(f"{schema} file does not validate: {errors[:3]}")
