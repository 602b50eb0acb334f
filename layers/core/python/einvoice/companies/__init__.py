"""Companies of an account: models, rules, service (create/get/update/search), CSV import."""
