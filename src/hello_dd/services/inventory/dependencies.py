"""What the routes share: the injected stock repository."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hello_dd.services.inventory.stock import StockRepository


def get_stock(request: Request) -> StockRepository:
    # Built by the lifespan, so every request of one application shares one engine and pool.
    return request.app.state.stock


Stock = Annotated[StockRepository, Depends(get_stock)]
