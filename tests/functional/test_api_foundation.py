"""The API the way API Gateway serves it: keys, tenancy, error bodies."""

import json


def test_health_needs_no_key(api):
    resp = api.get("/v1/health")
    assert resp.status_code == 200
    assert resp.json["status"] == "ok"


def test_missing_or_unknown_key_is_403_like_api_gateway(api, tenants):
    assert api.get("/v1/me").status_code == 403
    resp = api.get("/v1/me", headers={"x-api-key": "not-a-key-0000000000000000"})
    assert resp.status_code == 403
    assert resp.json["code"] == "Forbidden" and resp.json["message"] == "Forbidden"
    assert set(resp.json) == {"code", "message", "details", "requestId"} and resp.json["requestId"]


def test_me_returns_the_tenant_behind_each_key(api, tenants):
    a = api.get("/v1/me", headers={"x-api-key": tenants["a"].value})
    b = api.get("/v1/me", headers={"x-api-key": tenants["b"].value})
    assert a.status_code == b.status_code == 200
    assert a.json["partner"]["id"] == "partner-a" and a.json["account"]["id"] == "account-a"
    assert b.json["partner"]["id"] == "partner-b" and b.json["account"]["id"] == "account-b"
    assert a.json["apiKeyId"] == tenants["a"].api_key_id
    assert a.json["scope"] == "account"


def test_unknown_route_is_403_missing_authentication_token(api):
    resp = api.get("/v1/does-not-exist")
    assert resp.status_code == 403
    assert resp.json["message"] == "Missing Authentication Token"
    assert resp.json["code"] == "MissingAuthenticationToken" and resp.json["details"] == []


def test_partner_level_key_has_partner_scope(api, aws):
    from einvoice.accounts import service

    service.create_partner("reseller", "Reseller")
    key = service.create_api_key("reseller", None, value="partner-level-key-000000000000")
    resp = api.get("/v1/me", headers={"x-api-key": key.value})
    assert resp.status_code == 200
    assert resp.json["scope"] == "partner"
    assert resp.json["account"] is None


def test_disabled_key_is_refused(api, tenants, aws):
    from einvoice.accounts import service
    from einvoice.adapters.aws.clients import table

    t = table(aws.settings.tenancy_table)
    t.update_item(
        Key={"pk": f"KEYHASH#{service.key_hash(tenants['a'].value)}", "sk": "APIKEY"},
        UpdateExpression="SET enabled = :f",
        ExpressionAttributeValues={":f": False},
    )
    assert api.get("/v1/me", headers={"x-api-key": tenants["a"].value}).status_code == 403


def test_docs_openapi_and_mailbox_are_served(api):
    assert api.get("/docs").status_code == 200
    assert b"swagger-ui" in api.get("/docs").data
    assert api.get("/_static/swagger-ui-bundle.min.js").status_code == 200
    spec = api.get("/openapi.json").json
    assert "/v1/me" in spec["paths"]
    assert api.get("/_local/mail.json").json == []
    assert api.get("/_local/mail").status_code == 200


def test_mailbox_lists_ses_mail_oldest_first(api, aws):
    from einvoice.adapters.aws.clients import client

    ses = client("sesv2")
    for subject in ("first", "second"):
        ses.send_email(
            FromEmailAddress=aws.settings.sender_email,
            Destination={"ToAddresses": ["jeanne@example.fr"]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": f"code {subject}"}}}},
        )
    mails = api.get("/_local/mail.json").json
    assert [m["subject"] for m in mails] == ["first", "second"]
    assert mails[0]["to"] == ["jeanne@example.fr"]
    assert mails[0]["text"] == "code first"
    assert mails[0]["sentAt"] <= mails[1]["sentAt"]
    assert "first" in api.get("/_local/mail").text


def test_error_body_shape_for_domain_errors():
    """Domain errors map once to {code, message, details, requestId}."""
    from einvoice.api.http import ApiApp
    from einvoice.errors import ErrorDetail, InvalidInputError, NotFoundError

    app = ApiApp(tenant_resolver=lambda key_id: None)

    @app.get("/v1/things/<thing_id>")
    def get_thing(thing_id: str):
        if thing_id == "bad":
            raise InvalidInputError("bad thing", [ErrorDetail("must be good", field="thingId", rule="BR-01")])
        raise NotFoundError("no such thing")

    def call(path):
        event = {
            "resource": "/v1/things/{thing_id}",
            "path": path,
            "httpMethod": "GET",
            "headers": {},
            "multiValueHeaders": {},
            "queryStringParameters": None,
            "multiValueQueryStringParameters": None,
            "pathParameters": {"thing_id": path.rsplit("/", 1)[-1]},
            "requestContext": {"requestId": "req-1", "identity": {}, "stage": "local"},
            "body": None,
            "isBase64Encoded": False,
        }
        return app.resolver.resolve(event, None)

    bad = call("/v1/things/bad")
    assert bad["statusCode"] == 422
    assert json.loads(bad["body"]) == {
        "code": "ValidationError",
        "message": "bad thing",
        "details": [{"message": "must be good", "field": "thingId", "rule": "BR-01"}],
        "requestId": "req-1",
    }
    missing = call("/v1/things/x")
    assert missing["statusCode"] == 404
    assert json.loads(missing["body"])["code"] == "NotFound"


def test_schema_validation_errors_are_422_with_field_path():
    from pydantic import BaseModel

    from einvoice.api.http import ApiApp

    class Body(BaseModel):
        name: str
        count: int

    app = ApiApp(tenant_resolver=lambda key_id: None)

    @app.post("/v1/things")
    def create(body: Body):
        return {"ok": True}

    event = {
        "resource": "/v1/things",
        "path": "/v1/things",
        "httpMethod": "POST",
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"requestId": "req-2", "identity": {}, "stage": "local"},
        "body": json.dumps({"name": "x", "count": "many"}),
        "isBase64Encoded": False,
    }
    out = app.resolver.resolve(event, None)
    assert out["statusCode"] == 422
    body = json.loads(out["body"])
    assert body["code"] == "ValidationError"
    assert body["requestId"] == "req-2"
    assert any(d["field"] == "body.count" for d in body["details"])
