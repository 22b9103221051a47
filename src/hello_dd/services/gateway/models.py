"""Request and response models of the gateway's public API (they are its OpenAPI contract)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, model_validator

from hello_dd.services.common.models import (
    MAX_LINES,
    MAX_QUANTITY,
    ApiModel,
    CustomerId,
    Money,
    ProductId,
    Quantity,
    Rate,
    StrictApiModel,
)
from hello_dd.topology import INVENTORY, PRICING

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


class ErrorObject(ApiModel):
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


class InventorySection(ApiModel):
    """Stock as inventory-service reports it."""

    product_id: str
    name: str
    category: str
    warehouse: str
    available: int
    reserved: int
    in_stock: bool


class PricingSection(ApiModel):
    """The price as pricing-service reports it."""

    product_id: str
    base_price: Money
    currency: str
    discount_percent: Money
    final_price: Money


class SectionUnavailable(ApiModel):
    """Stands in for a section whose service could not answer (the response is then ``degraded``)."""

    available: Literal[False] = False
    error: ErrorObject = Field(
        description="Why: DEPENDENCY_UNAVAILABLE, DEPENDENCY_TIMEOUT, DEPENDENCY_FAILED or CIRCUIT_OPEN for "
        f"{PRICING.name}"
    )


class ProductView(ApiModel):
    product_id: str
    name: str
    category: str
    inventory: InventorySection = Field(description=f"{INVENTORY.name}'s stock record, as it holds it")
    pricing: PricingSection | SectionUnavailable = Field(
        description=f"{PRICING.name}'s list price in the asked currency, or what stands in for it"
    )
    degraded: bool = Field(description="True when a section is missing because its service failed")


# --- pattern 2: checkout --------------------------------------------------------------------------


class OrderLineRequest(StrictApiModel):
    product_id: ProductId
    quantity: Quantity


class OrderRequest(StrictApiModel):
    items: list[OrderLineRequest] = Field(
        min_length=1,
        max_length=MAX_LINES,
        description=f"Lines for the same product are added up: at most {MAX_QUANTITY} units of each",
    )
    customer_id: CustomerId
    discount_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")] | None = None
    currency: Currency = "USD"

    @model_validator(mode="after")
    def _each_product_within_the_largest_quantity(self) -> OrderRequest:
        totals: dict[str, int] = {}
        for line in self.items:
            if isinstance(line.quantity, int):
                totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
        if over := [product for product, units in totals.items() if units > MAX_QUANTITY]:
            raise ValueError(f"the quantities of product {', '.join(over)} add up to more than {MAX_QUANTITY}")
        return self


class OrderLine(ApiModel):
    product_id: str
    quantity: int
    unit_price: Money
    line_total: Money


class Discount(ApiModel):
    code: str
    description: str
    amount: Money


class Order(ApiModel):
    order_id: str
    status: Literal["confirmed"]
    customer_id: str
    currency: str
    items: list[OrderLine]
    subtotal: Money
    discounts: list[Discount]
    discount_total: Money
    tax_rate: Rate
    tax: Money
    total: Money
    reservation_id: str
    created_at: str


# --- pattern 3: bulk check --------------------------------------------------------------------------


class BulkCheckRequest(StrictApiModel):
    product_ids: list[ProductId] = Field(
        min_length=1, description="At most the bulk limit (GET /api/v1/policy: bulkCheck.maxIds; 200), repeats allowed"
    )
    include_pricing: StrictBool = Field(False, description="Also price the products that are in stock")
    currency: Currency = Field("USD", description="The currency of those prices")


class BulkResult(ApiModel):
    product_id: str
    found: bool = Field(description="False for an unknown product, and for one whose stock could not be read")
    name: str | None = None
    available: int | None = Field(None, description="Units available (present when found)")
    in_stock: bool | None = Field(None, description="available > 0 (present when found)")
    warehouse: str | None = None
    pricing: PricingSection | None = Field(
        None, description="With includePricing, for a product in stock; absent or null otherwise"
    )
    error: str | None = Field(
        None,
        description="Why this id has no data: PRODUCT_NOT_FOUND (unknown), or the error code of the dependency "
        "failure that kept it from being checked (then the answer is partial)",
    )


class BulkSummary(ApiModel):
    requested: int = Field(description="Ids in the request, repeats included")
    unique: int = Field(description="Distinct ids")
    duplicates: int = Field(description="Repeats dropped: requested - unique")
    found: int
    not_found: int
    in_stock: int
    failed: int = Field(description="Ids a dependency failure kept from being checked or priced")


class Pagination(ApiModel):
    page: int = Field(description="This page, from 1 (query parameter page)")
    page_size: int = Field(description="Results per page (query parameter pageSize, 1-200, default 100)")
    total_results: int = Field(description="Distinct ids in the whole check")
    total_pages: int


class BulkCheckResponse(ApiModel):
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


class ReportRequest(StrictApiModel):
    report_type: ReportType
    start_date: IsoDate
    end_date: IsoDate

    @model_validator(mode="after")
    def _dates_in_order(self) -> ReportRequest:
        if self.start_date > self.end_date:
            raise ValueError("startDate must not be after endDate")
        return self


class JobAccepted(ApiModel):
    job_id: str
    status: Literal["queued"]
    status_url: str


class ReportPeriod(ApiModel):
    start_date: str
    end_date: str


class CategoryStock(ApiModel):
    products: int
    units_available: int
    stock_value: Money


class InventorySummary(ApiModel):
    """The result of an ``inventory_summary`` report: inventory-service's whole catalogue."""

    period: ReportPeriod
    products: int = Field(description=f"How many products {INVENTORY.name} holds")
    units_available: int
    units_reserved: int
    stock_value: Money = Field(description="Available units at their list price (USD)")
    out_of_stock: list[str] = Field(description="The ids of the products with no unit available")
    low_stock: list[str] = Field(description="The ids of the products with fewer than 50 units available")
    by_category: dict[str, CategoryStock]
    unpriced: list[str] = Field(description=f"Products {PRICING.name} gave no price for (valued at 0)")


class SalesSummary(ApiModel):
    """The result of a ``sales_summary`` report: the orders placed through this gateway in the period."""

    period: ReportPeriod
    orders: int
    revenue: Money
    units_sold: int
    units_by_product: dict[str, int]


class PricingSummary(ApiModel):
    """The result of a ``pricing_summary`` report: pricing-service's analytics summary
    (``GET /analytics/summary``, docs/services-api.md) with the period."""

    model_config = ConfigDict(extra="allow")

    period: ReportPeriod
    products: int
    currency: str


class JobStatus(ApiModel):
    """A report job as the gateway keeps it: ``result`` as it was stored (see :class:`ReportJob`)."""

    job_id: str
    report_type: str
    status: Literal["queued", "running", "completed", "failed"]
    submitted_at: str
    started_at: str | None = None
    completed_at: str | None = None
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


class DependencyProbe(ApiModel):
    status: Literal["ok", "failed"] = Field(description="ok: it answered; failed: it gave no answer (see error)")
    probe: Literal["healthy", "error", "slow"] = Field(description="What the dependency was asked to do")
    attempts: int = Field(
        description="Calls made to the dependency, retries included; 0 when its open circuit refused the call"
    )
    duration_ms: float
    circuit: CircuitState = Field(description="Circuit breaker state after the call")
    fallback: bool = Field(description="True when the gateway answered for the dependency without calling it")
    error: DependencyFailure | None = Field(None, description="Present when status is failed")


class CascadeReport(ApiModel):
    status: Literal["ok", "degraded"] = Field(description="degraded when any dependency failed")
    failure_mode: str | None = Field(description="The failure_mode asked for, or null")
    dependencies: dict[str, DependencyProbe] = Field(
        description=f"One entry per dependency, by service name: {INVENTORY.name} and {PRICING.name}"
    )
    error: ErrorObject | None = Field(
        None, description="Present when degraded: code DEPENDENCY_FAILURE, the message naming the failing dependencies"
    )
    correlation_id: str | None = None
