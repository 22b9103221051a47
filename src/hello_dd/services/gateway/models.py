"""Request and response models of the gateway's public API (they are its OpenAPI contract)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# Product, order and job ids: letters, digits, "_" and "-", at most 64 characters.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
ProductId = Annotated[str, Field(pattern=ID_PATTERN, examples=["123"])]
CustomerId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", examples=["cust-789"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]


def _date_text(value: Any) -> Any:
    # pydantic would read a number as a Unix time (0 -> 1970-01-01): the contract says YYYY-MM-DD.
    if isinstance(value, (str, date)):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


# Request fields whose JSON type is not converted: a number where a boolean or a date belongs is refused,
# not read as false or 1970-01-01.
StrictBool = Annotated[bool, Field(strict=True)]
IsoDate = Annotated[date, BeforeValidator(_date_text)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- pattern 1: product query -------------------------------------------------------------------


class InventorySection(BaseModel):
    """Stock as inventory-service reports it."""

    productId: str
    name: str
    category: str
    warehouse: str
    available: int
    reserved: int
    inStock: bool


class PricingSection(BaseModel):
    """The price as pricing-service reports it."""

    productId: str
    basePrice: float
    currency: str
    discountPercent: float
    finalPrice: float


class SectionUnavailable(BaseModel):
    """Stands in for a section whose service could not answer (the response is then ``degraded``)."""

    available: Literal[False] = False
    error: dict[str, str]


class ProductView(BaseModel):
    productId: str
    name: str
    category: str
    inventory: InventorySection
    pricing: PricingSection | SectionUnavailable
    degraded: bool = Field(description="True when a section is missing because its service failed")


# --- pattern 2: checkout --------------------------------------------------------------------------


# The most units of one product an order may hold (inventory's limit per reservation line).
MAX_QUANTITY = 1_000_000


class OrderLineRequest(StrictModel):
    productId: ProductId
    quantity: int = Field(ge=1, le=MAX_QUANTITY, strict=True)


class OrderRequest(StrictModel):
    items: list[OrderLineRequest] = Field(
        min_length=1,
        max_length=50,
        description=f"Lines for the same product are added up: at most {MAX_QUANTITY} units of each",
    )
    customerId: CustomerId
    discountCode: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")] | None = None
    currency: Currency = "USD"

    @model_validator(mode="after")
    def _each_product_within_the_largest_quantity(self) -> OrderRequest:
        totals: dict[str, int] = {}
        for line in self.items:
            if isinstance(line.quantity, int):
                totals[line.productId] = totals.get(line.productId, 0) + line.quantity
        if over := [product for product, units in totals.items() if units > MAX_QUANTITY]:
            raise ValueError(f"the quantities of product {', '.join(over)} add up to more than {MAX_QUANTITY}")
        return self


class OrderLine(BaseModel):
    productId: str
    quantity: int
    unitPrice: float
    lineTotal: float


class Discount(BaseModel):
    code: str
    description: str
    amount: float


class Order(BaseModel):
    orderId: str
    status: Literal["confirmed"]
    customerId: str
    currency: str
    items: list[OrderLine]
    subtotal: float
    discounts: list[Discount]
    discountTotal: float
    taxRate: float
    tax: float
    total: float
    reservationId: str
    createdAt: str


# --- pattern 3: bulk check --------------------------------------------------------------------------


class BulkCheckRequest(StrictModel):
    productIds: list[ProductId] = Field(min_length=1)
    includePricing: StrictBool = False
    currency: Currency = "USD"


class BulkResult(BaseModel):
    productId: str
    found: bool
    name: str | None = None
    available: int | None = None
    inStock: bool | None = None
    warehouse: str | None = None
    pricing: PricingSection | None = None
    error: str | None = Field(None, description="Why this id has no data: PRODUCT_NOT_FOUND or a dependency error code")


class BulkSummary(BaseModel):
    requested: int
    unique: int
    duplicates: int
    found: int
    notFound: int
    inStock: int
    failed: int


class Pagination(BaseModel):
    page: int
    pageSize: int
    totalResults: int
    totalPages: int


class BulkCheckResponse(BaseModel):
    results: list[BulkResult]
    summary: BulkSummary
    pagination: Pagination
    partial: bool = Field(description="True when some results are missing because a dependency failed")


# --- pattern 4: async reports -----------------------------------------------------------------------


class ReportType(StrEnum):
    inventory_summary = "inventory_summary"
    pricing_summary = "pricing_summary"
    sales_summary = "sales_summary"


class ReportRequest(StrictModel):
    reportType: ReportType
    startDate: IsoDate
    endDate: IsoDate

    @model_validator(mode="after")
    def _dates_in_order(self) -> ReportRequest:
        if self.startDate > self.endDate:
            raise ValueError("startDate must not be after endDate")
        return self


class JobAccepted(BaseModel):
    jobId: str
    status: Literal["queued"]
    statusUrl: str


class JobStatus(BaseModel):
    jobId: str
    reportType: str
    status: Literal["queued", "running", "completed", "failed"]
    submittedAt: str
    startedAt: str | None = None
    completedAt: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None


# --- pattern 5: cascade ---------------------------------------------------------------------------------


class FailureMode(StrEnum):
    inventory = "inventory"
    pricing = "pricing"
    timeout = "timeout"
    random = "random"


class DependencyProbe(BaseModel):
    status: Literal["ok", "failed"]
    probe: Literal["healthy", "error", "slow"] = Field(description="What the dependency was asked to do")
    attempts: int
    durationMs: float
    circuit: str = Field(description="Circuit breaker state after the call: closed, open or half-open")
    fallback: bool = Field(description="True when the gateway answered for the dependency without a reply")
    error: dict[str, str] | None = None


class CascadeReport(BaseModel):
    status: Literal["ok", "degraded"]
    failureMode: str | None
    dependencies: dict[str, DependencyProbe]
    error: dict[str, str] | None = None
    correlationId: str | None = None
