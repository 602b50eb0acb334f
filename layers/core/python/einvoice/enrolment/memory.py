"""In-memory adapters of the enrolment ports (unit tests, handler tests). Same conditional
semantics as the DynamoDB repository: a refused condition returns False, nothing changes."""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from typing import Any, Sequence

from einvoice.enrolment.model import (
    COMPANY_DONE,
    COMPANY_IN_PROGRESS,
    OTP_SENT,
    REGISTERING,
    CompanyInfo,
    CompanyResult,
    Enrolment,
)


class MemoryEnrolmentRepository:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Enrolment] = {}
        self._lock = threading.RLock()

    def _get(self, account_id: str, enrolment_id: str) -> Enrolment | None:
        return self.items.get((account_id, enrolment_id))

    def create(self, enrolment: Enrolment) -> None:
        with self._lock:
            key = (enrolment.account_id, enrolment.id)
            if key in self.items:
                raise ValueError("exists")
            self.items[key] = copy.deepcopy(enrolment)

    def get(self, account_id: str, enrolment_id: str) -> Enrolment | None:
        with self._lock:
            e = self._get(account_id, enrolment_id)
            return copy.deepcopy(e) if e else None

    def get_state(self, account_id: str, enrolment_id: str) -> str | None:
        e = self._get(account_id, enrolment_id)
        return e.state if e else None

    def get_company(self, account_id: str, enrolment_id: str, company_id: str) -> CompanyResult | None:
        e = self._get(account_id, enrolment_id)
        found = next((c for c in e.companies if c.company_id == company_id), None) if e else None
        return copy.deepcopy(found) if found else None

    def set_execution(self, account_id: str, enrolment_id: str, execution_arn: str) -> None:
        with self._lock:
            e = self._get(account_id, enrolment_id)
            if e:
                e.execution_arn = execution_arn

    def store_otp(self, account_id: str, enrolment_id: str, *, otp_hash: str, sent_at: str, expires_at: str,
                  task_token: str | None = None, resend: bool = False, max_resends: int = 3) -> bool:
        with self._lock:
            e = self._get(account_id, enrolment_id)
            if e is None or e.state != OTP_SENT:
                return False
            if resend and (e.otp_hash is None or e.otp_resends >= max_resends):
                return False
            e.otp_hash, e.otp_sent_at, e.otp_expires_at, e.updated_at = otp_hash, sent_at, expires_at, sent_at
            if task_token is not None:
                e.task_token = task_token
            if resend:
                e.otp_resends += 1
            return True

    def use_attempt(self, account_id: str, enrolment_id: str, *, max_attempts: int, now: str) -> int | None:
        with self._lock:
            e = self._get(account_id, enrolment_id)
            if e is None or e.state != OTP_SENT or e.otp_attempts >= max_attempts:
                return None
            e.otp_attempts += 1
            e.updated_at = now
            return e.otp_attempts

    def confirm(self, account_id: str, enrolment_id: str, *, otp_hash: str, validated_at: str) -> bool:
        with self._lock:
            e = self._get(account_id, enrolment_id)
            if e is None or e.state != OTP_SENT or e.otp_hash != otp_hash:
                return False
            e.state, e.otp_validated_at, e.updated_at = REGISTERING, validated_at, validated_at
            return True

    def revert_confirmation(self, account_id: str, enrolment_id: str) -> None:
        with self._lock:
            e = self._get(account_id, enrolment_id)
            if e and e.state == REGISTERING:
                e.state, e.otp_validated_at = OTP_SENT, None

    def set_company_result(self, account_id: str, enrolment_id: str, company_id: str, *, result: str,
                           at: str, error: dict[str, Any] | None = None) -> None:
        with self._lock:
            e = self._get(account_id, enrolment_id)
            for i, c in enumerate(e.companies if e else []):
                if c.company_id == company_id:
                    e.companies[i] = replace(c, result=result, attempts=c.attempts + 1,
                                             registered_at=c.registered_at or (at if result == "REGISTERED" else None),
                                             error=None if result == "REGISTERED" else (error or c.error))

    def set_certificate(self, account_id: str, enrolment_id: str, certificate: dict[str, Any]) -> None:
        with self._lock:
            e = self._get(account_id, enrolment_id)
            if e:
                e.certificate = dict(certificate)

    def set_state(self, account_id: str, enrolment_id: str, state: str, *, now: str,
                  only_from: Sequence[str] | None = None, error: dict[str, Any] | None = None) -> bool:
        with self._lock:
            e = self._get(account_id, enrolment_id)
            if e is None or (only_from and e.state not in only_from):
                return False
            e.state, e.updated_at = state, now
            if error is not None:
                e.errors.append(error)
            return True


class MemoryCompanies:
    """``CompanyPort`` over a dict ``(account_id, company_id) -> CompanyInfo``."""

    def __init__(self) -> None:
        self.companies: dict[tuple[str, str], CompanyInfo] = {}
        self.enrolment: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, account_id: str, info: CompanyInfo) -> None:
        self.companies[(account_id, info.company_id)] = info

    def get_companies(self, account_id: str, company_ids: Sequence[str]) -> dict[str, CompanyInfo]:
        out = {}
        for cid in company_ids:
            info = self.companies.get((account_id, cid))
            if info:
                state = self.enrolment.get((account_id, cid), {}).get("state")
                if info.enrolment_state != COMPANY_DONE and state == COMPANY_IN_PROGRESS:
                    info = replace(info, enrolment_state=COMPANY_IN_PROGRESS)
                out[cid] = info
        return out

    def reserve(self, account_id: str, company_id: str, enrolment_id: str) -> bool:
        info = self.companies.get((account_id, company_id))
        current = self.enrolment.get((account_id, company_id), {})
        if info is None or info.enrolment_state == COMPANY_DONE or current.get("state") == COMPANY_IN_PROGRESS:
            return False
        self.enrolment[(account_id, company_id)] = {"enrolmentId": enrolment_id, "state": COMPANY_IN_PROGRESS}
        return True

    def set_enrolment_state(self, account_id: str, company_id: str, *, state: str, enrolment_id: str,
                            certificate_href: str | None = None) -> None:
        current = self.enrolment.get((account_id, company_id), {})
        if current and current.get("enrolmentId") != enrolment_id:
            return
        self.enrolment[(account_id, company_id)] = {"enrolmentId": enrolment_id, "state": state,
                                                    "certificateHref": certificate_href}
        if state == COMPANY_DONE:
            info = self.companies[(account_id, company_id)]
            self.companies[(account_id, company_id)] = replace(info, enrolment_state=COMPANY_DONE)


class MemoryMailer:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def send(self, *, to: str, subject: str, text: str, html: str | None = None) -> str:
        self.sent.append({"to": to, "subject": subject, "text": text})
        return f"msg-{len(self.sent)}"


class MemoryWorkflow:
    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []
        self.succeeded: list[tuple[str, dict[str, Any]]] = []
        self.failed: list[tuple[str, str, str]] = []
        self.gone: set[str] = set()
        self.statuses: dict[str, str] = {}

    def start(self, *, name: str, payload: dict[str, Any]) -> str:
        self.started.append({"name": name, "payload": payload})
        return f"arn:aws:states:eu-west-3:123456789012:execution:enrolment:{name}"

    def status(self, execution_arn: str) -> str | None:
        return self.statuses.get(execution_arn, "RUNNING")

    def succeed(self, task_token: str, output: dict[str, Any]) -> None:
        from einvoice.enrolment.ports import CallbackGoneError

        if task_token in self.gone:
            raise CallbackGoneError("TaskTimedOut")
        self.succeeded.append((task_token, output))

    def fail(self, task_token: str, *, error: str, cause: str) -> None:
        from einvoice.enrolment.ports import CallbackGoneError

        if task_token in self.gone:
            raise CallbackGoneError("TaskTimedOut")
        self.failed.append((task_token, error, cause))
