"""Test data of the companies/directory functional tests (a small hand-made directory)."""

from __future__ import annotations

from einvoice.directory.seed import luhn_check_digit


def siren(body8: str) -> str:
    return body8 + luhn_check_digit(body8)


def siret(siren9: str, nic4: str) -> str:
    return siren9 + nic4 + luhn_check_digit(siren9 + nic4)


# A small directory with one company per situation.
ACTIVE = siren("11111111")  # VAT-liable, active, 2 establishments, no platform
ACTIVE_SIRET = siret(ACTIVE, "0001")
ACTIVE_SIRET_2 = siret(ACTIVE, "0002")
CLOSED_EST_SIRET = siret(ACTIVE, "0003")  # closed establishment of an active company
NOT_VAT = siren("22222222")  # not VAT-liable
CLOSED = siren("33333333")  # closed legal unit
CLOSED_SIRET = siret(CLOSED, "0001")
OTHER_PA = siren("44444444")  # served by another platform
ACCENTED = siren("55555555")
UNKNOWN = siren("66666666")  # valid key, not in the directory
LA_POSTE_SIRET = "35600000000010"  # digit sum multiple of 5 (not Luhn)
EXTRA = [siren(f"7{i:07d}") for i in range(12)]  # for pagination/import tests

DIRECTORY_CSV = "\n".join(
    [
        "siren;siret;name;establishment;city;vat_liable;status;reception_platform",
        f"{ACTIVE};{ACTIVE_SIRET};Menuiserie Lefèvre EURL;siège;Toulouse;1;active;",
        f"{ACTIVE};{ACTIVE_SIRET_2};Menuiserie Lefèvre EURL;établissement 1;Albi;1;active;",
        f"{ACTIVE};{CLOSED_EST_SIRET};Menuiserie Lefèvre EURL;établissement 2;Rodez;1;closed;",
        f"{NOT_VAT};{siret(NOT_VAT, '0001')};Association Sportive Noël;siège;Lyon;0;active;",
        f"{CLOSED};{CLOSED_SIRET};Transports Martinez SCI;siège;Grenoble;1;closed;0238:PA-0117",
        f"{OTHER_PA};{siret(OTHER_PA, '0001')};Hôtel Girard SA;siège;Bordeaux;1;active;0238:PA-0042",
        f"{ACCENTED};{siret(ACCENTED, '0001')};Électricité Hérault SCI;siège;Nîmes;1;active;0238:PA-THIS",
        "356000000;35600000000048;La Poste;siège;Paris;1;active;0238:PA-0042",
        f"356000000;{LA_POSTE_SIRET};La Poste;bureau 3;Toulouse;1;active;0238:PA-0042",
        *[f"{s};{siret(s, '0001')};Boulangerie Dupont {i:02d};siège;Paris;1;active;" for i, s in enumerate(EXTRA)],
    ]
).encode("utf-8")


def body(identifier: str, identifier_type: str = "SIREN", **over) -> dict:
    out = {
        "identifierType": identifier_type,
        "identifier": identifier,
        "employees": "11-20",
        "purchaseInvoices": True,
        "purchasePayment": False,
        "salesInvoices": True,
        "duplicateControl": True,
    }
    out.update(over)
    return out
