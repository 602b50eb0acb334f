"""HTTP transport: Powertools REST resolver with one error mapping for the whole API."""
