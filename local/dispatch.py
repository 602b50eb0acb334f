"""In-process Lambda dispatch for moto (no Docker).

moto cannot run Python Lambdas without Docker. Two patches route every invocation to the
project's handlers in this interpreter:

1. ``LambdaSimpleBackend.invoke`` -- the Invoke API (boto3 ``lambda.invoke``, Step Functions
   ``lambda:invoke`` and ``.waitForTaskToken``, direct function ARNs).
2. ``LambdaFunction.invoke`` -- event sources that call the function object directly
   (S3 notifications, SQS and DynamoDB-stream mappings); needs the function created in moto.

A handler exception becomes ``x-amz-function-error: Unhandled`` with the payload the Python
runtime builds (``{"errorType": <class name>, "errorMessage", "requestId", "stackTrace"}``, the
stack from ``traceback.extract_tb`` as the runtime does), so ASL ``Retry``/``Catch`` match real
error names and the history holds what it holds on AWS (task handlers leave ``stackTrace`` empty:
``einvoice.observability.task_handler``). Like Lambda, one execution environment serves one
request at a time: HTTP calls of the same function are serialised (the Powertools resolver keeps the
current event on the app instance); task invocations (a Map's iterations) still run in parallel,
their handlers keep no per-request state on shared objects. These patches touch moto internals: moto is pinned, and
``tests/functional/test_dispatch_contract.py`` fails loudly if an upgrade breaks them.
"""

from __future__ import annotations

import importlib
import json
import threading
import traceback
import uuid
from types import SimpleNamespace
from typing import Any, Callable

Handler = Callable[[Any, Any], Any]

_handlers: dict[str, Handler] = {}
_lock = threading.Lock()
_environments: dict[str, threading.RLock] = {}  # one "execution environment" per function
_installed = False
invocations: list[tuple[str, str]] = []  # (function name, invocation type) for tests and the local UI


class LambdaContext:
    """The subset of the Lambda context object Powertools reads."""

    def __init__(self, function_name: str, timeout_seconds: int = 29) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-3:123456789012:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._timeout_seconds = timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_seconds * 1000


def register(name: str, handler: Handler | str) -> None:
    """Register a handler callable, or a module path (``functions.x.handler``) imported on first use.

    While it runs, the function's Lambda packaging boundary is enforced (``local.packaging``): an
    import of a layer it does not declare in ``needs`` fails here as it would on AWS.
    """
    from local import packaging

    with _lock:
        if isinstance(handler, str):
            module_path = handler

            def lazy(event, context, _m=module_path, _name=name):
                with packaging.running(_name):
                    return importlib.import_module(_m).lambda_handler(event, context)

            _handlers[name] = lazy
        else:

            def guarded(event, context, _h=handler, _name=name):
                with packaging.running(_name):
                    return _h(event, context)

            _handlers[name] = guarded


def register_manifest() -> None:
    """Register every function of the route manifest by module path."""
    from einvoice.routes import FUNCTIONS

    for fn in FUNCTIONS:
        register(fn.name, fn.module)


def function_name_from(identifier: str) -> str:
    # arn:aws:lambda:region:acct:function:name[:qualifier] | name
    if ":function:" in identifier:
        return identifier.split(":function:")[-1].split(":")[0]
    return identifier


def call(name: str, event: Any) -> Any:
    """Invoke a registered handler directly (used by the local HTTP server)."""
    handler = _handlers.get(name)
    if handler is None:
        raise KeyError(f"no local handler registered for Lambda function {name!r}")
    invocations.append((name, "RequestResponse"))
    with _environment(name):
        return handler(event, LambdaContext(name))


def _environment(name: str) -> threading.RLock:
    with _lock:
        return _environments.setdefault(name, threading.RLock())


def _invoke_bytes(name: str, body: Any, response_headers: dict) -> bytes:
    handler = _handlers.get(name)
    if handler is None:
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps(
            {"errorType": "ResourceNotFoundException", "errorMessage": f"Function not found: {name}"}
        ).encode()
    if isinstance(body, bytes):
        body = body.decode()
    event = json.loads(body) if body else {}
    invocations.append((name, "invoke"))
    context = LambdaContext(name)
    try:
        result = handler(event, context)
    except Exception as exc:  # noqa: BLE001 - reported to the caller the way the Python runtime does
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps(runtime_error_payload(exc, context.aws_request_id)).encode()
    return json.dumps(result, default=str).encode()


def runtime_error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    """The error document of the Lambda Python runtime (``bootstrap.build_fault_result``): the
    class name, ``str(exc)`` and ``traceback.extract_tb`` of the raised error."""
    from einvoice.observability import restore_frames

    try:
        frames = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    finally:
        restore_frames()  # the real runtime keeps the limit until the next invocation starts
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": request_id, "stackTrace": frames}


def install() -> None:
    """Install the two patches (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def simple_invoke(self, function_name, qualifier, body, headers, response_headers):
        name = function_name_from(function_name)
        if (headers or {}).get("x-amz-invocation-type") == "Event":
            threading.Thread(target=_invoke_bytes, args=(name, body, {}), daemon=True).start()
            return b""
        return _invoke_bytes(name, body, response_headers)

    def function_invoke(self, body, request_headers, response_headers):
        if not isinstance(body, str):
            body = json.dumps(body)
        return _invoke_bytes(self.function_name, body, response_headers).decode()

    LambdaSimpleBackend.invoke = simple_invoke
    LambdaFunction.invoke = function_invoke
    _serialize_dynamodb()
    cheap_transactions()
    from local import packaging

    packaging.install()
    _installed = True


_ddb_lock = threading.RLock()


def _serialize_dynamodb() -> None:
    """moto's DynamoDB backend is not thread-safe (a query copying an item while another thread
    updates it raises "dictionary changed size during iteration"). Real DynamoDB serves concurrent
    callers, and here state machine threads, API threads and tests run at once, so each DynamoDB
    action runs under one lock. DynamoDB actions never call back into other services, so the lock
    cannot be held across a nested call."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "_einvoice_serialized", False):
        return

    def call_action(self):
        with _ddb_lock:
            return original(self)

    call_action._einvoice_serialized = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action


class _TableRef:
    """Stands for a table moto would deep-copy (see ``cheap_transactions``)."""

    def __init__(self, table: Any) -> None:
        self.table = table


def cheap_transactions() -> None:
    """moto's ``TransactWriteItems`` deep-copies every table an action names, once per action, to
    roll back a cancelled transaction: 100 copies of the whole data table per import segment, so a
    local import grew quadratic in time and memory (gigabytes at 20,000 lines). Same semantics,
    cheaper: snapshot only the items the transaction touches and restore those on rollback.
    Needs ``_serialize_dynamodb`` (no other DynamoDB action runs meanwhile). Idempotent."""
    import copy as copy_module

    import moto.dynamodb.models as models

    backend_cls = models.DynamoDBBackend
    original = backend_cls.transact_write_items
    if getattr(original, "_einvoice_cheap", False):
        return

    def deepcopy(obj: Any, memo: Any = None) -> Any:
        if isinstance(obj, models.Table):
            return _TableRef(obj)
        return copy_module.deepcopy(obj, memo)

    shim = SimpleNamespace(deepcopy=deepcopy)

    def transact_write_items(self, transact_items):
        with _ddb_lock:
            return _transact(self, transact_items)

    def _transact(self, transact_items):
        saved = []
        for action in transact_items[:100]:
            op_type, op = next(iter(action.items()))
            name = op.get("TableName")
            if name not in self.tables:
                continue
            table = self.tables[name]
            if op_type == "Put":
                attrs = op["Item"]
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            current = self.get_item(name, key)
            saved.append((name, key, current.to_json()["Attributes"] if current else None))
        models.copy = shim
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy_module
            rolled_back = False
            for name, table in list(self.tables.items()):
                if isinstance(table, _TableRef):
                    self.tables[name] = table.table
                    rolled_back = True
            if rolled_back:
                for name, key, attrs in reversed(saved):
                    if attrs is None:
                        self.delete_item(name, key)
                    else:
                        self.put_item(name, attrs)

    transact_write_items._einvoice_cheap = True  # type: ignore[attr-defined]
    backend_cls.transact_write_items = transact_write_items


def fast_time() -> None:
    """Make ASL Retry intervals and Wait states instant (tests only)."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    retrier_decl.time = SimpleNamespace(sleep=lambda s: None)
    wait_function.WaitFunction._wait_interval = lambda self, env, wait_seconds: None
