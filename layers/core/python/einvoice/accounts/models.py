from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class PartnerOut(_Camel):
    id: str
    name: str
    branding: dict[str, str] = Field(default_factory=dict)


class AccountOut(_Camel):
    id: str
    name: str
    partner_id: str = Field(alias="partnerId")
    parent_account_id: str | None = Field(None, alias="parentAccountId")
    secondary_account_ids: list[str] = Field(default_factory=list, alias="secondaryAccountIds")


class MeOut(_Camel):
    """The partner and account behind the API key."""

    api_key_id: str = Field(alias="apiKeyId")
    scope: str = Field(description="account | partner")
    partner: PartnerOut
    account: AccountOut | None = None


class CreatedKey(_Camel):
    api_key_id: str = Field(alias="apiKeyId")
    value: str = Field(description="Shown once; store it safely")
    partner_id: str = Field(alias="partnerId")
    account_id: str | None = Field(None, alias="accountId")
