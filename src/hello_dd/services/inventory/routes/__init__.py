"""The inventory API, one router per resource."""

from hello_dd.services.inventory.routes.inventory import router as inventory_router
from hello_dd.services.inventory.routes.reservations import router as reservations_router

__all__ = ["inventory_router", "reservations_router"]
