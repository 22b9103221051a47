"""What the routes share: the injected stock repository."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hello_dd.services.inventory.stock import StockRepository


async def get_stock(request: Request) -> StockRepository:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a costly hop per request.
    # Built by the lifespan, so every request of one application shares one engine and pool.
    return request.app.state.stock


Stock = Annotated[StockRepository, Depends(get_stock)]
