"""The local platform: moto as local AWS, Lambdas dispatched in-process, the REST API on loopback."""
