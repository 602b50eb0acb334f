"""The Flow API server on fakes: checks before anything is kept, uniqueness, visibility, search, documents."""

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from einvoice.errors import BadRequestError, InvalidInputError, NotFoundError
from einvoice.flows import clients as cl
from einvoice.flows.errors import FlowRefusedError
from einvoice.flows.models import SearchIn
from einvoice.flows.service import get_flow, search_flows, submit_flow
from tests.unit.reception.reception_testing import (
    OTHER_PEER_CLIENT,
    PEER_CLIENT,
    add_buyer,
    flow_body,
    invoice_document,
)


def _refused(rworld, data, **kw):
    with pytest.raises(FlowRefusedError) as err:
        rworld.submit(data, **kw)
    return err.value


def test_checksum_mismatch_is_refused_and_nothing_is_kept(rworld):
    err = _refused(rworld, invoice_document("cii"), sha256="0" * 64)
    assert (err.code, err.http_status) == ("ChecksumMismatch", 422)
    assert not rworld.flows.flows and not rworld.receptions.started and not rworld.deps.staging.files


def test_the_same_flow_again_is_already_existing_with_the_first_flow_id(rworld):
    add_buyer(rworld)
    first = rworld.submit(invoice_document("cii"))
    err = _refused(rworld, invoice_document("cii"))
    assert (err.code, err.http_status, err.flow_id) == ("AlreadyExistingFlow", 409, first.flow_id)
    # another tracking id is another flow; another sender with the same ids is another flow too
    assert rworld.submit(invoice_document("cii"), tracking_id="T-2").flow_id != first.flow_id
    assert rworld.submit(invoice_document("cii"), client=OTHER_PEER_CLIENT).flow_id != first.flow_id
    assert len(rworld.receptions.started) == 3


@pytest.mark.parametrize("data, kw, code", [
    (b"", {}, "EmptyFlow"),
    (b"%PDF-1.7 not an invoice", {}, "FlowTypeError"),  # announced CII, is a PDF
    (b"<a>not an invoice</a>", {}, "InvalidSchema"),
    (b"\x00\x01binary", {}, "InvalidSchema"),
    (b"<x/>", {"syntax": "FRR"}, "FlowTypeError"),
])
def test_unacceptable_files_are_refused_with_their_reason_code(rworld, data, kw, code):
    assert _refused(rworld, data, **kw).code == code


def test_a_file_over_the_limit_is_file_size_exceeded(rworld, monkeypatch):
    from einvoice.flows import service

    monkeypatch.setattr(service, "MAX_FLOW_BYTES", 1000)
    err = _refused(rworld, invoice_document("cii"))
    assert (err.code, err.http_status) == ("FileSizeExceeded", 413)


def test_flow_info_and_multipart_problems_name_the_field(rworld):
    data = invoice_document("cii")
    body, ctype = flow_body(data, flowSyntax="XML")
    with pytest.raises(InvalidInputError) as err:
        submit_flow(PEER_CLIENT, body, ctype, deps=rworld.flow_deps)
    assert err.value.details[0].field == "flowInfo.flowSyntax"
    with pytest.raises(BadRequestError):
        submit_flow(PEER_CLIENT, body, "multipart/form-data; boundary=other", deps=rworld.flow_deps)
    with pytest.raises(BadRequestError):
        submit_flow(PEER_CLIENT, body.replace(b'name="flowInfo"', b'name="info"'), ctype, deps=rworld.flow_deps)


def test_a_sha256_is_optional_and_the_file_comes_back_byte_for_byte(rworld):
    add_buyer(rworld)
    data = invoice_document("facturx")
    flow = rworld.submit(data, syntax="Factur-X", sha256=None)
    assert flow.sha256 == hashlib.sha256(data).hexdigest()
    assert get_flow(PEER_CLIENT, flow.flow_id, "Original", deps=rworld.flow_deps)[0] == data


def test_a_platform_sees_only_its_flows_and_those_addressed_to_it(rworld):
    add_buyer(rworld)
    flow = rworld.submit(invoice_document("cii"))
    with pytest.raises(NotFoundError):
        get_flow(OTHER_PEER_CLIENT, flow.flow_id, None, deps=rworld.flow_deps)
    assert search_flows(OTHER_PEER_CLIENT, SearchIn(), deps=rworld.flow_deps).results == []
    rworld.run_receptions()
    buyer = cl.FlowApiClient("buyer-sw", cl.ACCOUNT, "ERP", account_id="acc-buyer")
    seen = get_flow(buyer, flow.flow_id, None, deps=rworld.flow_deps)
    assert seen.flow_direction.value == "In" and seen.flow_type.value == "SupplierInvoice"
    assert get_flow(PEER_CLIENT, flow.flow_id, None, deps=rworld.flow_deps).flow_type.value == "CustomerInvoice"
    readable, ctype, _ = get_flow(PEER_CLIENT, flow.flow_id, "ReadableView", deps=rworld.flow_deps)
    assert ctype == "application/pdf" and readable.startswith(b"%PDF-")
    converted, ctype, name = get_flow(PEER_CLIENT, flow.flow_id, "Converted", deps=rworld.flow_deps)
    assert b"urn:oasis:names:specification:ubl" in converted and name.endswith("-ubl.xml")


def test_search_is_strictly_after_updated_after_and_pages_with_a_cursor(rworld):
    add_buyer(rworld)
    ids = []
    for i in range(5):
        ids.append(rworld.submit(invoice_document("cii"), tracking_id=f"T-{i}").flow_id)
        rworld.clock.advance(seconds=1)
    page = search_flows(PEER_CLIENT, SearchIn(limit=2), deps=rworld.flow_deps)
    got = [f.flow_id for f in page.results]
    while page.next_cursor:
        page = search_flows(PEER_CLIENT, SearchIn(limit=2, cursor=page.next_cursor), deps=rworld.flow_deps)
        got += [f.flow_id for f in page.results]
    assert got == ids
    second = rworld.flows.get(ids[1]).updated_at
    after = datetime.fromisoformat(second.replace("Z", "+00:00"))
    found = search_flows(PEER_CLIENT, SearchIn.model_validate({"where": {"updatedAfter": after.isoformat()}}),
                         deps=rworld.flow_deps)
    assert [f.flow_id for f in found.results] == ids[2:]
    before = search_flows(PEER_CLIENT, SearchIn.model_validate({"where": {
        "updatedBefore": (after + timedelta(milliseconds=1)).isoformat(), "trackingId": "T-1"}}), deps=rworld.flow_deps)
    assert [f.flow_id for f in before.results] == [ids[1]]
    pending = search_flows(PEER_CLIENT, SearchIn.model_validate({"where": {"ackStatus": "Ok"}}), deps=rworld.flow_deps)
    assert pending.results == []
    with pytest.raises(InvalidInputError):
        search_flows(PEER_CLIENT, SearchIn(cursor="not-a-cursor"), deps=rworld.flow_deps)
    assert json.loads(found.model_dump_json(by_alias=True))["filters"]["updatedAfter"]
    assert datetime.now(timezone.utc)  # the clock of the world is fixed; nothing depends on the host clock


def test_secrets_are_kept_as_hashes_and_claims_resolve_to_the_client():
    client, secret = cl.new_client(cl.PLATFORM, "Peer", platform_id="0238:PA-0042")
    assert secret not in repr(client) and cl.secret_matches(secret, client.secret_hash)
    assert not cl.secret_matches(secret + "x", client.secret_hash)
    store = cl.MemoryClients([client])
    assert cl.caller_from_claims({"client_id": client.client_id}, store).principal == "platform:0238:PA-0042"
    with pytest.raises(cl.UnauthorizedError):
        cl.caller_from_claims({"client_id": "unknown"}, store)
