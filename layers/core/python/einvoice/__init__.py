"""einvoice: domain package of the French e-invoicing platform (shipped as a Lambda layer)."""

__version__ = "0.1.0"
