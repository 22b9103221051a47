"""What the routes share: the injected stock repository and the OpenAPI description of errors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from hello_dd.services.common.errors import ERROR_RESPONSES, ErrorResponse
from hello_dd.services.inventory.stock import StockRepository


def get_stock(request: Request) -> StockRepository:
    # Built by the lifespan, so every request of one application shares one engine and pool.
    return request.app.state.stock


Stock = Annotated[StockRepository, Depends(get_stock)]


def error_responses(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """The common 400/422 entries plus a route's own error statuses, all with the error body."""
    own: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorResponse, "description": text} for status, text in described.items()
    }
    return {**ERROR_RESPONSES, **own}
