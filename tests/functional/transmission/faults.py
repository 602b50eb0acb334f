"""Fault injection on the platform's boto3 clients: an AWS call answers an error for a while, as a
throttled S3 or an unavailable DynamoDB table would (the SDK's own retries still apply)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator


class _Response:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = b""
        self.raw = None


class Fault:
    def __init__(self, code: str, status: int, times: int | None, match: Callable[[dict], bool]) -> None:
        self.code, self.status, self.remaining, self.match = code, status, times, match
        self.hits = 0
        self._lock = threading.Lock()

    def __call__(self, params: dict, **_: Any):
        if not self.match(params):
            return None
        with self._lock:
            if self.remaining is not None:
                if self.remaining <= 0:
                    return None
                self.remaining -= 1
            self.hits += 1
        return _Response(self.status), {"Error": {"Code": self.code, "Message": "injected fault"},
                                        "ResponseMetadata": {"HTTPStatusCode": self.status}}


@contextmanager
def inject(client: Any, operation: str, code: str, *, status: int = 503, times: int | None = None,
           match: Callable[[dict], bool] = lambda params: True) -> Iterator[Fault]:
    """``inject(client("s3"), "s3.PutObject", "SlowDown", times=6)``; ``times=None`` until the block ends."""
    fault = Fault(code, status, times, match)
    event = f"before-call.{operation}"
    client.meta.events.register(event, fault)
    try:
        yield fault
    finally:
        client.meta.events.unregister(event, fault)


def body_mentions(text: str) -> Callable[[dict], bool]:
    return lambda params: text in str(params.get("body", b""))
