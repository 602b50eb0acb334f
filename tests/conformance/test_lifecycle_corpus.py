"""The XP Z12-014 Annexe B v1.3 lifecycle examples (UC1-UC5 CDV files of ``../shared/corpus/xp-z12-french-ctc``):
parsed, re-generated from the parsed model and compared semantically (same elements, attributes and
values in the same order, ignoring whitespace, comments and namespace prefixes); both validated
with the CDAR D22B XSD and the BR-FR-CDV schematron of ``pyfrctc``.

Three examples of each kind predate the current BR-FR-CDV rules (``DRIFT``): the PPF copies name the
PPF ``9998`` where BR-FR-CDV-02 now requires ``0000`` (which in turn makes BR-FR-CDV-CL-01 apply the
PA<->PA list to MDT-2, absent in PPF copies), and the 211/212 examples omit SequenceNumeric in their
SpecifiedDocumentStatus (BR-FR-CDV-16). ``test_drift_is_only_the_ppf_id`` proves the first cause by
substituting the id. The builder is also checked against the examples' layout.
A table is printed at the end of the run (``make test-conformance PYTEST_ARGS="-k lifecycle"``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from einvoice.lifecycle import builder, cdar_validation, cdar_xml
from einvoice.lifecycle import statuses as st
from einvoice.lifecycle.statuses import Actor
from einvoice.lifecycle.transitions import ReceivedAmount, StatusRequest

REPO = Path(__file__).resolve().parents[2]
FOLDER = (REPO / "../shared/corpus/xp-z12-french-ctc/XP_Z12-014_Annexe_B_V1.3").resolve()
FILES = sorted(FOLDER.glob("UC[1-5]/*CDV*.xml")) if FOLDER.is_dir() else []

PPF_DRIFT = {"BR-FR-CDV-02_MDT-3", "BR-FR-CDV-CL-01_MDT-2"}
SEQ_DRIFT = {"BR-FR-CDV-16_MDT-124-2"}


def drift(name: str) -> set[str]:
    expected = set()
    if name.endswith("_POUR_PPF.xml"):
        expected |= PPF_DRIFT
    if "-CDV-211_" in name or "-CDV-212_" in name:
        expected |= SEQ_DRIFT
    return expected


class _Table:
    rows: list[tuple[str, ...]] = []

    def pytest_terminal_summary(self, terminalreporter):
        if not self.rows:
            return
        terminalreporter.section("lifecycle conformance: XP Z12-014 Annexe B v1.3 CDV examples")
        terminalreporter.write_line("file | status | round trip | original: BR-FR-CDV fatal | re-generated")
        for row in sorted(self.rows):
            terminalreporter.write_line(" | ".join(row))


_TABLE = _Table()


@pytest.fixture(scope="module", autouse=True)
def _report_table(request):
    if not request.config.pluginmanager.is_registered(_TABLE):
        request.config.pluginmanager.register(_TABLE)


def leaves(xml: bytes) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
    """(path of local names with sibling positions, attributes, normalised text) of every element."""
    from lxml import etree

    root = cdar_xml.parse_root(xml)
    out = []

    def walk(el, path):
        children = [c for c in el if isinstance(c.tag, str)]
        attrs = tuple(sorted((etree.QName(k).localname, v.strip()) for k, v in el.attrib.items()))
        text = " ".join((el.text or "").split())
        out.append((path, attrs, text if not children else ""))
        counts: dict[str, int] = {}
        for c in children:
            name = etree.QName(c).localname
            counts[name] = counts.get(name, 0) + 1
            walk(c, f"{path}/{name}[{counts[name]}]")

    walk(root, etree.QName(root).localname)
    return out


def _ids(files):
    return [pytest.param(f, id=f.name) for f in files] or [
        pytest.param(None, id="corpus-absent", marks=pytest.mark.skip(reason=f"corpus not found at {FOLDER}"))]


def test_the_corpus_has_the_fifteen_uc1_to_uc5_lifecycle_examples():
    if not FILES:
        pytest.skip(f"corpus not found at {FOLDER}")
    assert len(FILES) == 15


@pytest.mark.parametrize("path", _ids(FILES))
def test_round_trip_and_validation(path):
    original = path.read_bytes()
    message = cdar_xml.parse(original)
    regenerated = cdar_xml.to_xml(message)
    assert leaves(regenerated) == leaves(original)
    assert cdar_xml.parse(regenerated) == message
    before, after = cdar_validation.validate(original), cdar_validation.validate(regenerated)
    expected = drift(path.name)
    assert before.rule_ids("fatal") == expected, sorted(before.rule_ids(None))
    assert after.rule_ids("fatal") == expected
    assert before.verdict == after.verdict == ("invalid" if expected else "valid")
    _TABLE.rows.append((path.name, str(message.status), "identical", ", ".join(sorted(expected)) or "valid",
                        after.verdict))


@pytest.mark.parametrize("path", _ids([f for f in FILES if f.name.endswith("_POUR_PPF.xml")]))
def test_drift_is_only_the_ppf_id(path):
    """With the PPF id of the current rules (0000 instead of 9998) the PPF copies pass BR-FR-CDV-02 and CL-01."""
    fixed = path.read_bytes().replace(b'schemeID="0238">9998<', b'schemeID="0238">0000<')
    report = cdar_validation.validate(fixed)
    assert report.rule_ids("fatal") == drift(path.name) - PPF_DRIFT


# ------------------------------------------------------------------------- builder vs the examples
def _event(message, actor):
    """The domain inputs an official example was made from (parties, dates, reason, amounts)."""
    doc = message.document
    status = doc.statuses[0] if doc.statuses else None
    characteristics = status.characteristics if status else ()
    received = tuple(ReceivedAmount(c.amount, c.percent) for c in characteristics if c.type_code == "MEN")
    paid = next((c for c in characteristics if c.type_code == "MPA"), None)
    request = StatusRequest(doc.status, reason_code=status.reason_code if status else None,
                            requested_action=status.requested_action_code if status else None, received=received,
                            amount=paid.amount if paid else None)
    parties = [p for p in (*message.recipients, message.issuer) if p and p.global_ids]

    def company(role, siren, name, address):
        party = next((p for p in parties if p.role == role), None)
        if party is None:
            return builder.Company(siren, name, address)
        return builder.Company(party.global_ids[0].value, party.name, party.uri.value if party.uri else address)

    seller = company("SE", doc.issuer.global_ids[0].value, "VENDEUR", "100000009_STATUTS")
    buyer = company("BY", "200000008", "ACHETEUR", "200000008")
    invoice = builder.InvoiceRef(doc.invoice_id, doc.issue_date, seller, buyer, doc.type_code)
    return builder.StatusEvent(invoice, request, actor, message.acknowledgements[0].issue_datetime,
                               doc.receipt_datetime, payment_date=paid.value_date if paid else None)


ACTORS = {200: Actor.SELLER_PLATFORM, 202: Actor.BUYER_PLATFORM, 203: Actor.BUYER_PLATFORM, 204: Actor.BUYER,
          205: Actor.BUYER, 207: Actor.BUYER, 210: Actor.BUYER, 211: Actor.BUYER, 212: Actor.SELLER,
          213: Actor.BUYER_PLATFORM, 220: Actor.SELLER}


@pytest.mark.parametrize("path", _ids([f for f in FILES if not f.name.endswith("_POUR_PPF.xml")]))
def test_builder_reproduces_the_layout_of_the_examples(path):
    official = cdar_xml.parse(path.read_bytes())
    ours = builder.peer_copy(_event(official, ACTORS[official.status]))
    assert cdar_validation.validate(cdar_xml.to_xml(ours)).verdict == "valid"

    def layout(m):
        doc = m.document
        return (m.guideline, m.business_process, m.sender.role, bool(m.sender.global_ids), m.issuer.role,
                [r.role for r in m.recipients], m.acknowledgements[0].type_code, doc.status_code,
                doc.process_condition_code, doc.process_condition, [s.reason_code for s in doc.statuses],
                m.acknowledgements[0].issue_datetime, doc.receipt_datetime, doc.issue_date)

    assert layout(ours) == layout(official)
    for party in ours.recipients:  # where the examples write 9998, the builder writes the current 0000
        if party.role == "DFH":
            assert party.global_ids == (cdar_xml.Identifier(st.PPF_ID, "0238"),)


def test_ppf_copies_follow_the_examples_with_the_current_ppf_id():
    if not FILES:
        pytest.skip(f"corpus not found at {FOLDER}")
    for path in [f for f in FILES if f.name.endswith("_POUR_PPF.xml")]:
        official = cdar_xml.parse(path.read_bytes())
        actor = ACTORS[official.status]
        sender = official.sender
        ours = builder.ppf_copy(_event(official, actor), builder.Platform(sender.global_ids[0].value, sender.name))
        assert cdar_validation.validate(cdar_xml.to_xml(ours)).verdict == "valid", path.name
        assert dataclasses.replace(ours.recipients[0], global_ids=official.recipients[0].global_ids) == \
            official.recipients[0]
        assert (ours.sender, ours.issuer.role, ours.guideline, ours.business_process) == (
            official.sender, official.issuer.role, official.guideline, official.business_process)
        assert ours.document.reference_type_code == official.document.reference_type_code
