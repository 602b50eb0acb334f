"""AWS adapters (boto3). Clients are created lazily and cached per container."""
