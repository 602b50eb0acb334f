"""Directory table adapter, loader and factory under moto (imports: tests/functional/imports)."""

from __future__ import annotations

import json

import boto3
import pytest
from companies_testdata import ACCENTED, ACTIVE, ACTIVE_SIRET, CLOSED, LA_POSTE_SIRET, NOT_VAT, UNKNOWN

from einvoice.errors import NotFoundError

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
