"""Local EventBridge schedules: a thread calls each function of the manifest whose ``schedule`` is a
``rate(...)`` expression, as the schedule rule does in AWS, but every ``EINVOICE_LOCAL_SCHEDULE_SECONDS``
(2 s by default) so that a person sees webhooks arrive at once. ``cron(...)`` schedules (the daily
archive bundle) are not run locally.
"""

from __future__ import annotations

import os
import threading


class Scheduler:
    def __init__(self, *, period_seconds: float | None = None) -> None:
        from einvoice.routes import FUNCTIONS

        self.period = period_seconds if period_seconds is not None else float(
            os.environ.get("EINVOICE_LOCAL_SCHEDULE_SECONDS", "2"))
        self.names = [fn.name for fn in FUNCTIONS if (fn.schedule or "").startswith("rate(")]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> "Scheduler":
        self._thread = threading.Thread(target=self._run, name="local-schedules", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=self.period + 10)

    def run_once(self) -> None:
        from local import dispatch

        for name in self.names:
            try:
                dispatch.call(name, {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
            except Exception:  # noqa: BLE001 - the next tick tries again, as the schedule would
                pass
        self.runs += 1

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.run_once()
