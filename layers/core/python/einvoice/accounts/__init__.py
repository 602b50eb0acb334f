"""Partners, accounts and API keys (tenancy records)."""
