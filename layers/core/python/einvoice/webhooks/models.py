"""Webhook API shapes (camelCase). Request models only check JSON types; the rules are the domain's."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from einvoice.webhooks.model import EVENT_TYPES


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class WebhookCreate(_Camel):
    """``POST /v1/webhooks``: where to send which events."""

    url: str = Field("", description="https URL (http on 127.0.0.1 only when the platform allows it locally)")
    event_types: list[str] = Field(default_factory=list, alias="eventTypes",
                                   description=f"Among: {', '.join(EVENT_TYPES)}")
    description: str | None = Field(None, description="Free text, 256 characters at most")


class WebhookOut(_Camel):
    id: str
    url: str
    event_types: list[str] = Field(alias="eventTypes")
    active: bool
    created_at: str = Field(alias="createdAt")
    description: str | None = None
    secret: str = Field(description="The signing secret: in full only in the creation response, masked afterwards")


class WebhookList(_Camel):
    items: list[WebhookOut]


class DeliveryOut(_Camel):
    id: str
    subscription_id: str = Field(alias="subscriptionId")
    event_id: str = Field(alias="eventId")
    event_type: str = Field(alias="eventType")
    status: Literal["PENDING", "DELIVERED", "DEAD"]
    attempts: int
    created_at: str = Field(alias="createdAt")
    next_attempt_at: str | None = Field(None, alias="nextAttemptAt")
    last_attempt_at: str | None = Field(None, alias="lastAttemptAt")
    last_status: int | None = Field(None, alias="lastStatus")
    last_error: str | None = Field(None, alias="lastError")
    delivered_at: str | None = Field(None, alias="deliveredAt")
    dead_at: str | None = Field(None, alias="deadAt")


class DeliveryList(_Camel):
    items: list[DeliveryOut]
