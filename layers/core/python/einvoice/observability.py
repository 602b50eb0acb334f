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


def task_handler(fn):
    """Entry point of a Step Functions task / event Lambda, instrumented on first call.

    Exceptions propagate unchanged so ASL ``Retry``/``Catch`` match their class names.
    """
    state: dict = {}

    def lambda_handler(event, context):
        wrapped = state.get("fn")
        if wrapped is None:
            from aws_lambda_powertools.metrics import MetricUnit

            def counted(e, c):
                metrics().add_metric(name="TaskInvocations", unit=MetricUnit.Count, value=1)
                return fn(e, c)

            wrapped = state["fn"] = instrument(counted)
        return wrapped(event, context)

    lambda_handler.__wrapped__ = fn  # type: ignore[attr-defined]
    return lambda_handler
