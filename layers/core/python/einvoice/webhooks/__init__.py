"""Webhooks: tenants subscribe a URL to event types; every event is signed and delivered with retries.

* ``model``: event types, events, subscriptions, deliveries, the retry schedule;
* ``signing``: ``X-Einvoice-Signature: t=<unix>,v1=<hex>`` (HMAC-SHA256 over ``f"{t}.{body}"``) and
  ``verify_signature`` for clients;
* ``urls``: what a subscription URL may be (https; http on loopback only when the setting allows it;
  no credentials, no private or link-local addresses);
* ``service``: subscriptions CRUD, ``publish``, ``deliver_due`` (the scheduled sender),
  ``replay`` / ``replay_dead``, the dead-letter list;
* ``ports`` / ``memory`` / ``dynamodb`` / ``http``: stores on the data table and the HTTP sender.

Nothing heavy is imported here.
"""
