"""Routing rules: BT-49 forms and the most specific directory line in force on the invoice date."""

import pytest

from einvoice.directory.models import DirectoryLine
from einvoice.transmission.addressing import Address, parse_address, resolve_line

SIREN = "552100554"
SIRET = SIREN + "00016"


@pytest.mark.parametrize("value,expected", [
    ("0225:552100554", Address(SIREN)),
    ("552100554", Address(SIREN)),
    (f"0225:{SIRET}".replace(SIRET, f"{SIREN}_{SIRET}"), Address(SIREN, siret=SIRET)),
    (f"0225:{SIREN}_{SIRET}_SERVICE-ACHATS", Address(SIREN, siret=SIRET, routing="SERVICE-ACHATS")),
    (f"0225:{SIREN}_STATUTS", Address(SIREN, suffix="STATUTS")),
    ("0088:1234567890123", None),
    ("0225:12345", None),
    ("", None),
])
def test_parse_address(value, expected):
    assert parse_address(value) == expected


def lines():
    return [
        DirectoryLine(SIREN, "0238:PA-SIREN"),
        DirectoryLine(SIREN, "0238:PA-SUFFIX", suffix="STATUTS"),
        DirectoryLine(SIREN, "0238:PA-SIRET", siret=SIRET),
        DirectoryLine(SIREN, "0238:PA-ROUTING", siret=SIRET, routing_identifier="SERVICE-ACHATS"),
    ]


@pytest.mark.parametrize("address,platform,mesh", [
    (Address(SIREN, siret=SIRET, routing="SERVICE-ACHATS"), "0238:PA-ROUTING", "SIREN_SIRET_CODEROUTAGE"),
    (Address(SIREN, siret=SIRET, routing="UNKNOWN"), "0238:PA-SIRET", "SIREN_SIRET"),
    (Address(SIREN, siret=SIRET), "0238:PA-SIRET", "SIREN_SIRET"),
    (Address(SIREN, suffix="STATUTS"), "0238:PA-SUFFIX", "SIREN_SUFFIXE"),
    (Address(SIREN), "0238:PA-SIREN", "SIREN"),
])
def test_most_specific_line_wins(address, platform, mesh):
    line, found_mesh = resolve_line(lines(), address, "2026-12-01")
    assert (line.platform_id, found_mesh) == (platform, mesh)


def test_validity_periods_pick_the_line_in_force_on_the_invoice_date():
    history = [
        DirectoryLine(SIREN, "0238:PA-OLD", valid_to="2026-06-30"),
        DirectoryLine(SIREN, "0238:PA-NEW", valid_from="2026-07-01"),
        DirectoryLine(SIREN, "0238:PA-NEXT", valid_from="2027-01-01", status="Upcoming"),
    ]
    assert resolve_line(history, Address(SIREN), "2026-06-30")[0].platform_id == "0238:PA-OLD"
    assert resolve_line(history, Address(SIREN), "2026-07-01")[0].platform_id == "0238:PA-NEW"
    assert resolve_line(history, Address(SIREN), "2027-01-02")[0].platform_id == "0238:PA-NEXT"


def test_disabled_or_expired_lines_do_not_route():
    assert resolve_line([DirectoryLine(SIREN, "0238:PA-X", status="Disabled")], Address(SIREN), "2026-12-01") is None
    assert resolve_line([DirectoryLine(SIREN, "0238:PA-X", valid_to="2026-01-01")], Address(SIREN),
                        "2026-12-01") is None
    # a more specific line out of its period falls back to the SIREN line
    found = resolve_line([DirectoryLine(SIREN, "0238:PA-SIRET", siret=SIRET, valid_to="2026-01-01"),
                          DirectoryLine(SIREN, "0238:PA-SIREN")], Address(SIREN, siret=SIRET), "2026-12-01")
    assert found[0].platform_id == "0238:PA-SIREN"


def test_line_keys_keep_the_history_of_a_mesh():
    from einvoice.directory.table import line_from_item, line_item

    old = DirectoryLine(SIREN, "0238:PA-OLD", siret=SIRET, valid_from="2026-01-01", valid_to="2026-06-30")
    new = DirectoryLine(SIREN, "0238:PA-NEW", siret=SIRET, valid_from="2026-07-01")
    assert line_item(old)["sk"] != line_item(new)["sk"]
    assert line_from_item(line_item(old)) == old
    assert line_item(DirectoryLine(SIREN, "0238:PA-X"))["sk"] == {"S": f"LINE#{SIREN}"}
