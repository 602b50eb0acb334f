"""The platform's stateful resources, described once.

The CDK stack (``infra/``) and the local bootstrap (``local.bootstrap``) both build
their tables and buckets from these descriptions, so local and AWS cannot drift.

Key design (every tenant-owned item is scoped by the account in its partition key, so no
query can reach another tenant's data by guessing an identifier):

``data`` table
  pk = ``ACC#<accountId>``            sk = ``COMPANY#<companyId>``      company (id = hash of account and
                                                                     identifier: its own uniqueness guard)
  pk = ``ACC#<accountId>``            sk = ``INVOICE#<invoiceId>``      invoice
  pk = ``ACC#<accountId>``            sk = ``IMPORT#<importId>``        CSV import
  pk = ``ACC#<accountId>``            sk = ``ENROL#<enrolmentId>``      enrolment
  gsi1pk/gsi1sk: per-account secondary orderings (e.g. ``ACC#<id>#COMPANYNAME`` / normalised name)
  gsi2pk/gsi2sk: platform-wide lookups that are not tenant-visible (e.g. ``IDENT#<siren>``)
``tenancy`` table
  pk = ``PARTNER#<id>`` sk = ``PARTNER``; pk = ``ACCOUNT#<id>`` sk = ``ACCOUNT``;
  pk = ``APIKEY#<apiKeyId>`` sk = ``APIKEY``; pk = ``KEYHASH#<sha256(value)>`` sk = ``APIKEY``
  gsi1pk = ``PARTNER#<id>`` gsi1sk = ``ACCOUNT#<id>`` (a partner's accounts)
``directory`` table (platform-wide reference data, the local Annuaire)
  pk = ``SIREN#<siren>`` sk = ``UL`` (legal unit) | ``SIRET#<siret>`` (establishment) | ``LINE#<mesh>``
``idempotency`` table: Powertools idempotency store (pk ``id``, TTL ``expiration``)

Invoice records (``einvoice.invoicing.dynamodb``): ``INVOICE#<id>`` (+ ``#DOC``), ``DUPKEY#...``;
platform registry in the directory table: pk = ``PLATFORM#<id>`` sk = ``REGISTRY``.
Queues: the transmission redelivery queue (with its dead-letter queue). Event bus: status events.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Index:
    name: str
    pk: str
    sk: str


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    setting: str  # field of Settings holding the table name
    pk: str
    sk: str | None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream: bool = False


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    setting: str
    object_lock_years: int | None = None
    notify_suffix: str | None = None
    notify_function: str | None = None
    extra: dict = field(default_factory=dict)


TABLES: tuple[TableSpec, ...] = (
    TableSpec("TenancyTable", "tenancy_table", "pk", "sk", (Index("gsi1", "gsi1pk", "gsi1sk"),)),
    TableSpec(
        "DataTable",
        "data_table",
        "pk",
        "sk",
        (Index("gsi1", "gsi1pk", "gsi1sk"), Index("gsi2", "gsi2pk", "gsi2sk")),
        ttl_attribute="expiresAt",
    ),
    TableSpec("DirectoryTable", "directory_table", "pk", "sk"),
    TableSpec("IdempotencyTable", "idempotency_table", "id", None, ttl_attribute="expiration"),
)

ARCHIVE_RETENTION_YEARS = 10

BUCKETS: tuple[BucketSpec, ...] = (
    BucketSpec("ArchiveBucket", "archive_bucket", object_lock_years=ARCHIVE_RETENTION_YEARS),
    BucketSpec("DropBucket", "drop_bucket", notify_suffix=".csv", notify_function="company_import_drop"),
    BucketSpec("OutboxBucket", "outbox_bucket"),
)

# Archive bucket lifecycle (decision log 2026-12-02): per-invoice containers are kept hot under a
# short COMPLIANCE retention and expire once it ends; the daily bundles (ten-year COMPLIANCE) move to
# a colder class after their first month. Object Lock keeps the retention through transitions.
ARCHIVE_HOT_PREFIX = "invoices/"
ARCHIVE_HOT_EXPIRE_DAYS = 100  # > the containers' 90-day retention
ARCHIVE_BUNDLE_PREFIX = "bundles/"
ARCHIVE_COLD_AFTER_DAYS = 30
ARCHIVE_COLD_CLASS = "DEEP_ARCHIVE"


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    setting: str  # Settings field receiving the queue URL
    visibility_timeout_seconds: int = 120
    max_receive_count: int = 5  # then the message goes to the queue's dead-letter queue (alarmed)


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("RedeliveryQueue", "redelivery_queue_url"),
    QueueSpec("StatusQueue", "status_queue_url"),  # lifecycle statuses for other platforms (CDAR, Flow API)
    QueueSpec("WebhookEventsQueue", "webhook_events_queue_url"),  # bus events for the webhook fan-out
)
EVENT_BUS = ("EventBus", "event_bus_name")  # (logical id, Settings field with its name)


@dataclass(frozen=True)
class EventRuleSpec:
    logical_id: str
    sources: tuple[str, ...]  # event sources on the platform's bus
    queue_setting: str  # target: the queue of QUEUES with this setting


#: Rules of the platform's bus (CDK and the local bootstrap build them from here).
EVENT_RULES: tuple[EventRuleSpec, ...] = (
    EventRuleSpec("WebhookEventsRule", ("einvoice.transmission", "einvoice.lifecycle", "einvoice.imports",
                                        "einvoice.enrolment", "einvoice.payments"), "webhook_events_queue_url"),
)
