"""Local event source mappings for SQS: a thread per queue-triggered function of the manifest polls its
queue and calls the handler with an SQS event, as Lambda's poller does (batches of up to 10, partial
batch failures via ``batchItemFailures``, failed messages back after their visibility timeout, then
the dead-letter queue after ``maxReceiveCount``). moto's own mapping invokes the function when a
message is *sent* and never again, so it would drop delayed messages: this poller honours delays.
"""

from __future__ import annotations

import threading
from typing import Any

from einvoice.settings import Settings


class QueuePoller:
    def __init__(self, settings: Settings, *, wait_seconds: int = 1) -> None:
        from einvoice.routes import FUNCTIONS

        self.settings = settings
        self.wait_seconds = wait_seconds
        self.targets = [(fn.name, getattr(settings, f"{fn.queue_trigger}_queue_url")) for fn in FUNCTIONS
                        if fn.queue_trigger]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.batches = 0

    def start(self) -> "QueuePoller":
        for name, url in self.targets:
            t = threading.Thread(target=self._run, args=(name, url), name=f"sqs-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.wait_seconds + 5)

    def _run(self, name: str, url: str) -> None:
        from einvoice.adapters.aws.clients import client

        sqs = client("sqs", self.settings)
        while not self._stop.is_set():
            try:
                self.poll_once(sqs, name, url)
            except Exception:  # noqa: BLE001 - keep polling, as Lambda's poller does
                if self._stop.wait(1):
                    return

    def poll_once(self, sqs: Any, name: str, url: str) -> int:
        from local import dispatch

        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_seconds,
                                   AttributeNames=["All"])
        messages = resp.get("Messages", [])
        if not messages:
            return 0
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                             "attributes": m.get("Attributes", {}), "messageAttributes": {},
                             "md5OfBody": m.get("MD5OfBody"), "eventSource": "aws:sqs", "eventSourceARN": arn,
                             "awsRegion": self.settings.region} for m in messages]}
        self.batches += 1
        try:
            result = dispatch.call(name, event) or {}
            failed = {f.get("itemIdentifier") for f in result.get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - the whole batch failed: every message comes back
            failed = {m["MessageId"] for m in messages}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(QueueUrl=url, Entries=done)
        return len(messages)
