"""Directory adapter backed by the ``directory`` DynamoDB table (the local Annuaire replica).

Key design (``einvoice.resources``)::

    pk = SIREN#<siren>  sk = UL                legal unit
    pk = SIREN#<siren>  sk = SIRET#<siret>     establishment
    pk = SIREN#<siren>  sk = LINE#<mesh>       directory line (mesh = <siren> or <siren>_<siret>)

Uses the low-level DynamoDB client with hand-built attribute values (no TypeSerializer):
bulk imports look up thousands of keys and the resource layer's (de)serialisation dominates.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from einvoice.directory.models import DirectoryLine, Establishment, LegalUnit
from einvoice.errors import UpstreamUnavailableError
from einvoice.settings import Settings, get_settings

# DynamoDB error codes that mean "the directory is not available now" (never "unknown company").
_OUTAGE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "ResourceNotFoundException",  # table missing: misconfigured or not bootstrapped yet
        "AccessDeniedException",
        "UnrecognizedClientException",
    }
)


def upstream_error(exc: Exception) -> Exception:
    """Map a botocore exception to ``UpstreamUnavailableError`` when it is an outage."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _OUTAGE_CODES or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            return UpstreamUnavailableError(f"The directory is unavailable ({code})")
        return exc
    if isinstance(exc, BotoCoreError):
        return UpstreamUnavailableError(f"The directory is unavailable ({type(exc).__name__})")
    return exc


# --- item <-> record (raw DynamoDB attribute values) ------------------------------------------------


def _s(v: str) -> dict:
    return {"S": v}


def legal_unit_item(u: LegalUnit) -> dict[str, dict]:
    item = {
        "pk": _s("SIREN#" + u.siren),
        "sk": _s("UL"),
        "siren": _s(u.siren),
        "name": _s(u.name),
        "vatLiable": {"BOOL": u.vat_liable},
        "status": _s(u.status),
    }
    if u.reception_platform:
        item["receptionPlatform"] = _s(u.reception_platform)
    return item


def establishment_item(e: Establishment) -> dict[str, dict]:
    item = {
        "pk": _s("SIREN#" + e.siren),
        "sk": _s("SIRET#" + e.siret),
        "siret": _s(e.siret),
        "siren": _s(e.siren),
        "name": _s(e.name),
        "establishment": _s(e.establishment),
        "city": _s(e.city),
        "vatLiable": {"BOOL": e.vat_liable},
        "status": _s(e.status),
    }
    if e.reception_platform:
        item["receptionPlatform"] = _s(e.reception_platform)
    return item


def line_item(line: DirectoryLine) -> dict[str, dict]:
    # one item per line; a historised mesh keeps one item per validity period (start date in the key)
    sk = "LINE#" + line.addressing_identifier + (f"#{line.valid_from}" if line.valid_from else "")
    item = {
        "pk": _s("SIREN#" + line.siren),
        "sk": _s(sk),
        "siren": _s(line.siren),
        "platformId": _s(line.platform_id),
        "status": _s(line.status),
    }
    for name, value in (("siret", line.siret), ("routingIdentifier", line.routing_identifier),
                        ("addressingSuffix", line.suffix), ("validFrom", line.valid_from),
                        ("validTo", line.valid_to)):
        if value:
            item[name] = _s(value)
    return item


def _str(item: dict, name: str, default: str = "") -> str:
    v = item.get(name)
    return v["S"] if v else default


def legal_unit_from_item(item: dict) -> LegalUnit:
    return LegalUnit(
        siren=item["siren"]["S"],
        name=_str(item, "name"),
        vat_liable=item.get("vatLiable", {}).get("BOOL", False),
        status=_str(item, "status", "active"),
        reception_platform=_str(item, "receptionPlatform") or None,
    )


def establishment_from_item(item: dict) -> Establishment:
    return Establishment(
        siret=item["siret"]["S"],
        siren=item["siren"]["S"],
        name=_str(item, "name"),
        establishment=_str(item, "establishment"),
        city=_str(item, "city"),
        vat_liable=item.get("vatLiable", {}).get("BOOL", False),
        status=_str(item, "status", "active"),
        reception_platform=_str(item, "receptionPlatform") or None,
    )


def line_from_item(item: dict) -> DirectoryLine:
    return DirectoryLine(
        siren=item["siren"]["S"],
        platform_id=_str(item, "platformId"),
        siret=_str(item, "siret") or None,
        routing_identifier=_str(item, "routingIdentifier") or None,
        status=_str(item, "status", "Enabled"),
        suffix=_str(item, "addressingSuffix") or None,
        valid_from=_str(item, "validFrom") or None,
        valid_to=_str(item, "validTo") or None,
    )


def _chunks(seq: list, n: int) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


class TableDirectory:
    """``DirectoryPort`` over the directory table."""

    def __init__(self, table_name: str | None = None, *, settings: Settings | None = None, client: Any = None):
        self._settings = settings or get_settings()
        self.table_name = table_name or self._settings.directory_table
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            from einvoice.adapters.aws.clients import client

            self._client = client("dynamodb", self._settings)
        return self._client

    def _call(self, op: str, **kwargs) -> dict:
        try:
            return getattr(self.client, op)(**kwargs)
        except Exception as exc:
            mapped = upstream_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    def get_siren(self, siren: str) -> LegalUnit | None:
        out = self._call("get_item", TableName=self.table_name, Key={"pk": _s("SIREN#" + siren), "sk": _s("UL")})
        item = out.get("Item")
        return legal_unit_from_item(item) if item else None

    def get_siret(self, siret: str) -> Establishment | None:
        key = {"pk": _s("SIREN#" + siret[:9]), "sk": _s("SIRET#" + siret)}
        out = self._call("get_item", TableName=self.table_name, Key=key)
        item = out.get("Item")
        return establishment_from_item(item) if item else None

    def establishments_of(self, siren: str) -> list[Establishment]:
        return [establishment_from_item(i) for i in self._query_prefix(siren, "SIRET#")]

    def lines_for(self, siren: str) -> list[DirectoryLine]:
        return [line_from_item(i) for i in self._query_prefix(siren, "LINE#")]

    def _query_prefix(self, siren: str, prefix: str) -> list[dict]:
        items: list[dict] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": _s("SIREN#" + siren), ":p": _s(prefix)},
        }
        while True:
            out = self._call("query", **kwargs)
            items.extend(out.get("Items", []))
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def register_line(self, siren: str, siret: str | None, platform_id: str) -> DirectoryLine:
        line = DirectoryLine(siren=siren, siret=siret or None, platform_id=platform_id)
        self._call("put_item", TableName=self.table_name, Item=line_item(line))
        return line

    def get_many(
        self, sirens: Iterable[str], sirets: Iterable[str]
    ) -> tuple[dict[str, LegalUnit], dict[str, Establishment]]:
        """BatchGetItem (100 keys per request) for legal units and establishments."""
        keys = [{"pk": _s("SIREN#" + s), "sk": _s("UL")} for s in dict.fromkeys(sirens)]
        keys += [{"pk": _s("SIREN#" + s[:9]), "sk": _s("SIRET#" + s)} for s in dict.fromkeys(sirets)]
        units: dict[str, LegalUnit] = {}
        ests: dict[str, Establishment] = {}
        for item in self.batch_get(keys):
            if item["sk"]["S"] == "UL":
                u = legal_unit_from_item(item)
                units[u.siren] = u
            else:
                e = establishment_from_item(item)
                ests[e.siret] = e
        return units, ests

    def batch_get(self, keys: list[dict]) -> Iterator[dict]:
        for chunk in _chunks(keys, 100):
            request = {
                self.table_name: {
                    "Keys": chunk,
                    "ProjectionExpression": "sk, siren, siret, #n, establishment, city, vatLiable, #st, receptionPlatform",
                    "ExpressionAttributeNames": {"#n": "name", "#st": "status"},
                }
            }
            attempt = 0
            while request:
                out = self._call("batch_get_item", RequestItems=request)
                yield from out.get("Responses", {}).get(self.table_name, [])
                request = out.get("UnprocessedKeys") or {}
                if request:
                    attempt += 1
                    if attempt > 8:
                        raise UpstreamUnavailableError("The directory is unavailable (throttled)")
                    time.sleep(min(0.05 * 2**attempt, 1.0))
