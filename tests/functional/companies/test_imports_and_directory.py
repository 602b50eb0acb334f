"""Bulk import (API and S3 drop), directory table adapter and loader, under moto."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from companies_testdata import (
    ACCENTED,
    ACTIVE,
    ACTIVE_SIRET,
    CLOSED,
    CLOSED_EST_SIRET,
    EXTRA,
    LA_POSTE_SIRET,
    NOT_VAT,
    UNKNOWN,
    siret,
)

from einvoice.companies import imports, service
from einvoice.errors import InvalidInputError, NotFoundError, UpstreamUnavailableError

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / ".." / "shared" / "fixtures" / "directory-seed.csv"

DIRTY = "\r\n".join(
    [
        "Type;Identifiant;Effectif;Achats;Paiement;Ventes;Doublons",  # 1 header
        f"SIREN;{ACTIVE[:3]} {ACTIVE[3:6]} {ACTIVE[6:]};11-20;1;0;1;1",  # 2 ok
        f"SIRET;{ACTIVE_SIRET};1-10;1;1;0;0",  # 3 ok
        "",  # 4 blank: skipped, not counted
        f"SIREN;{NOT_VAT};1-10;0;0;1;0",  # 5 ok
        f"SIRENE;{ACCENTED};1-10;1;0;1;0",  # 6 identifierType
        "SIREN;123;1-10;1;0;1;0",  # 7 identifier format
        f"SIREN;{ACCENTED};12-15;1;0;1;0",  # 8 employees
        f"SIREN;{ACCENTED};1-10;0;0;0;0",  # 9 COMPANY-01
        f"SIREN;{ACCENTED};1-10;0;1;1;0",  # 10 COMPANY-02
        f"SIREN;{UNKNOWN};1-10;1;0;1;0",  # 11 unknown to the directory
        f"SIREN;{CLOSED};1-10;1;0;1;0",  # 12 closed
        f"SIRET;{CLOSED_EST_SIRET};1-10;1;0;1;0",  # 13 closed establishment
        f"SIRET;{siret(UNKNOWN, '0001')};1-10;1;0;1;0",  # 14 SIRET of an unknown SIREN
        f"SIREN;{ACTIVE};11-20;1;0;1;1",  # 15 duplicate of line 2
        f"SIREN;{ACTIVE};1-10;1;0;x",  # 16 wrong number of fields
        f"SIRET;{LA_POSTE_SIRET};1-10;1;0;1;0",  # 17 ok (La Poste)
    ]
).encode("cp1252")

EXPECTED_ERRORS = [
    (6, "identifierType"),
    (7, "identifier"),
    (8, "employees"),
    (9, "purchaseInvoices"),
    (10, "purchasePayment"),
    (11, "identifier"),
    (12, "identifier"),
    (13, "identifier"),
    (14, "identifier"),
    (15, "identifier"),
    (16, "line"),
]


def _companies(env, account_id) -> list[dict]:
    out = boto3.client("dynamodb", region_name=env.region).query(
        TableName=env.data_table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :c)",
        ExpressionAttributeValues={":p": {"S": f"ACC#{account_id}"}, ":c": {"S": "COMPANY#"}},
    )
    return out["Items"]


@pytest.mark.parametrize("max_lines", [5000, 3])
def test_dirty_file_reports_every_rule_and_reimport_creates_nothing(env, tenant, directory, max_lines):
    started = imports.start_import(tenant, DIRTY, header=None, enrol=True)
    assert started.state == "RUNNING"
    cont = imports.run_import(tenant.account_id, started.id, max_lines=max_lines, directory=directory)
    assert cont["done"] and cont["state"] == "SUCCEEDED"
    out = imports.get_import(tenant, started.id)
    assert [(e.line, e.field) for e in out.errors] == EXPECTED_ERRORS
    assert (out.lines_read, out.imported, out.rejected, out.existing) == (15, 4, 11, 0)
    assert out.error_count == 11 and not out.errors_truncated
    reasons = {e.line: e.reason for e in out.errors}
    assert "duplicate of line 2" in reasons[15]
    assert "unknown" in reasons[11] and "closed" in reasons[12]
    assert out.to_enrol == 3  # ACTIVE, ACTIVE_SIRET, La Poste (VAT-liable, purchase invoices)
    items = _companies(env, tenant.account_id)
    assert sorted(i["identifier"]["S"] for i in items) == sorted([ACTIVE, ACTIVE_SIRET, NOT_VAT, LA_POSTE_SIRET])
    states = {c.identifier: c.enrolment_state.value for c in service.list_companies(tenant).items}
    assert states[ACTIVE] == "TO_DO_MULTIPLE" and states[NOT_VAT] == "NOT_APPLICABLE"

    again = imports.start_import(tenant, DIRTY, header=None, enrol=False)
    imports.run_import(tenant.account_id, again.id, max_lines=max_lines, directory=directory)
    out2 = imports.get_import(tenant, again.id)
    # line 15 repeats line 2, whose company now exists from before: "existing" too
    assert (out2.imported, out2.existing, out2.rejected) == (0, 5, 10)
    assert len(_companies(env, tenant.account_id)) == 4


def test_api_created_company_is_not_duplicated_by_import(env, tenant, directory):
    from companies_testdata import body

    service.create_company(tenant, body(ACTIVE), directory=directory)
    imp = imports.start_import(tenant, f"SIREN;{ACTIVE};1-10;1;0;1;0\n".encode(), header=False)
    imports.run_import(tenant.account_id, imp.id, directory=directory)
    out = imports.get_import(tenant, imp.id)
    assert (out.imported, out.existing) == (0, 1)
    assert len(_companies(env, tenant.account_id)) == 1


def test_chunk_retry_is_idempotent(env, tenant, directory):
    data = "\n".join(f"SIREN;{s};1-10;1;0;1;0" for s in EXTRA[:6]).encode()
    imp = imports.start_import(tenant, data, header=False)
    first = imports.process_import_chunk(tenant.account_id, imp.id, max_lines=4, directory=directory)
    assert not first["done"]
    # the state machine retries the first chunk after it committed: no-op
    replay = imports.process_import_chunk(tenant.account_id, imp.id, 0, 0, max_lines=4, directory=directory)
    assert replay["offset"] == first["offset"]
    # a crash after the writes but before the commit: roll the committed offset back and rerun
    ddb = boto3.client("dynamodb", region_name=env.region)
    key = {"pk": {"S": f"ACC#{tenant.account_id}"}, "sk": {"S": f"IMPORT#{imp.id}"}}
    ddb.update_item(
        TableName=env.data_table,
        Key=key,
        UpdateExpression="SET #o = :z, #l = :z, imported = :z, linesRead = :z",
        ExpressionAttributeNames={"#o": "offset", "#l": "line"},
        ExpressionAttributeValues={":z": {"N": "0"}},
    )
    imports.run_import(tenant.account_id, imp.id, max_lines=4, directory=directory)
    out = imports.get_import(tenant, imp.id)
    assert (out.lines_read, out.imported, out.rejected, out.existing) == (6, 6, 0, 0)


def test_directory_outage_during_import_commits_nothing_then_resumes(env, tenant, directory):
    class Down:
        def get_many(self, sirens, sirets):
            raise UpstreamUnavailableError("down")

    data = "\n".join(f"SIREN;{s};1-10;1;0;1;0" for s in EXTRA[:3]).encode()
    imp = imports.start_import(tenant, data, header=False)
    with pytest.raises(UpstreamUnavailableError):
        imports.process_import_chunk(tenant.account_id, imp.id, directory=Down())
    assert imports.get_import(tenant, imp.id).lines_read == 0
    assert _companies(env, tenant.account_id) == []
    imports.run_import(tenant.account_id, imp.id, directory=directory)
    assert imports.get_import(tenant, imp.id).imported == 3


def test_import_errors_are_capped(env, tenant, directory, monkeypatch):
    monkeypatch.setattr(imports, "MAX_STORED_ERRORS", 5)
    data = "\n".join(["SIREN;123;1-10;1;0;1;0"] * 12).encode()
    imp = imports.start_import(tenant, data, header=False)
    imports.run_import(tenant.account_id, imp.id, max_lines=4, directory=directory)
    out = imports.get_import(tenant, imp.id)
    assert out.rejected == 12 and out.error_count == 12 and len(out.errors) == 5 and out.errors_truncated


def test_import_validation_and_isolation(env, tenant, other_tenant):
    with pytest.raises(InvalidInputError) as exc:
        imports.start_import(tenant, b"  \r\n", header=None)
    assert exc.value.details[0].field == "body"
    imp = imports.start_import(tenant, b"SIREN;123;1-10;1;0;1;0\n")
    with pytest.raises(NotFoundError):
        imports.get_import(other_tenant, imp.id)
    with pytest.raises(NotFoundError):
        imports.get_import(tenant, "imp_nope")


def test_s3_drop_imports_and_writes_report(env, directory):
    from einvoice.accounts import service as accounts

    accounts.create_partner("p-drop", "Partner drop")
    accounts.create_account("acc-drop", "p-drop", "Account drop")
    s3 = boto3.client("s3", region_name=env.region)
    key = "imports/acc-drop/Mes entreprises.csv"
    s3.put_object(Bucket=env.drop_bucket, Key=key, Body=DIRTY, Metadata={"enrol": "false"})
    event_key = "imports/acc-drop/Mes+entreprises.csv"  # as S3 events encode it
    cont = imports.import_from_s3(env.drop_bucket, event_key)
    assert cont["accountId"] == "acc-drop" and not cont["done"]
    assert imports.import_from_s3(env.drop_bucket, event_key)["importId"] == cont["importId"]  # redelivery
    imports.run_import("acc-drop", cont["importId"], directory=directory)
    report = json.loads(s3.get_object(Bucket=env.drop_bucket, Key=key + ".report.json")["Body"].read())
    assert report["state"] == "SUCCEEDED" and report["imported"] == 4
    assert [(e["line"], e["field"]) for e in report["errors"]] == EXPECTED_ERRORS

    assert imports.import_from_s3(env.drop_bucket, "elsewhere/acc-drop/x.csv") is None
    s3.put_object(Bucket=env.drop_bucket, Key="imports/acc-unknown/x.csv", Body=DIRTY)
    assert imports.import_from_s3(env.drop_bucket, "imports/acc-unknown/x.csv") is None
    failed = json.loads(
        s3.get_object(Bucket=env.drop_bucket, Key="imports/acc-unknown/x.csv.report.json")["Body"].read()
    )
    assert failed["state"] == "FAILED" and "unknown account" in failed["failure"]


def test_fail_import(env, tenant):
    imp = imports.start_import(tenant, b"SIREN;123;1-10;1;0;1;0\n")
    cont = imports.fail_import(tenant.account_id, imp.id, "retries exhausted")
    assert cont["done"] and cont["state"] == "FAILED"
    assert imports.get_import(tenant, imp.id).failure == "retries exhausted"


@pytest.mark.slow
def test_write_requests_per_1000_lines_are_batched(env, tenant):
    """1,000 lines against a directory of 1,000 generated companies: <= 45 write requests."""
    from einvoice.adapters.aws.clients import client
    from einvoice.directory.loader import load_csv
    from einvoice.directory.seed import generate_seed, seed_bytes
    from einvoice.directory.table import TableDirectory

    load_csv(seed_bytes(700, seed=99), settings=env)
    sirets = [r[1] for r in generate_seed(700, seed=99)][:1000]
    lines = [f"SIRET;{s};1-10;1;0;1;0" for s in sirets]
    assert len(lines) == 1000 or len(lines) > 900
    data = ("\n".join(lines) + "\n").encode()
    writes = []

    def count(params, model, **kw):
        if model.name in ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems", "DeleteItem"):
            writes.append(model.name)

    ddb = client("dynamodb", env)
    ddb.meta.events.register("before-call.dynamodb", count)
    try:
        imp = imports.start_import(tenant, data, header=False)
        imports.run_import(tenant.account_id, imp.id, directory=TableDirectory(settings=env))
    finally:
        ddb.meta.events.unregister("before-call.dynamodb", count)
    out = imports.get_import(tenant, imp.id)
    active = sum(1 for r in generate_seed(700, seed=99) if r[6] == "active" and r[1] in set(sirets))
    assert out.imported == active and out.rejected == len(lines) - active
    assert len(writes) * 1000 / len(lines) <= 45, writes.count("BatchWriteItem")


# --- directory table adapter / loader --------------------------------------------------------------


def test_table_directory_lookups(env, directory):
    assert directory.get_siren(ACTIVE).name == "Menuiserie Lefèvre EURL"
    assert directory.get_siren(UNKNOWN) is None
    assert directory.get_siret(LA_POSTE_SIRET).siren == "356000000"
    assert directory.get_siren(CLOSED).status == "closed"
    assert [line.platform_id for line in directory.lines_for(ACCENTED)] == ["0238:PA-THIS"]
    assert directory.lines_for(ACTIVE) == []
    units, ests = directory.get_many([ACTIVE, UNKNOWN, CLOSED], [ACTIVE_SIRET, LA_POSTE_SIRET])
    assert set(units) == {ACTIVE, CLOSED} and set(ests) == {ACTIVE_SIRET, LA_POSTE_SIRET}
    line = directory.register_line(NOT_VAT, None, "0238:PA-THIS")
    assert directory.lines_for(NOT_VAT) == [line]


def test_directory_api_functions_through_the_table(env, directory):
    from einvoice.directory import service as dservice

    unit = dservice.get_legal_unit(ACCENTED, directory=directory)
    assert unit["name"] == "Électricité Hérault SCI" and unit["directoryLines"][0]["platformId"] == "0238:PA-THIS"
    est = dservice.get_establishment(LA_POSTE_SIRET, directory=directory)
    assert est["siren"] == "356000000" and est["vatLiable"] is True
    with pytest.raises(NotFoundError):
        dservice.get_legal_unit(UNKNOWN, directory=directory)


@pytest.mark.slow
def test_load_shared_fixture_twice_changes_nothing(env):
    if not FIXTURE.exists():
        pytest.skip("../shared/fixtures/directory-seed.csv is not present")
    from einvoice.directory.loader import load_csv

    ddb = boto3.client("dynamodb", region_name=env.region)
    ddb.create_table(
        TableName="directory-fixture",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )

    def snapshot():
        count = ddb.describe_table(TableName="directory-fixture")["Table"]["ItemCount"]
        sample = ddb.query(
            TableName="directory-fixture",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "SIREN#356000000"}},
        )["Items"]
        return count, sorted(json.dumps(i, sort_keys=True) for i in sample)

    first = load_csv(FIXTURE, "directory-fixture", settings=env)
    assert first.rows == 3209 and first.legal_units == 2001 and first.rejected == 0
    before = snapshot()
    second = load_csv(FIXTURE, "directory-fixture", settings=env)
    assert second.to_json()["items"] == first.to_json()["items"]
    after = snapshot()
    assert after == before and after[0] == first.items == 6146
    assert len(after[1]) == 1 + 5 + 1  # La Poste: legal unit, 5 establishments, 1 directory line
    assert first.requests <= first.items / 25 + 1


def test_handler_helpers(env, tenant, directory):
    from einvoice.accounts import service as accounts

    assert imports.parse_flag("header", None) is None
    assert imports.parse_flag("enrol", "", False) is False
    assert imports.parse_flag("header", "TRUE") is True and imports.parse_flag("header", "0") is False
    with pytest.raises(InvalidInputError) as exc:
        imports.parse_flag("header", "maybe")
    assert exc.value.details[0].field == "header"

    accounts.create_partner("p-evt", "Partner evt")
    accounts.create_account("acc-evt", "p-evt", "Account evt")
    s3 = boto3.client("s3", region_name=env.region)
    s3.put_object(Bucket=env.drop_bucket, Key="imports/acc-evt/a b.csv", Body=f"SIREN;{ACTIVE};1-10;1;0;1;0\n".encode())
    event = {
        "Records": [
            {"s3": {"bucket": {"name": env.drop_bucket}, "object": {"key": "imports/acc-evt/a+b.csv"}}},
            {"s3": {"bucket": {"name": env.drop_bucket}, "object": {"key": "imports/acc-evt/a+b.csv.report.json"}}},
        ]
    }
    conts = imports.s3_event(event)
    assert len(conts) == 1
    cont = conts[0]
    while not cont["done"]:
        cont = imports.chunk_task(cont)
    assert cont["state"] == "SUCCEEDED"
    other = imports.start_import(tenant, b"SIREN;123;1-10;1;0;1;0\n")
    failed = imports.fail_task(
        {
            "accountId": tenant.account_id,
            "importId": other.id,
            "error": {"Error": "States.Timeout", "Cause": "chunk timed out"},
        }
    )
    assert failed["state"] == "FAILED"


def test_directory_factory_is_cached_per_container(env):
    from einvoice.directory.cache import CachedDirectory, get_directory, reset_directory_cache
    from einvoice.directory.table import TableDirectory

    reset_directory_cache()
    d = get_directory(env)
    assert isinstance(d, CachedDirectory) and isinstance(d.inner, TableDirectory)
    assert get_directory(env) is d
    assert d.get_siren(ACTIVE).name and d.get_siren(ACTIVE) is d.get_siren(ACTIVE)
    api = get_directory(env.model_copy(update={"directory_mode": "api", "directory_api_url": "http://127.0.0.1:9"}))
    from einvoice.directory.afnor import AfnorDirectory

    assert isinstance(api.inner, AfnorDirectory)
    reset_directory_cache()


def test_absurdly_long_line_fails_the_import(env, tenant, directory, monkeypatch):
    monkeypatch.setattr(imports, "MAX_RANGE_BYTES", 8192)
    data = b"x" * 20000 + f"\nSIREN;{ACTIVE};1-10;1;0;1;0\n".encode()
    imp = imports.start_import(tenant, data, header=False)
    cont = imports.run_import(tenant.account_id, imp.id, max_lines=10, directory=directory)
    assert cont["state"] == "FAILED"
    assert "longer than" in imports.get_import(tenant, imp.id).failure


def test_cli_load_is_idempotent(env, tmp_path, capsys):
    from einvoice.cli import main
    from einvoice.directory.seed import write_seed

    ddb = boto3.client("dynamodb", region_name=env.region)
    ddb.create_table(
        TableName="directory-cli",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    path = tmp_path / "extract.csv"
    write_seed(path, 30, seed=8)
    assert main(["directory", "load", str(path), "--table", "directory-cli", "--aws"]) == 0  # in-process moto
    first = json.loads(capsys.readouterr().out)
    count = ddb.describe_table(TableName="directory-cli")["Table"]["ItemCount"]
    assert count == first["items"] and first["legalUnits"] == 31 and first["rejected"] == 0
    assert main(["directory", "load", str(path), "--table", "directory-cli", "--aws"]) == 0  # in-process moto
    assert ddb.describe_table(TableName="directory-cli")["Table"]["ItemCount"] == count
