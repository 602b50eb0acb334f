"""Powertools Logger / Tracer / Metrics, created lazily once per container."""

from __future__ import annotations

from functools import lru_cache

SERVICE = "einvoice"
NAMESPACE = "EInvoice"


@lru_cache(maxsize=1)
def logger():
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


@lru_cache(maxsize=1)
def tracer():
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


@lru_cache(maxsize=1)
def metrics():
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)


def instrument(handler, *, correlation_id_path: str | None = None, capture_cold_start_metric: bool = True):
    """Wrap a Lambda entry point with the logger context, tracing and EMF metrics."""
    log = logger()
    wrapped = tracer().capture_lambda_handler(handler, capture_response=False)
    wrapped = metrics().log_metrics(wrapped, capture_cold_start_metric=capture_cold_start_metric)
    wrapped = log.inject_lambda_context(wrapped, correlation_id_path=correlation_id_path, clear_state=True)
    return wrapped


def format_trace(exc: BaseException) -> str:
    """The full trace of ``exc`` (explicit limit: independent of ``sys.tracebacklimit``)."""
    import traceback

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=200))


def log_exception(message: str, exc: BaseException, *, request_id: str | None = None, **extra) -> None:
    """Log an unexpected failure with its trace and the request id (the only place a trace goes)."""
    logger().error(message, extra={"requestId": request_id, "errorType": type(exc).__name__,
                                   "trace": format_trace(exc), **extra})


#: Message of unexpected task failures (their own message may hold data or internals: it is logged only)
INTERNAL_MESSAGE = "internal error; the trace is logged with the request id"


def failure_of(exc: BaseException) -> tuple[str, str, str]:
    """``(errorType, code, message)`` safe to show: the class name (ASL ``Retry``/``Catch`` match it),
    the error code and a short message. Messages are kept only for the platform's own errors."""
    from einvoice.errors import DomainError, TransientError

    name = type(exc).__name__
    if isinstance(exc, DomainError):
        return name, exc.code, exc.message[:500]
    if isinstance(exc, TransientError) or type(exc).__module__.startswith("einvoice."):
        return name, name, str(exc)[:500]
    return name, name, INTERNAL_MESSAGE


class TaskFailure(Exception):
    """What a task Lambda raises instead of the original exception: same class name (``errorType``),
    message = JSON ``{"code", "message"}``, no chained cause."""


def _task_failure(exc: BaseException, request_id: str | None) -> TaskFailure:
    import json

    name, code, message = failure_of(exc)
    cls = type(name, (TaskFailure,), {"__module__": __name__})
    return cls(json.dumps({"code": code, "message": message, "requestId": request_id}))


def hide_frames_from_runtime() -> None:
    """The Lambda runtime puts ``traceback.extract_tb`` of a raised error into ``stackTrace`` (and so
    into the Step Functions history); ``sys.tracebacklimit = 0`` (the documented switch to suppress
    traceback information) makes that list empty. Restored by ``restore_frames`` when the next
    invocation starts (our own logs format traces with an explicit limit)."""
    import sys

    _saved.setdefault("limit", getattr(sys, "tracebacklimit", None))
    sys.tracebacklimit = 0


def restore_frames() -> None:
    import sys

    if "limit" in _saved:
        limit = _saved.pop("limit")
        if limit is None:
            if hasattr(sys, "tracebacklimit"):
                del sys.tracebacklimit
        else:
            sys.tracebacklimit = limit


_saved: dict = {}


def task_handler(fn):
    """Entry point of a Step Functions task / event Lambda, instrumented on first call.

    Never lets a trace out: any exception is logged (trace + request id) and replaced by a
    ``TaskFailure`` of the same class name (so ASL ``Retry``/``Catch`` match as before) whose
    message is ``{"code", "message", "requestId"}``; the runtime's ``stackTrace`` is empty
    (``hide_frames_from_runtime``). The execution history then holds a code and a short message.
    """
    state: dict = {}

    def lambda_handler(event, context):
        restore_frames()
        wrapped = state.get("fn")
        if wrapped is None:
            from aws_lambda_powertools.metrics import MetricUnit

            def counted(e, c):
                metrics().add_metric(name="TaskInvocations", unit=MetricUnit.Count, value=1)
                return fn(e, c)

            wrapped = state["fn"] = instrument(counted)
        try:
            return wrapped(event, context)
        except Exception as exc:  # noqa: BLE001 - every failure leaves as a named, trace-free error
            request_id = getattr(context, "aws_request_id", None)
            log_exception("task failed", exc, request_id=request_id, function=getattr(context, "function_name", None))
            failure = _task_failure(exc, request_id)
            hide_frames_from_runtime()
            raise failure from None

    lambda_handler.__wrapped__ = fn  # type: ignore[attr-defined]
    return lambda_handler


def error_from_catch(error: object) -> dict:
    """``{Error, Cause}`` of an ASL ``Catch`` -> ``{"code", "message"}`` (for records and reports).

    The cause of a task Lambda's failure is the runtime's JSON (``errorMessage`` = our
    ``{code, message}``); Step Functions' own errors (``States.Timeout``...) have a plain cause.
    """
    import json

    if not isinstance(error, dict):
        return {"code": "Unknown", "message": ""}
    code = str(error.get("Error") or "Unknown")[:100]
    message = str(error.get("Cause") or "")
    try:
        cause = json.loads(message)
        message = str(cause.get("errorMessage", "")) if isinstance(cause, dict) else message
        inner = json.loads(message)
        if isinstance(inner, dict):
            code, message = str(inner.get("code") or code)[:100], str(inner.get("message") or "")
    except (TypeError, ValueError):
        pass
    if "Traceback (most recent call last)" in message or 'File "' in message:
        message = INTERNAL_MESSAGE
    return {"code": code, "message": message[:500]}
