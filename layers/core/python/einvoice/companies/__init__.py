"""Companies of an account: model, rules, use cases (create/get/update/search), repository port and adapters."""
