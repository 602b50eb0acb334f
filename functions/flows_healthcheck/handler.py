"""GET /v1/healthcheck (AFNOR XP Z12-013 Flow Service): 200 while the Flow API answers."""

from einvoice.api.http import ApiApp
from einvoice.flows.errors import afnor_error_body
from einvoice.flows.models import HealthOut

app = ApiApp(error_format=afnor_error_body)


@app.get("/v1/healthcheck")
def healthcheck() -> HealthOut:
    return HealthOut(status="UP")


lambda_handler = app.lambda_handler
