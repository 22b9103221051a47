#!/usr/bin/env python3
"""Breaks the reference stack on purpose, one small named way at a time, and runs the scenarios that
should notice: proof that every scenario can fail (a scenario no break can redden asserts nothing).

Each break ("mutant") is a text replacement in one source file, applied to a copy of the project in a
temporary directory; the suite runs there on the embedded stack with that copy's code. The project
itself is never modified. At the end: which scenarios each mutant turned red, and the scenarios no
mutant turned red. Exit status 1 if a mutant went unnoticed or a scenario was never red.

    .venv/bin/python scripts/mutation_check.py            # all mutants (several minutes)
    .venv/bin/python scripts/mutation_check.py --only bulk-no-dedupe --keep
    .venv/bin/python scripts/mutation_check.py --only tracing-redis-spans-off --redis-url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = "src/hello_dd/services/gateway"
COMMON = "src/hello_dd/services/common"


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    features: tuple[str, ...]
    # Further (path, old, new) edits, for breaks that need two layers broken at once.
    more: tuple[tuple[str, str, str], ...] = ()
    # behave -D options the features need to notice it (a load profile that is not run by default).
    userdata: tuple[str, ...] = ()


# One product query in twenty takes 600 ms more: p95 may hold, the "within 500 ms" check does not.
SOME_PRODUCT_QUERIES_SLOW = (
    f"{GATEWAY}/routes/products.py",
    "    stock, price = await asyncio.gather(",
    "    if __import__('random').random() < 0.05:\n        await asyncio.sleep(0.6)\n    stock, price = await asyncio.gather(",
)

MUTANTS = [
    Mutant("health-not-ok", f"{COMMON}/app.py", '{"status": "ok",', '{"status": "okay",', ("health",)),
    Mutant(
        "circuit-state-misreported",
        f"{GATEWAY}/resilience.py",
        '{"closed": "closed",',
        '{"closed": "shut",',
        ("health",),
    ),
    Mutant(
        "product-pricing-dropped",
        f"{GATEWAY}/routes/products.py",
        "        pricing = price\n",
        '        pricing = SectionUnavailable(error={"code": "X", "message": "dropped"})\n',
        ("product_query", "error_handling"),
    ),
    Mutant(
        "product-stock-off-by-one",
        f"{GATEWAY}/routes/products.py",
        "        inventory=stock,",
        '        inventory={**stock, "available": stock["available"] + 1},',
        ("product_query",),
    ),
    Mutant(
        "product-price-marked-up",
        f"{GATEWAY}/routes/products.py",
        "        pricing = price\n",
        '        pricing = {**price, "finalPrice": round(price["finalPrice"] * 1.01, 2)}\n',
        ("product_query",),
    ),
    Mutant(
        "currency-ignored",
        f"{GATEWAY}/routes/products.py",
        "gw.pricing.price(product_id, currency)",
        "gw.pricing.price(product_id)",
        ("product_query",),
    ),
    Mutant(
        "out-of-stock-shown-in-stock",
        "src/hello_dd/services/inventory/stock.py",
        "return self.available > 0",
        "return self.available >= 0",
        ("product_query", "bulk_check"),
    ),
    Mutant(
        "not-found-as-400",
        f"{GATEWAY}/routes/products.py",
        'raise ApiError(404, "PRODUCT_NOT_FOUND"',
        'raise ApiError(400, "PRODUCT_NOT_FOUND"',
        ("product_query",),
    ),
    Mutant(
        "error-without-correlation-id",
        f"{COMMON}/errors.py",
        'return {"error": error, "correlationId": current_correlation_id()}',
        'return {"error": error}',
        ("product_query", "error_handling"),
    ),
    Mutant(
        "tax-ignores-discounts",
        "src/hello_dd/services/pricing/pricebook.py",
        "tax = to_cents(taxable * tax_rate)",
        "tax = to_cents(subtotal * tax_rate)",
        ("checkout",),
    ),
    Mutant(
        "reservation-skipped",
        f"{GATEWAY}/checkout.py",
        'await self._call("reserve stock", self.inventory.reserve(reservation_id, lines))',
        "pass",
        ("checkout",),
    ),
    Mutant(
        "insufficient-stock-as-409",
        f"{GATEWAY}/checkout.py",
        '400,\n            "INSUFFICIENT_STOCK",',
        '409,\n            "INSUFFICIENT_STOCK",',
        ("checkout",),
    ),
    Mutant(
        "unknown-product-unnamed",
        f"{GATEWAY}/checkout.py",
        "f\"Unknown product(s): {', '.join(missing)}.\"",
        '"Unknown product(s)."',
        ("checkout",),
    ),
    Mutant(
        "quantity-not-validated",
        f"{GATEWAY}/models.py",
        "quantity: int = Field(ge=1, le=MAX_QUANTITY, strict=True)",
        "quantity: Any",
        ("checkout",),
    ),
    Mutant(
        "order-not-kept",
        f"{GATEWAY}/checkout.py",
        "        await self.db.run(self.book.confirm, order_id, order)\n",
        "",
        ("checkout",),
    ),
    Mutant(
        "bulk-no-dedupe",
        f"{GATEWAY}/bulk.py",
        "return sorted(set(product_ids), key=product_sort_key)",
        "return sorted(product_ids, key=product_sort_key)",
        ("bulk_check",),
    ),
    Mutant(
        "bulk-text-order",
        f"{GATEWAY}/bulk.py",
        "return sorted(set(product_ids), key=product_sort_key)",
        "return sorted(set(product_ids))",
        ("bulk_check",),
    ),
    Mutant(
        "bulk-unknown-not-flagged",
        f"{GATEWAY}/routes/products.py",
        'return BulkResult(productId=product_id, found=False, error="PRODUCT_NOT_FOUND")',
        "return BulkResult(productId=product_id, found=False)",
        ("bulk_check",),
    ),
    Mutant(
        "bulk-pricing-ignored",
        f"{GATEWAY}/routes/products.py",
        "    if body.includePricing:",
        "    if False:",
        ("bulk_check",),
    ),
    Mutant(
        "bulk-limit-unchecked",
        f"{GATEWAY}/routes/products.py",
        "if len(body.productIds) > settings.bulk_max_ids:",
        "if False:",
        ("bulk_check",),
    ),
    Mutant(
        "bulk-partial-failure-fails-all",
        f"{GATEWAY}/bulk.py",
        "        if isinstance(outcome, DependencyError):\n            failed.update",
        "        if isinstance(outcome, DependencyError):\n            raise outcome\n            failed.update",
        ("bulk_check",),
    ),
    Mutant(
        "bulk-chunks-one-at-a-time",
        f"{COMMON}/settings.py",
        "bulk_concurrency: int = 4",
        "bulk_concurrency: int = 1",
        ("tracing",),
    ),
    Mutant(
        "bulk-page-ignored",
        f"{GATEWAY}/routes/products.py",
        "wanted = bulk.page_of(distinct, page, pageSize)",
        "wanted = distinct",
        ("bulk_check",),
    ),
    Mutant(
        "report-fails",
        f"{GATEWAY}/reports.py",
        "result = await self.builders.for_type(job.request.reportType)(job.request)",
        "raise RuntimeError('broken report')",
        ("async_reports",),
    ),
    Mutant(
        "report-failure-reported-as-success",
        f"{GATEWAY}/reports.py",
        'error = {"code": exc.code, "message": exc.message}',
        "result = {}",
        ("async_reports",),
    ),
    Mutant(
        "report-counts-wrong",
        f"{GATEWAY}/reports.py",
        '"products": len(stock),',
        '"products": len(stock) - 1,',
        ("async_reports",),
    ),
    Mutant(
        "report-misses-out-of-stock",
        f"{GATEWAY}/reports.py",
        '"outOfStock": [s["productId"] for s in stock if not s["inStock"]],',
        '"outOfStock": [],',
        ("async_reports",),
    ),
    Mutant(
        "report-type-unchecked",
        f"{GATEWAY}/models.py",
        "    reportType: ReportType\n",
        "    reportType: str\n",
        ("async_reports",),
    ),
    Mutant(
        "report-dates-unchecked",
        f"{GATEWAY}/models.py",
        "        if self.startDate > self.endDate:",
        "        if False:",
        ("async_reports",),
    ),
    Mutant(
        "report-job-unknown-as-200",
        f"{GATEWAY}/routes/reports.py",
        'raise ApiError(404, "JOB_NOT_FOUND"',
        'raise ApiError(200, "JOB_NOT_FOUND"',
        ("async_reports",),
    ),
    Mutant(
        "caller-ids-ignored",
        f"{COMMON}/correlation.py",
        "    if is_valid_id(value):",
        "    if False:",
        ("correlation",),
    ),
    Mutant(
        "ids-not-propagated",
        f"{COMMON}/correlation.py",
        "    headers = {}\n    if cid",
        "    return {}\n    if cid",
        ("correlation",),
    ),
    Mutant(
        "hostile-ids-accepted",
        f"{COMMON}/correlation.py",
        '_VALID_ID = re.compile(rf"[A-Za-z0-9._:@/+=-]{{1,{MAX_ID_LENGTH}}}")',
        '_VALID_ID = re.compile(r".{1,100000}")',
        ("error_handling",),
    ),
    Mutant(
        "generated-id-not-logged",
        f"{COMMON}/json_logging.py",
        "record.correlation_id = current_correlation_id()",
        "record.correlation_id = None",
        ("correlation",),
    ),
    Mutant(
        "malformed-json-as-422",
        f"{COMMON}/errors.py",
        'if any(err.get("type") == "json_invalid"',
        "if any(False",
        ("error_handling",),
    ),
    Mutant(
        "no-body-limit",
        f"{COMMON}/app.py",
        "    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)\n",
        "",
        ("error_handling",),
    ),
    Mutant(
        "validation-details-dropped",
        f"{COMMON}/errors.py",
        'return error_response(422, "VALIDATION_ERROR", f"The request is invalid: {summary}", details)',
        'return error_response(422, "VALIDATION_ERROR", "The request is invalid.")',
        ("error_handling", "checkout"),
    ),
    Mutant(
        "internals-leak",
        f"{COMMON}/errors.py",
        '        _remember_code(request, "MALFORMED_JSON")\n        return error_response(400, "MALFORMED_JSON", "The request body is not valid JSON.")',
        '        _remember_code(request, "MALFORMED_JSON")\n        return error_response(400, "MALFORMED_JSON", f"Traceback: {exc!r}")',
        ("error_handling",),
    ),
    Mutant(
        "no-retries",
        f"{GATEWAY}/resilience.py",
        "stop_after_attempt(self.retry.attempts if idempotent else 1)",
        "stop_after_attempt(1)",
        ("cascade", "resilience"),
    ),
    Mutant(
        "no-timeout",
        f"{GATEWAY}/resilience.py",
        "timeout=aiohttp.ClientTimeout(total=self.timeout)",
        "timeout=aiohttp.ClientTimeout(total=30)",
        ("cascade", "resilience"),
    ),
    Mutant(
        "breaker-never-opens",
        f"{GATEWAY}/context.py",
        "CircuitBreakers(settings.breaker_failure_threshold, settings.breaker_reset_seconds)",
        "CircuitBreakers(10_000, settings.breaker_reset_seconds)",
        ("cascade", "resilience"),
    ),
    Mutant(
        "breaker-never-closes",
        f"{GATEWAY}/context.py",
        "CircuitBreakers(settings.breaker_failure_threshold, settings.breaker_reset_seconds)",
        "CircuitBreakers(settings.breaker_failure_threshold, 3600)",
        ("cascade", "resilience"),
    ),
    # Resilience and chaos (features/resilience.feature, features/chaos.feature): faults injected
    # through the proxy in the gateway's path, a service stopped mid-request, concurrent orders.
    Mutant(
        "breaker-opens-after-3",
        f"{GATEWAY}/context.py",
        "CircuitBreakers(settings.breaker_failure_threshold, settings.breaker_reset_seconds)",
        "CircuitBreakers(3, settings.breaker_reset_seconds)",
        ("cascade", "resilience"),
    ),
    Mutant(
        "unreachable-as-502",
        f"{GATEWAY}/resilience.py",
        "class DependencyUnavailable(DependencyError):\n    status = 503",
        "class DependencyUnavailable(DependencyError):\n    status = 502",
        ("resilience",),
    ),
    Mutant(
        "retry-backoff-slow",
        f"{COMMON}/settings.py",
        "retry_backoff_initial: float = 0.05",
        "retry_backoff_initial: float = 1.0",
        ("resilience",),
        more=((f"{COMMON}/settings.py", "retry_backoff_max: float = 0.5", "retry_backoff_max: float = 5.0"),),
    ),
    Mutant(
        "inventory-timeout-too-short",
        f"{COMMON}/settings.py",
        "inventory_timeout: float = 1.5",
        "inventory_timeout: float = 0.3",
        ("resilience",),
    ),
    Mutant(
        "timeout-retried",
        f"{GATEWAY}/resilience.py",
        'code = "DEPENDENCY_TIMEOUT"\n    retryable = False',
        'code = "DEPENDENCY_TIMEOUT"\n    retryable = True',
        ("resilience",),
    ),
    Mutant(
        "no-pricing-fallback",
        f"{GATEWAY}/routes/products.py",
        "    if isinstance(price, DependencyError):\n        pricing = SectionUnavailable(",
        "    if isinstance(price, DependencyError):\n        raise dependency_api_error(price, 'price')\n        pricing = SectionUnavailable(",
        ("resilience",),
    ),
    Mutant(
        "reservation-retried",
        f"{GATEWAY}/clients.py",
        '"POST", "/reservations", idempotent=False',
        '"POST", "/reservations", idempotent=True',
        ("resilience",),
    ),
    Mutant(
        "no-compensation",
        f"{GATEWAY}/checkout.py",
        "            await self._compensate(order_id, reservation_id, exc)\n            raise",
        "            raise",
        ("resilience", "chaos"),
    ),
    # A release that could not reach inventory is made later by the gateway's recovery rounds, and a
    # hold nobody confirms expires in inventory: either gives the stock back, so both are broken.
    Mutant(
        "no-later-release",
        f"{GATEWAY}/maintenance.py",
        '            repeat("checkout recovery", s.checkout_recovery_seconds, self.checkout.recover, first_delay=0),\n',
        "",
        ("chaos", "durability"),
        more=(
            (
                "src/hello_dd/services/inventory/app.py",
                'async with running(repeat("the reservation expiry sweep", settings.reservation_sweep_seconds, expire)):',
                "async with running():",
            ),
        ),
    ),
    Mutant(
        "inventory-oversells",
        "src/hello_dd/services/inventory/stock.py",
        ".where(products.c.product_id == line.product_id, products.c.available >= line.quantity)",
        ".where(products.c.product_id == line.product_id)",
        ("chaos",),
    ),
    # Durability (features/durability.feature): what the gateway keeps across a restart or a crash.
    Mutant(
        "orders-forgotten-on-restart",
        f"{GATEWAY}/database.py",
        "        metadata.create_all(self.engine)\n",
        "        metadata.drop_all(self.engine)\n        metadata.create_all(self.engine)\n",
        ("durability",),
    ),
    Mutant(
        "idempotency-key-ignored",
        f"{GATEWAY}/routes/orders.py",
        "placed = await gw.checkout.place(body, idempotency_key)",
        "placed = await gw.checkout.place(body)",
        ("durability",),
    ),
    Mutant(
        "interrupted-reports-not-resumed",
        f"{GATEWAY}/maintenance.py",
        "if resumed := await self.reports.resume_orphans():",
        "if resumed := 0:",
        ("durability",),
    ),
    # The harness's own protection: faults removed after every scenario.
    Mutant(
        "faults-outlive-scenarios",
        "environment.py",
        "    for undone in context.provider.clear_faults():",
        "    for undone in []:",
        ("chaos", "resilience"),
    ),
    Mutant(
        "cascade-fallback-unflagged",
        f"{GATEWAY}/cascade.py",
        "fallback = isinstance(exc, CircuitOpen)",
        "fallback = False",
        ("cascade",),
    ),
    Mutant(
        "cascade-hides-failed-service",
        f"{GATEWAY}/cascade.py",
        'error={"code": "DEPENDENCY_FAILURE", "message": f"Failing dependencies: {names}"},',
        'error={"code": "DEPENDENCY_FAILURE", "message": "Some dependency failed"},',
        ("cascade",),
    ),
    Mutant(
        "cascade-random-unbounded",
        f"{GATEWAY}/cascade.py",
        'path = {"healthy": "/health", "error": "/simulate/error", "slow": "/simulate/latency"}[kind]',
        'path = {"healthy": "/health", "error": "/simulate/error", "slow": "/simulate/latency"}[kind]\n'
        '    if kind == "slow":\n        await asyncio.sleep(3.5)',
        ("cascade",),
    ),
    # Smuggled header text is refused by the HTTP server itself (uvicorn's default parser rejects
    # folded headers and control characters), so the app's own check is the second layer. Breaking
    # both: the lenient h11 parser (which unfolds folded lines) and ids accepted whatever they hold.
    Mutant(
        "smuggled-text-accepted",
        f"{COMMON}/server.py",
        "server_header=False)",
        'server_header=False, http="h11")',
        ("error_handling",),
        more=(
            (
                f"{COMMON}/correlation.py",
                '_VALID_ID = re.compile(rf"[A-Za-z0-9._:@/+=-]{{1,{MAX_ID_LENGTH}}}")',
                '_VALID_ID = re.compile(r".{1,100000}", re.S)',
            ),
        ),
    ),
    Mutant(
        "validation-as-400",
        f"{COMMON}/errors.py",
        'return error_response(422, "VALIDATION_ERROR", f"The request',
        'return error_response(400, "VALIDATION_ERROR", f"The request',
        ("error_handling",),
    ),
    Mutant(
        "validation-errors-unformatted",
        f"{COMMON}/errors.py",
        "    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]\n",
        "",
        ("error_handling", "checkout", "async_reports"),
    ),
    Mutant(
        "slow-product-query",
        f"{GATEWAY}/routes/products.py",
        "    stock, price = await asyncio.gather(",
        "    await asyncio.sleep(0.6)\n    stock, price = await asyncio.gather(",
        ("load",),
    ),
    Mutant("some-answers-slow", *SOME_PRODUCT_QUERIES_SLOW, ("load",)),
    # The same, with the load made by three Locust workers: their checks reach the master's totals.
    Mutant("some-answers-slow-3-workers", *SOME_PRODUCT_QUERIES_SLOW, ("load",), userdata=("load_workers=3",)),
    Mutant(
        "product-456-fails",
        f"{GATEWAY}/routes/products.py",
        "    stock, price = await asyncio.gather(",
        "    if product_id == '456':\n        raise RuntimeError('broken')\n    stock, price = await asyncio.gather(",
        ("load",),
        userdata=("load_profile=contract", "--tags=@load-contract"),
    ),
    # Tracing: a standard instrumentation left out of the services' setup.
    Mutant(
        "trace-propagation-off",
        f"{COMMON}/telemetry.py",
        "        AioHttpClientInstrumentor().instrument(tracer_provider=provider)\n",
        "        pass\n",
        ("tracing",),
    ),
    Mutant(
        "tracing-sql-spans-off",
        f"{COMMON}/telemetry.py",
        "        SQLAlchemyInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)\n",
        "        pass\n",
        ("tracing",),
    ),
    # Needs --redis-url: without a Redis the cache scenario is skipped, and a skip proves nothing.
    Mutant(
        "tracing-redis-spans-off",
        f"{COMMON}/telemetry.py",
        "        RedisInstrumentor().instrument(tracer_provider=provider)\n",
        "        pass\n",
        ("tracing",),
    ),
    Mutant(
        "same-generated-id-for-everyone",
        f"{COMMON}/correlation.py",
        "    return str(uuid.uuid4())",
        '    return "generated-id"',
        ("correlation",),
    ),
    # Observability (features/observability.feature): metrics that miscount or cannot be read, log lines
    # that are not structured, not correlated, or not at the right level.
    Mutant(
        "obs-metrics-unparseable",
        f"{COMMON}/metrics.py",
        "return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)",
        "return Response(generate_latest() + b'http_requests_total{route=\"/x\" 1\\n', media_type=CONTENT_TYPE_LATEST)",
        ("observability",),
    ),
    Mutant(
        "obs-requests-counted-twice",
        f"{COMMON}/middleware.py",
        "HTTP_REQUESTS.labels(*labels).inc()",
        "HTTP_REQUESTS.labels(*labels).inc(2)",
        ("observability",),
    ),
    Mutant(
        "obs-raw-path-as-route",
        f"{COMMON}/middleware.py",
        'route = getattr(route_obj, "path", None) or "unmatched"',
        'route = scope.get("path") or "unmatched"',
        ("observability",),
    ),
    Mutant(
        "obs-errors-not-timed",
        f"{COMMON}/middleware.py",
        "        HTTP_LATENCY.labels(*labels).observe(elapsed)\n",
        "        if status < 400:\n            HTTP_LATENCY.labels(*labels).observe(elapsed)\n",
        ("observability",),
    ),
    Mutant(
        "obs-order-lines-counted-as-units",
        f"{GATEWAY}/checkout.py",
        'ORDER_UNITS.inc(sum(line["quantity"] for line in lines))',
        "ORDER_UNITS.inc(len(lines))",
        ("observability",),
    ),
    Mutant(
        "obs-reservations-uncounted",
        "src/hello_dd/services/inventory/stock.py",
        "        metrics.RESERVATIONS.labels(metrics.RESERVED).inc()\n",
        "",
        ("observability",),
    ),
    Mutant(
        "obs-retries-uncounted",
        f"{GATEWAY}/resilience.py",
        "        RETRIES.labels(self.name).inc()\n",
        "",
        ("observability",),
    ),
    Mutant(
        "obs-circuit-gauge-stuck",
        f"{GATEWAY}/resilience.py",
        "CIRCUIT_STATE.labels(name).set(_STATE_VALUES.get(state, -1))",
        "CIRCUIT_STATE.labels(name).set(0)",
        ("observability",),
    ),
    Mutant(
        "obs-no-stock-warning",
        "src/hello_dd/services/inventory/routes/inventory.py",
        '            log.warning(\n                "not enough stock for product',
        '            log.info(\n                "not enough stock for product',
        ("observability",),
    ),
    Mutant(
        "obs-plain-text-log-lines",
        f"{COMMON}/json_logging.py",
        "    root.handlers[:] = [handler]",
        "    root.handlers[:] = [handler, logging.StreamHandler(sys.stdout)]",
        ("observability",),
    ),
    Mutant(
        "obs-no-timestamp",
        f"{COMMON}/json_logging.py",
        "            timestamp=True,",
        "            timestamp=False,",
        ("observability",),
    ),
    Mutant(
        "obs-request-line-without-status",
        f"{COMMON}/middleware.py",
        '                "status": status,\n',
        "",
        ("observability",),
    ),
    Mutant(
        "obs-trace-id-not-logged",
        f"{COMMON}/json_logging.py",
        "record.trace_id, record.span_id = current_trace_ids()",
        "record.trace_id, record.span_id = None, None",
        ("observability",),
    ),
    Mutant(
        "obs-request-id-not-logged",
        f"{COMMON}/json_logging.py",
        "record.request_id = current_request_id()",
        "record.request_id = None",
        ("observability",),
    ),
    Mutant(
        "obs-server-errors-as-warnings",
        f"{COMMON}/middleware.py",
        "level = logging.ERROR if status >= 500 else",
        "level = logging.WARNING if status >= 500 else",
        ("observability",),
    ),
    Mutant(
        "obs-crash-without-stack-trace",
        f"{COMMON}/middleware.py",
        'log.exception("unhandled error while handling',
        'log.error("unhandled error while handling',
        ("observability",),
    ),
    Mutant(
        "obs-crash-shows-stack-trace",
        f"{COMMON}/middleware.py",
        '"INTERNAL_ERROR", "An unexpected error occurred; quote the correlation id when reporting it."',
        '"INTERNAL_ERROR", __import__("traceback").format_exc()',
        ("observability",),
    ),
    Mutant(
        "obs-warnings-uncorrelated",
        f"{COMMON}/json_logging.py",
        "record.correlation_id = current_correlation_id()",
        "record.correlation_id = None if record.levelno == logging.WARNING else current_correlation_id()",
        ("observability",),
    ),
    # As smuggled-text-accepted: the lenient h11 parser and ids accepted whatever they hold.
    Mutant(
        "obs-hostile-ids-logged",
        f"{COMMON}/server.py",
        "server_header=False)",
        'server_header=False, http="h11")',
        ("observability",),
        more=(
            (
                f"{COMMON}/correlation.py",
                '_VALID_ID = re.compile(rf"[A-Za-z0-9._:@/+=-]{{1,{MAX_ID_LENGTH}}}")',
                '_VALID_ID = re.compile(r".{1,100000}", re.S)',
            ),
        ),
    ),
]


def copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns(
        ".venv", ".venv-agent", "node_modules", ".git", "reports", "__pycache__", ".hello-dd"
    )
    shutil.copytree(ROOT, target, ignore=ignore)


def apply(mutant: Mutant, project: Path) -> None:
    for relative, old, new in ((mutant.path, mutant.old, mutant.new), *mutant.more):
        path = project / relative
        text = path.read_text()
        if text.count(old) != 1:
            raise SystemExit(
                f"mutant {mutant.name}: expected exactly one {old!r} in {relative}, found {text.count(old)}"
            )
        path.write_text(text.replace(old, new))


def run_suite(
    project: Path, features: tuple[str, ...], label: str, userdata: tuple[str, ...] = (), redis_url: str | None = None
) -> tuple[set[str], set[str], int]:
    """Runs the features (with extra ``-D name=value`` or ``--tags=`` options, and pricing on Redis when
    ``redis_url`` is given); returns (passed, failed) scenario names and behave's exit status."""
    reports = project / "reports" / label
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "HELLO_DD_TEST_AGENT": str(ROOT / ".venv-agent/bin/ddapm-test-agent"),
    }
    command = [
        str(ROOT / ".venv/bin/behave"),
        "-f",
        "null",
        "-D",
        f"reports_dir={reports}",
        "--junit-directory",
        str(reports / "junit"),
    ]
    command += [option if option.startswith("--") else f"-D{option}" for option in userdata]
    if redis_url:
        command += ["-D", f"redis_url={redis_url}"]
    command += [f"features/{name}.feature" for name in features]
    run = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    passed, failed = set(), set()
    for report in (reports / "junit").glob("*.xml"):
        for case in ET.parse(report).getroot().iter("testcase"):
            name = f"{case.get('classname')} :: {case.get('name')}"
            if case.find("skipped") is not None:
                continue  # not run in this configuration (another load profile, say): proves nothing
            (failed if case.find("failure") is not None or case.find("error") is not None else passed).add(name)
    if run.returncode != 0 and not failed:
        # Nothing ran: the break stopped the stack from starting, which proves nothing about scenarios.
        raise SystemExit(
            f"{label}: the suite did not run (exit {run.returncode}):\n{(run.stdout + run.stderr)[-2000:]}"
        )
    return passed, failed, run.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", help="run only this mutant (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies to inspect them")
    parser.add_argument("--redis-url", help="a Redis for the pricing cache, so the scenarios that need one run too")
    args = parser.parse_args()
    mutants = [m for m in MUTANTS if not args.only or m.name in args.only]
    workdir = Path(tempfile.mkdtemp(prefix="hello-dd-mutants-"))
    all_scenarios: set[str] = set()
    killed_by: dict[str, list[str]] = {}
    survivors = []
    try:
        baseline = workdir / "baseline"
        copy_project(baseline)
        features = tuple(sorted({f for m in mutants for f in m.features}))
        passed, failed, _ = run_suite(baseline, features, "baseline", redis_url=args.redis_url)
        if failed:
            print(f"the unbroken stack already fails: {sorted(failed)}", file=sys.stderr)
            return 1
        all_scenarios = passed
        print(f"baseline: {len(passed)} scenarios pass in {', '.join(features)}", flush=True)
        for mutant in mutants:
            project = workdir / mutant.name
            copy_project(project)
            apply(mutant, project)
            _, failed, _ = run_suite(project, mutant.features, mutant.name, mutant.userdata, args.redis_url)
            print(f"{mutant.name:32} {len(failed):3} scenario(s) red", flush=True)
            if not failed:
                survivors.append(mutant.name)
            for name in failed:
                killed_by.setdefault(name, []).append(mutant.name)
            if not args.keep:
                shutil.rmtree(project)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"copies kept in {workdir}")
    never_red = sorted(all_scenarios - set(killed_by))
    print("\nscenario -> mutants that turned it red")
    for name in sorted(all_scenarios):
        print(f"  {name}: {', '.join(killed_by.get(name, [])) or 'NEVER RED'}")
    if survivors:
        print(f"\nmutants no scenario noticed: {', '.join(survivors)}")
    if never_red and not args.only:
        print(f"\nscenarios no mutant turned red: {len(never_red)}")
    return 1 if survivors or (never_red and not args.only) else 0


if __name__ == "__main__":
    sys.exit(main())
