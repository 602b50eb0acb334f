"""Lifecycle API shapes (camelCase). Types and bounds only: the rules are ``check_transition``'s."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from einvoice.types import Dec, Text, line


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class RateShare(_Camel):
    rate: Dec = Field(description="VAT rate (percent) of this part of the amount received, e.g. 20")
    amount: Dec = Field(description="Amount received (VAT included) at this rate")


class StatusActionIn(_Camel):
    """``POST /v1/invoices/{id}/status``: a lifecycle status set by the buyer (received invoice: 204 prise en
    charge, 205 approuvée, 206 approuvée partiellement, 207 en litige, 208 suspendue, 210 refusée, 211
    paiement transmis) or the seller (sent invoice: 209 complétée, 212 encaissée, 220 annulée)."""

    code: StrictInt = Field(ge=200, le=999, description="Status code (MDT-105), a JSON integer")
    reason: line(32) | None = Field(None, description="Reason code (BR-FR-CDV-CL-09), required for 206, 207, 208, "
                                                      "210, e.g. TX_TVA_ERR, QTE_ERR, JUSTIF_ABS, DOUBLON")
    comment: Text | None = Field(None, max_length=1000, description="Free text sent to the other party")
    amount: Dec | None = Field(None, description="206 approved amount, 211 amount paid, 212 amount received")
    rates: list[RateShare] = Field(default_factory=list, max_length=20,
                                   description="212: amount received per VAT rate (required when VAT is due on "
                                               "receipt, BT-8 = 432; otherwise spread over the VAT breakdown)")
