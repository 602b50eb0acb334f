# The transmission area's platform (local AWS, real ASL, peers, SQS poller, REST API) and two tenants.
from tests.functional.transmission.conftest import platform, tenant_keys  # noqa: F401
