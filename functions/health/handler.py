"""GET /v1/health: liveness, no API key."""

from einvoice.api.http import ApiApp
from einvoice.health import Health, health

app = ApiApp()


@app.get("/v1/health")
def get_health() -> Health:
    return health()


lambda_handler = app.lambda_handler
