"""What the three services' request and response bodies share: one base model, the money type, the ids
and the limits of an order line. The contract's names are camelCase on the wire; the attributes are
snake_case Python, the alias generator joining the two.

Money is ``Decimal`` inside (exact cents, half-up rounding where a service rounds) and a JSON number
outside, as docs/services-api.md and docs/gateway-api.md say: pydantic would otherwise write a
``Decimal`` as a string. A JSON number read into a ``Decimal`` field keeps its digits (``12.34`` is
``Decimal("12.34")``, never ``12.339999...``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

#: Product, order, quote and job ids: letters, digits, "_" and "-", at most 64 characters.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
#: Customer ids: an e-mail address fits.
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9_.@-]{1,64}$"
#: The most units of one product an order, a quote or a reservation may hold.
MAX_QUANTITY = 1_000_000
#: The most lines an order, a quote or a stock check may have.
MAX_LINES = 50
#: The most ids one bulk request to inventory-service or pricing-service may name.
MAX_BULK_IDS = 100

ProductId = Annotated[str, Field(pattern=ID_PATTERN, examples=["123"])]
CustomerId = Annotated[str, Field(pattern=CUSTOMER_ID_PATTERN, examples=["cust-789"])]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, strict=True)]

# Decimal inside, a JSON number outside.
Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
#: A rate (tax, exchange): exact inside, a JSON number outside, like money.
Rate = Money


class ApiModel(BaseModel):
    """A body of the API: snake_case attributes, camelCase JSON names (read and written), filled from
    keyword arguments of either spelling or from the attributes of a dataclass. Extra fields are ignored
    unless a model forbids them (:class:`StrictApiModel`)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        from_attributes=True,
    )


class StrictApiModel(ApiModel):
    """A request body that takes the contract's names only: a field it does not name, or a snake_case
    spelling, is refused (the gateway's public API)."""

    model_config = ConfigDict(extra="forbid", validate_by_name=False)
