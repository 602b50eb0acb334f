"""Paying supplier invoices (purchase-payment option): SEPA credit transfer files (pain.001).

* ``model``: payable invoices, debtor account, payment batches (what is stored);
* ``sepa``: the pain.001 file, built with ``sepaxml``, ids and dates deterministic, validated
  against the ISO 20022 XSD that ``sepaxml`` ships (``einvoice.validation`` XSD cache);
* ``service``: checks (IBAN / BIC with ``schwifty``, lifecycle status, company, currency, amount)
  with one typed 422 naming every refused invoice, batch creation and the file;
* ``ports`` / ``memory`` / ``dynamodb``: the payment repository (data table, ``PAYMENT#<id>``).

Nothing heavy is imported here.
"""
