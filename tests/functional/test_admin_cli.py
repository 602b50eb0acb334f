"""Operator commands create partners, accounts and keys that the API then accepts."""

import json

from einvoice.cli import main


def test_admin_commands_create_a_working_tenant(aws, api, capsys):
    assert main(["admin", "create-partner", "editeur-x", "Editeur X", "--display-name", "X Factures", "--aws"]) == 0
    assert main(["admin", "create-account", "cabinet-1", "--partner", "editeur-x", "--name", "Cabinet 1", "--aws"]) == 0
    assert main(["admin", "create-account", "cabinet-1b", "--partner", "editeur-x", "--name", "Annexe", "--parent", "cabinet-1", "--aws"]) == 0
    capsys.readouterr()
    assert main(["admin", "create-key", "--partner", "editeur-x", "--account", "cabinet-1", "--aws"]) == 0
    key = json.loads(capsys.readouterr().out)
    me = api.get("/v1/me", headers={"x-api-key": key["value"]})
    assert me.status_code == 200
    assert me.json["partner"] == {"id": "editeur-x", "name": "Editeur X", "branding": {"displayName": "X Factures"}}
    assert me.json["account"]["secondaryAccountIds"] == ["cabinet-1b"]


def test_admin_errors_are_reported_with_exit_code(aws, capsys):
    assert main(["admin", "create-account", "orphan", "--partner", "nobody", "--name", "Orphan", "--aws"]) == 1
    assert json.loads(capsys.readouterr().out)["code"] == "NotFound"
