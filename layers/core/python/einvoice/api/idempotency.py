"""Idempotent create routes: Powertools Idempotency on the idempotency table, keyed by the header.

How to use (one line in a create handler; declare ``idempotent=True`` on the manifest ``Route``
so the OpenAPI document lists the header and the 409)::

    @app.post("/v1/things")
    def create_thing(body: ThingIn) -> Response[ThingOut]:
        return app.idempotent(lambda: app.model_response(201, service.create(app.tenant(), body)))

Contract:

* no ``Idempotency-Key`` header: the operation simply runs;
* a key (``limits.IDEMPOTENCY_KEY_PATTERN``, else 422 naming the header) is scoped by the tenant
  (API key's partner and account) and the route, so two tenants can use the same key;
* same key and same body (SHA-256 of the raw body) within 24 hours -> the stored answer (same
  status, same body), the operation does not run again;
* same key with another body -> 409 ``IdempotencyKeyConflict``; same key while the first call is
  still running -> 409 ``IdempotencyKeyConflict`` too (retry later);
* a call that fails (any error answer) stores nothing: the key can be retried.

The records live in the ``idempotency`` table (``einvoice.resources``: pk ``id``, TTL
``expiration``) through ``DynamoDBPersistenceLayer``, locally in moto exactly as in AWS.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any, Callable

from einvoice.api import limits
from einvoice.errors import ErrorDetail, IdempotencyKeyConflictError, InvalidInputError

if TYPE_CHECKING:
    from einvoice.api.http import ApiApp

HEADER = "Idempotency-Key"
_KEY_RE = re.compile(limits.IDEMPOTENCY_KEY_PATTERN)


def _persistence(settings):
    """The persistence layer on the idempotency table (the platform's cached DynamoDB client)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from einvoice.adapters.aws.clients import client

    return DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=client("dynamodb", settings))


def _config():
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[tenant, route, key]",
        payload_validation_jmespath="body",
        expires_after_seconds=limits.IDEMPOTENCY_TTL_SECONDS,
        raise_on_no_idempotency_key=True,
        use_local_cache=False,
    )


def _to_stored(response: Any) -> dict[str, Any]:
    body = response.body
    if hasattr(body, "model_dump"):
        body = body.model_dump(mode="json", by_alias=True)
    elif isinstance(body, (str, bytes)):
        body = json.loads(body)
    return {"status": int(response.status_code), "contentType": response.content_type or "application/json",
            "body": body}


def run_idempotent(app: ApiApp, produce: Callable[[], Any]):
    """Run ``produce`` (returns a Powertools ``Response``) at most once per key, tenant and route."""
    from aws_lambda_powertools.event_handler import Response

    key = app.header(HEADER)
    if key is None:
        return produce()
    if not _KEY_RE.match(key):
        raise InvalidInputError(
            "Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 . _ : -",
            [ErrorDetail("malformed idempotency key", field=f"header.{HEADER}", rule="IDEMPOTENCY_KEY")],
        )
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from einvoice.settings import get_settings

    tenant = app.tenant()
    event = app.event
    request = {
        "tenant": f"{tenant.partner_id}/{tenant.account_id or '-'}",
        "route": f"{event.http_method} {event.resource}",
        "key": key,
        "body": hashlib.sha256(app.raw_body()).hexdigest(),
    }
    s = get_settings()
    config = _config()
    if app.resolver.lambda_context is not None:
        config.register_lambda_context(app.resolver.lambda_context)

    def operation(request: dict[str, Any]) -> dict[str, Any]:
        return _to_stored(produce())

    run = idempotent_function(operation, data_keyword_argument="request", config=config,
                              persistence_store=_persistence(s),
                              key_prefix="api")
    try:
        stored = run(request=request)
    except IdempotencyValidationError:
        raise IdempotencyKeyConflictError(
            "This Idempotency-Key was already used with a different body",
            [ErrorDetail("idempotency key reused with a different body", field=f"header.{HEADER}",
                         rule="IDEMPOTENCY_KEY_REUSED")],
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyKeyConflictError(
            "A request with this Idempotency-Key is still being processed; retry later",
            [ErrorDetail("idempotency key in use", field=f"header.{HEADER}", rule="IDEMPOTENCY_KEY_IN_PROGRESS")],
        ) from None
    return Response(stored["status"], stored["contentType"], stored["body"])
