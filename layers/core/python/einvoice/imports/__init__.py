"""Bulk company imports: CSV reader, use cases, ports with DynamoDB / S3 / Step Functions adapters and fakes."""
