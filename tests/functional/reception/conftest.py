"""The transmission area's functional fixtures (local AWS executing the real ASL files, peers on loopback)."""

from tests.functional.transmission.conftest import platform, tenant_keys  # noqa: F401
