"""What API Gateway answers by itself, in the one error body (its Gateway Responses).

``infra/stack.py`` configures one Gateway Response per entry (body template below, so a 403 for a
missing key, a 413, a 429 or an integration failure carries ``{"code", "message", "details",
"requestId"}`` on AWS too); ``local/server.py`` answers the same statuses and codes itself.
"""

from __future__ import annotations

#: API Gateway response type -> (status, code). ``None``: keep API Gateway's own status.
GATEWAY_RESPONSES: dict[str, tuple[str | None, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": ("403", "MissingAuthenticationToken"),  # unknown route or method
    "INVALID_API_KEY": ("403", "Forbidden"),
    "ACCESS_DENIED": ("403", "Forbidden"),
    "UNAUTHORIZED": ("401", "Unauthorized"),  # the Flow API's Cognito authorizer: no, bad or unscoped token
    "REQUEST_TOO_LARGE": ("413", "PayloadTooLarge"),
    "THROTTLED": ("429", "TooManyRequests"),
    "QUOTA_EXCEEDED": ("429", "QuotaExceeded"),
    "UNSUPPORTED_MEDIA_TYPE": ("415", "UnsupportedMediaType"),
    "BAD_REQUEST_BODY": ("400", "BadRequest"),
    "BAD_REQUEST_PARAMETERS": ("400", "BadRequest"),
    "WAF_FILTERED": ("403", "Forbidden"),
    "INTEGRATION_FAILURE": ("500", "InternalError"),  # the function failed (our handlers never let it)
    "INTEGRATION_TIMEOUT": ("504", "Timeout"),
    "DEFAULT_4XX": (None, "BadRequest"),
    "DEFAULT_5XX": ("500", "InternalError"),  # e.g. a malformed proxy answer: never a bare 502
}


def body_template(code: str) -> str:
    """The ``application/json`` mapping template of a Gateway Response (VTL)."""
    return ('{"code": "' + code + '", "message": $context.error.messageString, "details": [], '
            '"requestId": "$context.requestId"}')
