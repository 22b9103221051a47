"""The gateway's test hook (docs/test-hooks.md), mounted only with ``SIMULATE_ENDPOINTS=true``, as the suite's
own stacks run it: ``POST /simulate/circuits/reset`` closes every circuit breaker at once, so the suite's
clean-up after a scenario that opened one need not wait out the cool-down. Everywhere else ``/simulate/*``
answers 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from hello_dd.services.common.settings import ServiceSettings
from hello_dd.services.gateway.context import GatewayComponents, components

router = APIRouter(prefix="/simulate", tags=["simulation (test hook)"])


class CircuitsReset(BaseModel):
    closed: list[str]


@router.post("/circuits/reset", summary="Closes every circuit breaker, its failures forgotten (a test hook)")
async def reset_circuits(gw: Annotated[GatewayComponents, Depends(components)]) -> CircuitsReset:
    await gw.breakers.reset()
    return CircuitsReset(closed=list(gw.breakers.names))


def routers(settings: ServiceSettings) -> list[APIRouter]:
    """The hook when the settings turn the simulate endpoints on; none otherwise."""
    return [router] if settings.simulate_endpoints else []
