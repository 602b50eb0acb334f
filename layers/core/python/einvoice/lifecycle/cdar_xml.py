"""CDAR D22B XML: ``to_xml(message) -> bytes`` and ``parse(data) -> CdarMessage``.

The generator writes elements in the order of the D22B schema with the prefixes of the official
examples (rsm, ram, udt, qdt). The parser reads untrusted input through the validation pipeline's
hardened parser (``einvoice.validation.inputs``: no DTD, no entities, no network, bounded size);
a document that is not a CDAR is a ``BadRequestError`` (rule ``CDAR-ROOT``), a value that cannot be
read (a date, an amount, a sequence number) an ``InvalidInputError`` naming its MDT data id.
The parser is lenient on presence: a missing element is ``None``, so that the validator
(XSD + BR-FR-CDV) reports it with its rule id.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal, InvalidOperation
from typing import Any

from einvoice.errors import ErrorDetail, InvalidInputError
from einvoice.lifecycle.cdar import (
    Acknowledgement,
    CdarMessage,
    Characteristic,
    DocumentStatus,
    Identifier,
    Note,
    Party,
    ReferencedDocument,
)

RSM = "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
ROOT = f"{{{RSM}}}CrossDomainAcknowledgementAndResponse"
MAX_BYTES = 2 * 1024 * 1024  # a status message is a few KB; multi-document ones stay far below

FMT_DATETIME = "204"  # AAAAMMJJHHMMSS
FMT_DATE = "102"  # AAAAMMJJ


# ------------------------------------------------------------------------------------ generation
def _stamp(value: _dt.datetime) -> str:
    return value.strftime("%Y%m%d%H%M%S")


def _num(value: Decimal) -> str:
    return format(value, "f")


class _Writer:
    def __init__(self) -> None:
        from einvoice.invoicing.xmlwriter import XmlBuilder

        self.b = XmlBuilder(NS)

    def datetime(self, parent: Any, tag: str, value: _dt.datetime | None) -> None:
        if value is not None:
            self.b.sub(self.b.sub(parent, tag), "udt:DateTimeString", _stamp(value), format=FMT_DATETIME)

    def party(self, parent: Any, tag: str, party: Party | None) -> None:
        if party is None:
            return
        el = self.b.sub(parent, tag)
        for gid in party.global_ids:
            self.b.sub(el, "ram:GlobalID", gid.value, schemeID=gid.scheme)
        self.b.opt(el, "ram:Name", party.name)
        self.b.opt(el, "ram:RoleCode", party.role)
        if party.uri is not None:
            self.b.sub(self.b.sub(el, "ram:URIUniversalCommunication"), "ram:URIID", party.uri.value,
                       schemeID=party.uri.scheme)

    def characteristic(self, parent: Any, c: Characteristic) -> None:
        b = self.b
        el = b.sub(parent, "ram:SpecifiedDocumentCharacteristic")
        b.opt(el, "ram:ID", c.id)
        b.sub(el, "ram:TypeCode", c.type_code)
        if c.value_changed is not None:
            b.sub(b.sub(el, "ram:ValueChangedIndicator"), "udt:IndicatorString", "true" if c.value_changed else "false")
        b.opt(el, "ram:Name", c.name)
        b.opt(el, "ram:Location", c.location)
        b.opt(el, "ram:Value", c.value)
        if c.amount is not None:
            b.sub(el, "ram:ValueAmount", _num(c.amount), currencyID=c.currency)
        if c.value_date is not None:
            b.sub(b.sub(el, "ram:ValueDateTime"), "udt:DateTimeString", c.value_date.strftime("%Y%m%d"),
                  format=FMT_DATE)
        if c.percent is not None:
            b.sub(el, "ram:ValuePercent", _num(c.percent))

    def status(self, parent: Any, s: DocumentStatus) -> None:
        b = self.b
        el = b.sub(parent, "ram:SpecifiedDocumentStatus")
        b.opt(el, "ram:ReasonCode", s.reason_code)
        b.opt(el, "ram:Reason", s.reason)
        b.opt(el, "ram:ProcessConditionCode", s.process_condition_code)
        b.opt(el, "ram:RequestedActionCode", s.requested_action_code)
        b.opt(el, "ram:RequestedAction", s.requested_action)
        if s.sequence is not None:
            b.sub(el, "ram:SequenceNumeric", str(s.sequence))
        for note in s.notes:
            n = b.sub(el, "ram:IncludedNote")
            b.sub(n, "ram:Content", note.content)
            b.opt(n, "ram:SubjectCode", note.subject_code)
        for c in s.characteristics:
            self.characteristic(el, c)

    def document(self, parent: Any, d: ReferencedDocument) -> None:
        b = self.b
        el = b.sub(parent, "ram:ReferenceReferencedDocument")
        b.opt(el, "ram:IssuerAssignedID", d.invoice_id)
        b.opt(el, "ram:StatusCode", d.status_code)
        b.opt(el, "ram:TypeCode", d.type_code)
        self.datetime(el, "ram:ReceiptDateTime", d.receipt_datetime)
        b.opt(el, "ram:ReferenceTypeCode", d.reference_type_code)
        if d.issue_date is not None:
            b.sub(b.sub(el, "ram:FormattedIssueDateTime"), "qdt:DateTimeString", d.issue_date.strftime("%Y%m%d"),
                  format=FMT_DATE)
        b.opt(el, "ram:ProcessConditionCode", d.process_condition_code)
        b.opt(el, "ram:ProcessCondition", d.process_condition)
        self.party(el, "ram:IssuerTradeParty", d.issuer)
        for r in d.recipients:
            self.party(el, "ram:RecipientTradeParty", r)
        for s in d.statuses:
            self.status(el, s)


def to_tree(message: CdarMessage) -> Any:
    from lxml import etree

    w = _Writer()
    b = w.b
    root = etree.Element(ROOT, nsmap=NS)
    ctx = b.sub(root, "rsm:ExchangedDocumentContext")
    if message.business_process is not None:
        b.sub(b.sub(ctx, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", message.business_process)
    b.sub(b.sub(ctx, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", message.guideline or "")
    doc = b.sub(root, "rsm:ExchangedDocument")
    b.opt(doc, "ram:ID", message.id)
    b.opt(doc, "ram:Name", message.name)
    w.datetime(doc, "ram:IssueDateTime", message.issue_datetime)
    w.party(doc, "ram:SenderTradeParty", message.sender)
    w.party(doc, "ram:IssuerTradeParty", message.issuer)
    for r in message.recipients:
        w.party(doc, "ram:RecipientTradeParty", r)
    for ack in message.acknowledgements:
        el = b.sub(root, "rsm:AcknowledgementDocument")
        if ack.multiple_references is not None:
            b.sub(b.sub(el, "ram:MultipleReferencesIndicator"), "udt:Indicator",
                  "true" if ack.multiple_references else "false")
        b.opt(el, "ram:TypeCode", ack.type_code)
        w.datetime(el, "ram:IssueDateTime", ack.issue_datetime)
        for d in ack.documents:
            w.document(el, d)
    return root


def to_xml(message: CdarMessage) -> bytes:
    from lxml import etree

    return etree.tostring(to_tree(message), xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --------------------------------------------------------------------------------------- parsing
def _invalid(field: str, message: str, message_fr: str, rule: str = "CDAR-VALUE") -> InvalidInputError:
    return InvalidInputError(message, [ErrorDetail(message, field=field, rule=rule, message_fr=message_fr)])


class _Reader:
    def __init__(self) -> None:
        from lxml import etree

        self._etree = etree
        self._cache: dict[str, Any] = {}

    def all(self, el: Any, path: str) -> list[Any]:
        if el is None:
            return []
        xp = self._cache.get(path)
        if xp is None:
            xp = self._cache[path] = self._etree.XPath(path, namespaces=NS)
        return xp(el)

    def first(self, el: Any, path: str) -> Any:
        found = self.all(el, path)
        return found[0] if found else None

    def text(self, el: Any, path: str) -> str | None:
        node = self.first(el, path)
        if node is None or node.text is None:
            return None
        value = " ".join(node.text.split())
        return value or None

    def decimal(self, el: Any, path: str, field: str) -> Decimal | None:
        value = self.text(el, path)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise _invalid(field, f"{field}: {value!r} is not a number", f"{field} : {value!r} n'est pas un nombre")
        return number

    def indicator(self, el: Any, path: str, field: str) -> bool | None:
        value = self.text(el, f"{path}/udt:Indicator") or self.text(el, f"{path}/udt:IndicatorString")
        if value is None:
            return None
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise _invalid(field, f"{field}: {value!r} is not true or false", f"{field} : {value!r} n'est pas un booléen")

    def when(self, el: Any, path: str, field: str) -> _dt.datetime | _dt.date | None:
        """A date (format 102) or a date-time (format 204, or udt:DateTime in ISO 8601)."""
        node = self.first(el, f"{path}/*[local-name()='DateTimeString']")
        iso = self.text(el, f"{path}/udt:DateTime")
        if node is None and iso is None:
            return None
        try:
            if iso is not None:
                return _dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
            value = (node.text or "").strip()
            fmt = (node.get("format") or "").strip() or (FMT_DATE if len(value) == 8 else FMT_DATETIME)
            if fmt == FMT_DATE and len(value) == 8 and value.isdigit():
                return _dt.datetime.strptime(value, "%Y%m%d").date()
            if fmt == FMT_DATETIME and len(value) == 14 and value.isdigit():
                return _dt.datetime.strptime(value, "%Y%m%d%H%M%S")
        except ValueError:
            pass
        raise _invalid(field, f"{field}: not a date of format 102 (AAAAMMJJ) or 204 (AAAAMMJJHHMMSS)",
                       f"{field} : date au format 102 (AAAAMMJJ) ou 204 (AAAAMMJJHHMMSS) attendue", rule="CDAR-DATE")

    def datetime(self, el: Any, path: str, field: str) -> _dt.datetime | None:
        value = self.when(el, path, field)
        if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
            return _dt.datetime.combine(value, _dt.time())
        return value

    def date(self, el: Any, path: str, field: str) -> _dt.date | None:
        value = self.when(el, path, field)
        return value.date() if isinstance(value, _dt.datetime) else value

    def identifier(self, el: Any) -> Identifier | None:
        if el is None or not (el.text or "").strip():
            return None
        scheme = (el.get("schemeID") or "").strip() or None
        return Identifier(" ".join(el.text.split()), scheme)

    def party(self, el: Any) -> Party | None:
        if el is None:
            return None
        ids = tuple(i for i in (self.identifier(g) for g in self.all(el, "ram:GlobalID")) if i is not None)
        return Party(role=self.text(el, "ram:RoleCode"), global_ids=ids, name=self.text(el, "ram:Name"),
                     uri=self.identifier(self.first(el, "ram:URIUniversalCommunication/ram:URIID")))

    def characteristic(self, el: Any, field: str) -> Characteristic:
        return Characteristic(
            type_code=self.text(el, "ram:TypeCode") or "",
            id=self.text(el, "ram:ID"),
            value_changed=self.indicator(el, "ram:ValueChangedIndicator", f"{field}.ValueChangedIndicator"),
            name=self.text(el, "ram:Name"),
            location=self.text(el, "ram:Location"),
            value=self.text(el, "ram:Value"),
            amount=self.decimal(el, "ram:ValueAmount", "MDT-215"),
            currency=(self.first(el, "ram:ValueAmount").get("currencyID") if self.first(el, "ram:ValueAmount")
                      is not None else None),
            value_date=self.date(el, "ram:ValueDateTime", f"{field}.ValueDateTime"),
            percent=self.decimal(el, "ram:ValuePercent", "MDT-224"),
        )

    def status(self, el: Any, field: str) -> DocumentStatus:
        sequence = self.text(el, "ram:SequenceNumeric")
        if sequence is not None and not sequence.isdigit():
            raise _invalid("MDT-124-2", f"MDT-124-2: {sequence!r} is not a sequence number",
                           f"MDT-124-2 : {sequence!r} n'est pas un numéro d'ordre")
        return DocumentStatus(
            reason_code=self.text(el, "ram:ReasonCode"),
            reason=self.text(el, "ram:Reason"),
            process_condition_code=self.text(el, "ram:ProcessConditionCode"),
            requested_action_code=self.text(el, "ram:RequestedActionCode"),
            requested_action=self.text(el, "ram:RequestedAction"),
            sequence=int(sequence) if sequence is not None else None,
            notes=tuple(Note(self.text(n, "ram:Content") or "", self.text(n, "ram:SubjectCode"))
                        for n in self.all(el, "ram:IncludedNote")),
            characteristics=tuple(self.characteristic(c, f"{field}.SpecifiedDocumentCharacteristic[{i}]")
                                  for i, c in enumerate(self.all(el, "ram:SpecifiedDocumentCharacteristic"))),
        )

    def document(self, el: Any) -> ReferencedDocument:
        return ReferencedDocument(
            invoice_id=self.text(el, "ram:IssuerAssignedID"),
            process_condition_code=self.text(el, "ram:ProcessConditionCode"),
            process_condition=self.text(el, "ram:ProcessCondition"),
            status_code=self.text(el, "ram:StatusCode"),
            type_code=self.text(el, "ram:TypeCode"),
            receipt_datetime=self.datetime(el, "ram:ReceiptDateTime", "MDT-95"),
            reference_type_code=self.text(el, "ram:ReferenceTypeCode"),
            issue_date=self.date(el, "ram:FormattedIssueDateTime", "MDT-100"),
            issuer=self.party(self.first(el, "ram:IssuerTradeParty")),
            recipients=tuple(p for p in (self.party(r) for r in self.all(el, "ram:RecipientTradeParty")) if p),
            statuses=tuple(self.status(s, f"SpecifiedDocumentStatus[{i}]")
                           for i, s in enumerate(self.all(el, "ram:SpecifiedDocumentStatus"))),
        )


def check_root(root: Any) -> None:
    if root.tag != ROOT:
        from einvoice.validation import inputs

        tag = root.tag if isinstance(root.tag, str) else "(none)"
        raise inputs.bad_request(f"not a CDAR D22B lifecycle message (root element {tag})",
                                 f"ce n'est pas un message de cycle de vie CDAR D22B (racine {tag})", rule="CDAR-ROOT")


def parse_tree(root: Any) -> CdarMessage:
    check_root(root)
    r = _Reader()
    ctx = r.first(root, "rsm:ExchangedDocumentContext")
    head = r.first(root, "rsm:ExchangedDocument")
    return CdarMessage(
        guideline=r.text(ctx, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"),
        business_process=r.text(ctx, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"),
        id=r.text(head, "ram:ID"),
        name=r.text(head, "ram:Name"),
        issue_datetime=r.datetime(head, "ram:IssueDateTime", "MDT-8"),
        sender=r.party(r.first(head, "ram:SenderTradeParty")),
        issuer=r.party(r.first(head, "ram:IssuerTradeParty")),
        recipients=tuple(p for p in (r.party(x) for x in r.all(head, "ram:RecipientTradeParty")) if p),
        acknowledgements=tuple(
            Acknowledgement(
                type_code=r.text(ack, "ram:TypeCode"),
                issue_datetime=r.datetime(ack, "ram:IssueDateTime", "MDT-78"),
                documents=tuple(r.document(d) for d in r.all(ack, "ram:ReferenceReferencedDocument")),
                multiple_references=r.indicator(ack, "ram:MultipleReferencesIndicator", "MDT-74"),
            )
            for ack in r.all(root, "rsm:AcknowledgementDocument")
        ),
    )


def parse_root(data: bytes) -> Any:
    """Hardened parse of untrusted bytes (size bound, no DTD/entities/network)."""
    from einvoice.validation import inputs

    if isinstance(data, str):
        data = data.encode("utf-8")
    inputs.check_size(data, MAX_BYTES)
    return inputs.parse_xml(data, what="lifecycle message")


def parse(data: bytes) -> CdarMessage:
    return parse_tree(parse_root(data))
