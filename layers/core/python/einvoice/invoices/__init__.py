"""Invoice drafts of a tenant's companies, and the validation / conversion services of the API."""
