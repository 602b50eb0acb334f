"""Types of the route manifest (``einvoice.routes`` assembles the list from each area's ``routes.py``).

A ``Function`` is one Lambda (code in ``functions/<name>/handler.py``, entry ``lambda_handler``).
It serves zero or more HTTP ``Route`` s (API Gateway REST, proxy integration) and may be a
Step Functions task or an S3 event target. ``access`` lists what its least-privilege role may do:

* ``tenancy:r`` / ``tenancy:rw``, ``data:r`` / ``data:rw``, ``directory:r`` / ``directory:rw``,
  ``idempotency:rw`` -- DynamoDB tables (``einvoice.resources.TABLES``)
* ``archive:r`` / ``archive:w`` -- the Object Lock archive bucket; ``drop:r`` / ``drop:rw`` -- the CSV drop bucket
* ``ses:send`` -- send e-mail from the platform identity
* ``sfn:start:<machine>`` -- start executions of a state machine; ``sfn:callback`` -- SendTask*
* ``apigw:keys`` -- create API keys and usage-plan keys (operator functions only)
* ``textract`` -- Textract document analysis
* ``seal`` -- sign with the platform seal's KMS key and read its certificate chain (SSM parameter)
* ``outbox:w`` -- the outbox bucket (regulatory flows to the PPF)
* ``events:put`` -- publish on the platform's event bus; ``sqs:send:<queue>`` -- send to a queue of
  ``einvoice.resources.QUEUES`` (by its setting without ``_queue_url``)
* ``ssm:platforms`` -- read the platform registry's OAuth2 client secrets (SSM SecureStrings)
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: request body media types of the routes (``Route.content_types``)
JSON = ("application/json",)
CSV = ("text/csv", "text/plain", "application/octet-stream")
DOCUMENTS = ("application/xml", "text/xml", "application/pdf")
IMAGES = ("application/pdf", "image/jpeg", "image/png", "image/tiff")
MULTIPART = ("multipart/form-data",)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    auth: str = "api_key"  # "api_key" | "none" | "oauth2" (Bearer token of a platform client: Cognito authorizer)
    scopes: tuple[str, ...] = ()  # oauth2: the OAuth2 scopes the token must carry (one of them)
    summary: str = ""
    binary: bool = False  # the response may be a binary document (PDF)
    # Request body media types the route accepts (first = assumed when the header is absent); any
    # other is a 415 before the handler runs. Empty: the route reads no body.
    content_types: tuple[str, ...] = ()
    # Create route: Powertools idempotency on the Idempotency-Key header (documented in OpenAPI)
    idempotent: bool = False
    status: int = 200  # the success status (201 created, 202 accepted)
    also: tuple[int, ...] = ()  # other success statuses it may answer (e.g. 202 when a deposit also issues)
    errors: tuple[int, ...] = ()  # error statuses beyond those derived from the method, path and body


@dataclass(frozen=True)
class Function:
    name: str
    routes: tuple[Route, ...] = ()
    access: tuple[str, ...] = ()
    timeout_seconds: int = 29
    memory_mb: int = 512
    description: str = ""
    # Step Functions: the substitution name used in statemachines/*.asl.json for this function's ARN
    asl_substitutions: tuple[str, ...] = ()
    # S3 event source: ("drop", ".csv") means object-created events of that bucket with that suffix
    s3_trigger: tuple[str, str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    # SQS event source: the queue's setting prefix in ``einvoice.resources.QUEUES`` (e.g. "redelivery")
    queue_trigger: str | None = None
    # EventBridge schedule expression ("cron(...)" / "rate(...)") invoking the function with ``{}``
    schedule: str | None = None
    # Heavy dependency groups this function's code needs beyond the base layer (packaging attaches
    # only these layers; contents in infra/layers.py): "validation" (saxonche), "render" (typst +
    # fonts), "seal" (pyHanko, cryptography), "ocr" (OCR client libraries). Empty = base layer only.
    # The local platform and the tests enforce it (local.packaging): an undeclared import fails.
    needs: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return f"functions.{self.name}.handler"


@dataclass(frozen=True)
class StateMachine:
    name: str  # statemachines/<name>.asl.json
    setting: str  # Settings field receiving its ARN
    substitutions: dict[str, str] = field(default_factory=dict)  # non-function substitutions
    type: str = "STANDARD"  # or "EXPRESS" (<= 5 minutes, no .waitForTaskToken, billed per request and duration)
