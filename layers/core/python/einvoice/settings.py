"""Typed settings, read from the environment once per container and validated.

Nothing below a handler reads ``os.environ``: code asks ``get_settings()`` (or receives a
``Settings`` object). The CDK stack and the local platform both set the same variables
(names in ``ENV``), so a Lambda behaves the same in AWS and locally.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Mapping

from pydantic import BaseModel, ConfigDict, Field

# Environment variable name for every setting (the CDK stack and the local platform use this map).
ENV: dict[str, str] = {
    "region": "AWS_REGION",
    "endpoint_url": "AWS_ENDPOINT_URL",
    "stage": "EINVOICE_STAGE",
    "tenancy_table": "EINVOICE_TENANCY_TABLE",
    "data_table": "EINVOICE_DATA_TABLE",
    "directory_table": "EINVOICE_DIRECTORY_TABLE",
    "idempotency_table": "EINVOICE_IDEMPOTENCY_TABLE",
    "archive_bucket": "EINVOICE_ARCHIVE_BUCKET",
    "drop_bucket": "EINVOICE_DROP_BUCKET",
    "enrolment_state_machine_arn": "EINVOICE_ENROLMENT_SM_ARN",
    "import_state_machine_arn": "EINVOICE_IMPORT_SM_ARN",
    "import_chunk_lines": "EINVOICE_IMPORT_CHUNK_LINES",
    "ocr_state_machine_arn": "EINVOICE_OCR_SM_ARN",
    "sender_email": "EINVOICE_SENDER_EMAIL",
    "platform_id": "EINVOICE_PLATFORM_ID",
    "directory_mode": "EINVOICE_DIRECTORY_MODE",
    "directory_api_url": "EINVOICE_DIRECTORY_API_URL",
    "ocr_engine": "EINVOICE_OCR_ENGINE",
    "seal_key_id": "EINVOICE_SEAL_KEY_ID",
    "seal_certificate_parameter": "EINVOICE_SEAL_CERTIFICATE_PARAMETER",
    "seal_tsa_url": "EINVOICE_SEAL_TSA_URL",
    "french_rules_severity": "EINVOICE_FR_RULES_SEVERITY",
    "usage_plan_id": "EINVOICE_USAGE_PLAN_ID",
    "state_dir": "EINVOICE_STATE_DIR",
    "webhooks_allow_loopback_http": "EINVOICE_WEBHOOKS_ALLOW_LOOPBACK_HTTP",
    "transmission_state_machine_arn": "EINVOICE_TRANSMISSION_SM_ARN",
    "redelivery_queue_url": "EINVOICE_REDELIVERY_QUEUE_URL",
    "event_bus_name": "EINVOICE_EVENT_BUS",
    "outbox_bucket": "EINVOICE_OUTBOX_BUCKET",
    "redelivery_schedule": "EINVOICE_REDELIVERY_SCHEDULE",
    "watchdog_seconds": "EINVOICE_WATCHDOG_SECONDS",
    "peer_timeout_seconds": "EINVOICE_PEER_TIMEOUT_SECONDS",
    "status_queue_url": "EINVOICE_STATUS_QUEUE_URL",
    "webhook_events_queue_url": "EINVOICE_WEBHOOK_EVENTS_QUEUE_URL",
    "reception_state_machine_arn": "EINVOICE_RECEPTION_SM_ARN",
    "oauth_token_url": "EINVOICE_OAUTH_TOKEN_URL",
}


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str = "eu-west-3"
    endpoint_url: str | None = Field(None, description="Set locally (moto server); unset in AWS")
    stage: str = "local"
    tenancy_table: str = "einvoice-tenancy"
    data_table: str = "einvoice-data"
    directory_table: str = "einvoice-directory"
    idempotency_table: str = "einvoice-idempotency"
    archive_bucket: str = "einvoice-archive"
    drop_bucket: str = "einvoice-drop"
    enrolment_state_machine_arn: str = ""
    import_state_machine_arn: str = ""
    import_chunk_lines: int = Field(5000, ge=1, le=50000, description="CSV lines per import chunk")
    ocr_state_machine_arn: str = ""
    sender_email: str = "no-reply@einvoice.local"
    platform_id: str = Field("0238:PA-THIS", description="Our platform's id in directory lines")
    directory_mode: str = Field("table", pattern="^(table|api)$")
    directory_api_url: str = ""
    ocr_engine: str = Field("tesseract", pattern="^(tesseract|textract)$")
    seal_key_id: str = Field("alias/einvoice-seal", description="KMS key (SIGN_VERIFY) of the platform seal")
    seal_certificate_parameter: str = Field(
        "/einvoice/seal/certificate-chain", description="SSM parameter: the seal's certificate chain (PEM, seal first)"
    )
    seal_tsa_url: str = Field("", description="RFC 3161 time-stamping service for PAdES B-T (empty: B-B)")
    french_rules_severity: str = Field("fatal", pattern="^(fatal|warning)$")
    usage_plan_id: str = Field("", description="API Gateway usage plan new API keys are attached to")
    state_dir: str = Field("", description="Local only: where the local platform keeps files (e.g. its seal CA)")
    webhooks_allow_loopback_http: bool = Field(
        False, description="Accept http://127.0.0.1 webhook URLs (the local platform's sink); never set in AWS")
    transmission_state_machine_arn: str = ""
    redelivery_queue_url: str = ""
    event_bus_name: str = "einvoice-events"
    outbox_bucket: str = "einvoice-outbox"
    redelivery_schedule: str = Field(
        "60,300,900,1800,3600,7200,14400,28800", pattern=r"^[0-9]+(,[0-9]+)*$",
        description="Seconds between the redeliveries to a platform that stays down (then 221 ROUTAGE_ERR)")
    watchdog_seconds: int = Field(900, ge=1, description="A transmission silent this long is restarted")
    peer_timeout_seconds: float = Field(10.0, gt=0, description="HTTP timeout of a Flow API call")
    status_queue_url: str = Field("", description="Lifecycle statuses waiting for another platform (SQS)")
    webhook_events_queue_url: str = Field("", description="Platform events for the webhook fan-out (SQS)")
    reception_state_machine_arn: str = ""
    oauth_token_url: str = Field("", description="Token endpoint of the Flow API's OAuth2 client credentials "
                                                "(Cognito domain on AWS, /oauth2/token of the local API)")

    @property
    def redelivery_delays(self) -> list[int]:
        return [int(x) for x in self.redelivery_schedule.split(",")]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {field: environ[var] for field, var in ENV.items() if environ.get(var)}
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        return {ENV[k]: str(v) for k, v in self.model_dump().items() if v not in (None, "")}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def reset_settings() -> None:
    """Forget the cached settings (tests and the local platform after bootstrap)."""
    get_settings.cache_clear()
