"""GET /v1/me: the partner and account behind the API key."""

from einvoice.accounts import service
from einvoice.accounts.models import MeOut
from einvoice.api.http import ApiApp

app = ApiApp()


@app.get("/v1/me")
def get_me() -> MeOut:
    return service.me(app.tenant())


lambda_handler = app.lambda_handler
