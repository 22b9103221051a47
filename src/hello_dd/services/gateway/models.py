"""Request and response models of the gateway's public API (they are its OpenAPI contract)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from hello_dd.topology import INVENTORY, PRICING

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


class ErrorObject(BaseModel):
    """An error as an answer's field carries it (an error answer's body is ``{"error", "correlationId"}``)."""

    code: str = Field(description="Stable, machine-readable: what a caller branches on")
    message: str = Field(description="For a person: what went wrong, never the server's internals")


# What the gateway answers when a dependency cannot (docs/resilience.md): 502, 503, 503 and 504.
DependencyErrorCode = Literal["DEPENDENCY_FAILED", "DEPENDENCY_UNAVAILABLE", "CIRCUIT_OPEN", "DEPENDENCY_TIMEOUT"]


class DependencyFailure(ErrorObject):
    """Why a dependency gave no answer."""

    code: DependencyErrorCode = Field(
        description="DEPENDENCY_FAILED (5xx on every attempt), DEPENDENCY_UNAVAILABLE (unreachable), "
        "CIRCUIT_OPEN (not called: its circuit is open) or DEPENDENCY_TIMEOUT (no answer in time)"
    )
    dependency: str = Field(description="The dependency's service name", examples=[INVENTORY.name])


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
    error: ErrorObject = Field(
        description="Why: DEPENDENCY_UNAVAILABLE, DEPENDENCY_TIMEOUT, DEPENDENCY_FAILED or CIRCUIT_OPEN for "
        f"{PRICING.name}"
    )


class ProductView(BaseModel):
    productId: str
    name: str
    category: str
    inventory: InventorySection = Field(description=f"{INVENTORY.name}'s stock record, as it holds it")
    pricing: PricingSection | SectionUnavailable = Field(
        description=f"{PRICING.name}'s list price in the asked currency, or what stands in for it"
    )
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
    productIds: list[ProductId] = Field(
        min_length=1, description="At most the bulk limit (GET /api/v1/policy: bulkCheck.maxIds; 200), repeats allowed"
    )
    includePricing: StrictBool = Field(False, description="Also price the products that are in stock")
    currency: Currency = Field("USD", description="The currency of those prices")


class BulkResult(BaseModel):
    productId: str
    found: bool = Field(description="False for an unknown product, and for one whose stock could not be read")
    name: str | None = None
    available: int | None = Field(None, description="Units available (present when found)")
    inStock: bool | None = Field(None, description="available > 0 (present when found)")
    warehouse: str | None = None
    pricing: PricingSection | None = Field(
        None, description="With includePricing, for a product in stock; absent or null otherwise"
    )
    error: str | None = Field(
        None,
        description="Why this id has no data: PRODUCT_NOT_FOUND (unknown), or the error code of the dependency "
        "failure that kept it from being checked (then the answer is partial)",
    )


class BulkSummary(BaseModel):
    requested: int = Field(description="Ids in the request, repeats included")
    unique: int = Field(description="Distinct ids")
    duplicates: int = Field(description="Repeats dropped: requested - unique")
    found: int
    notFound: int
    inStock: int
    failed: int = Field(description="Ids a dependency failure kept from being checked or priced")


class Pagination(BaseModel):
    page: int = Field(description="This page, from 1 (query parameter page)")
    pageSize: int = Field(description="Results per page (query parameter pageSize, 1-200, default 100)")
    totalResults: int = Field(description="Distinct ids in the whole check")
    totalPages: int


class BulkCheckResponse(BaseModel):
    results: list[BulkResult] = Field(
        description="One per distinct id of this page, sorted: numeric ids by value, then the others as text"
    )
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


class ReportPeriod(BaseModel):
    startDate: str
    endDate: str


class CategoryStock(BaseModel):
    products: int
    unitsAvailable: int
    stockValue: float


class InventorySummary(BaseModel):
    """The result of an ``inventory_summary`` report: inventory-service's whole catalogue."""

    period: ReportPeriod
    products: int = Field(description=f"How many products {INVENTORY.name} holds")
    unitsAvailable: int
    unitsReserved: int
    stockValue: float = Field(description="Available units at their list price (USD)")
    outOfStock: list[str] = Field(description="The ids of the products with no unit available")
    lowStock: list[str] = Field(description="The ids of the products with fewer than 50 units available")
    byCategory: dict[str, CategoryStock]
    unpriced: list[str] = Field(description=f"Products {PRICING.name} gave no price for (valued at 0)")


class SalesSummary(BaseModel):
    """The result of a ``sales_summary`` report: the orders placed through this gateway in the period."""

    period: ReportPeriod
    orders: int
    revenue: float
    unitsSold: int
    unitsByProduct: dict[str, int]


class PricingSummary(BaseModel):
    """The result of a ``pricing_summary`` report: pricing-service's analytics summary
    (``GET /analytics/summary``, docs/services-api.md) with the period."""

    model_config = ConfigDict(extra="allow")

    period: ReportPeriod
    products: int
    currency: str


class JobStatus(BaseModel):
    """A report job as the gateway keeps it: ``result`` as it was stored (see :class:`ReportJob`)."""

    jobId: str
    reportType: str
    status: Literal["queued", "running", "completed", "failed"]
    submittedAt: str
    startedAt: str | None = None
    completedAt: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None


class ReportJob(JobStatus):
    """A report job's status as ``GET /api/v1/reports/status/{jobId}`` answers it (the OpenAPI document's
    model: the route answers :class:`JobStatus` as stored, without checking it against these types)."""

    result: InventorySummary | SalesSummary | PricingSummary | None = Field(  # type: ignore[assignment]
        None, description="Once completed, the report (by reportType); never on a failed job"
    )
    error: ErrorObject | None = Field(  # type: ignore[assignment]
        None, description="Once failed, why: a code and a message naming the dependency that failed"
    )


# --- pattern 5: cascade ---------------------------------------------------------------------------------


class FailureMode(StrEnum):
    inventory = "inventory"
    pricing = "pricing"
    timeout = "timeout"
    random = "random"


CircuitState = Literal["closed", "open", "half-open"]


class DependencyProbe(BaseModel):
    status: Literal["ok", "failed"] = Field(description="ok: it answered; failed: it gave no answer (see error)")
    probe: Literal["healthy", "error", "slow"] = Field(description="What the dependency was asked to do")
    attempts: int = Field(
        description="Calls made to the dependency, retries included; 0 when its open circuit refused the call"
    )
    durationMs: float
    circuit: CircuitState = Field(description="Circuit breaker state after the call")
    fallback: bool = Field(description="True when the gateway answered for the dependency without calling it")
    error: DependencyFailure | None = Field(None, description="Present when status is failed")


class CascadeReport(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="degraded when any dependency failed")
    failureMode: str | None = Field(description="The failure_mode asked for, or null")
    dependencies: dict[str, DependencyProbe] = Field(
        description=f"One entry per dependency, by service name: {INVENTORY.name} and {PRICING.name}"
    )
    error: ErrorObject | None = Field(
        None, description="Present when degraded: code DEPENDENCY_FAILURE, the message naming the failing dependencies"
    )
    correlationId: str | None = None
