from __future__ import annotations

from pydantic import BaseModel

from einvoice import __version__
from einvoice.settings import get_settings


class Health(BaseModel):
    status: str
    version: str
    stage: str


def health() -> Health:
    return Health(status="ok", version=__version__, stage=get_settings().stage)
