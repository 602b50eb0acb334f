"""State machine task functions (``statemachines/ocr.asl.json``).

Each takes the task's JSON payload and returns a JSON-able dict; ``functions/ocr_*/handler.py``
only call them. Errors propagate with their class name as the Step Functions error name:
``TransientError`` (Textract throttling) is retried, everything else is caught -> ``mark_failed``.
Payloads carry ids only; the document and the recognised pages stay in the working bucket.
"""

from __future__ import annotations

import json
from typing import Any

from einvoice.errors import BadRequestError
from einvoice.ocr.service import FAILED, RUNNING, OcrDeps, analyse_job, default_deps, iso, pages_key

MAX_POLLS = 180  # x 5 s: 15 minutes for a Textract job


class OcrTaskError(Exception):
    """The job is not in the state the task expects (or the payload is incomplete)."""


class DocumentUnreadableError(Exception):
    """The document cannot be read (corrupt, too large once decoded, no page...)."""


def _job(deps: OcrDeps, event: dict[str, Any], *, running: bool = True) -> dict[str, Any]:
    try:
        account_id, ocr_id = str(event["accountId"]), str(event["ocrId"])
    except (KeyError, TypeError) as exc:
        raise OcrTaskError(f"task payload lacks {exc}") from None
    job = deps.repository.get(account_id, ocr_id)
    if job is None:
        raise OcrTaskError(f"unknown OCR job {ocr_id}")
    if running and job["state"] != RUNNING:
        raise OcrTaskError(f"OCR job {ocr_id} is {job['state']}, expected {RUNNING}")
    return job


def _save_pages(deps: OcrDeps, job: dict[str, Any], pages: list[Any], reader: str) -> None:
    body = json.dumps([p.to_json() for p in pages], separators=(",", ":")).encode()
    deps.store.put(pages_key(job["accountId"], job["id"]), body, "application/json")
    deps.repository.update(job["accountId"], job["id"], {"reader": reader, "pages": len(pages),
                                                         "updatedAt": iso(deps.clock())})


def prepare(event: dict[str, Any], deps: OcrDeps | None = None) -> dict[str, Any]:
    """Open the document; a PDF with a usable text layer is read at once (no OCR).

    -> ``{"mode": "text" | "ocr" | "async", "pages": n}``; ``async`` = a multi-page PDF for an
    engine that reads it as a job (Textract).
    """
    from einvoice.ocr import document

    deps = deps or default_deps()
    job = _job(deps, event)
    data = deps.store.get(job["documentKey"])
    try:
        info = document.inspect(data, job["kind"])
    except BadRequestError as exc:
        raise DocumentUnreadableError(exc.message) from None
    if info.text_pages is not None:
        _save_pages(deps, job, info.text_pages, "text")
        return {"mode": "text", "pages": info.pages}
    deps.repository.update(job["accountId"], job["id"], {"pages": info.pages})
    engine = deps.get_engine()
    mode = "async" if hasattr(engine, "start") and engine.name == "textract" and job["kind"] == "pdf" \
        and info.pages > 1 else "ocr"
    return {"mode": mode, "pages": info.pages}


def recognise(event: dict[str, Any], deps: OcrDeps | None = None) -> dict[str, Any]:
    """OCR of every page in this task (Tesseract; Textract for one image or page)."""
    deps = deps or default_deps()
    job = _job(deps, event)
    engine = deps.get_engine()
    try:
        pages = engine.recognise(deps.store.get(job["documentKey"]), job["kind"])
    except BadRequestError as exc:
        raise DocumentUnreadableError(exc.message) from None
    _save_pages(deps, job, pages, engine.name)
    return {"pages": len(pages)}


def start_analysis(event: dict[str, Any], deps: OcrDeps | None = None) -> dict[str, Any]:
    deps = deps or default_deps()
    job = _job(deps, event)
    job_id = deps.get_engine().start(deps.store.bucket, job["documentKey"], job["id"])
    deps.repository.update(job["accountId"], job["id"], {"engineJobId": job_id})
    return {"jobId": job_id, "polls": 0}


def poll_analysis(event: dict[str, Any], deps: OcrDeps | None = None) -> dict[str, Any]:
    deps = deps or default_deps()
    job = _job(deps, event)
    polls = int(event.get("polls") or 0) + 1
    status, pages = deps.get_engine().poll(str(event.get("jobId") or job.get("engineJobId")))
    if status == "IN_PROGRESS":
        if polls >= MAX_POLLS:
            raise DocumentUnreadableError("the OCR job did not finish in time")
        return {"status": status, "polls": polls, "jobId": event.get("jobId")}
    _save_pages(deps, job, pages or [], deps.get_engine().name)
    return {"status": "SUCCEEDED", "polls": polls, "jobId": event.get("jobId")}


def analyse(event: dict[str, Any], deps: OcrDeps | None = None) -> dict[str, Any]:
    """Extraction and cross-checks -> SUCCEEDED or NEEDS_REVIEW with the fields and findings."""
    deps = deps or default_deps()
    job = _job(deps, event)
    out = analyse_job(deps, job)
    deps.repository.update(job["accountId"], job["id"], {**out, "updatedAt": iso(deps.clock())}, only_from=(RUNNING,))
    return {"state": out["state"]}


_MESSAGES = {
    "DocumentUnreadableError": None,  # its own message says what is wrong with the document
    "OcrEngineError": "The OCR engine could not read the document",
    "OcrUnavailableError": "The OCR engine is not available",
    "States.Timeout": "Reading the document took too long",
}


def mark_failed(event: dict[str, Any], deps: OcrDeps | None = None) -> dict[str, Any]:
    """Catch target: FAILED with the error name and a plain message (never a stack trace)."""
    deps = deps or default_deps()
    job = _job(deps, event, running=False)
    error = event.get("error") if isinstance(event.get("error"), dict) else {}
    code = str(error.get("Error") or "Unknown")[:100]
    message = _MESSAGES.get(code, "The document could not be processed")
    if message is None:
        try:
            message = str(json.loads(error.get("Cause") or "{}").get("errorMessage") or "")[:300]
        except (TypeError, ValueError):
            message = ""
        message = message or "The document cannot be read"
    deps.repository.update(job["accountId"], job["id"], {"state": FAILED, "error": {"code": code, "message": message},
                                                         "updatedAt": iso(deps.clock())}, only_from=(RUNNING,))
    return {"state": FAILED}


STEPS = {
    "prepare": prepare,
    "recognise": recognise,
    "start-analysis": start_analysis,
    "poll-analysis": poll_analysis,
    "analyse": analyse,
    "mark-failed": mark_failed,
}
"""The ``step`` of a task payload -> task function (``${OcrTaskFunctionArn}`` serves them all)."""


def run(event: dict[str, Any], deps: OcrDeps | None = None) -> dict[str, Any]:
    step = event.get("step") if isinstance(event, dict) else None
    fn = STEPS.get(step)  # type: ignore[arg-type]
    if fn is None:
        raise OcrTaskError(f"unknown OCR step {step!r}")
    return fn(event, deps)
