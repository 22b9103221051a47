"""The pricing-service's business errors, each an ``ApiError`` with the code the contract names, so
the shared error handler turns them into the standard error body wherever they are raised."""

from __future__ import annotations

from hello_dd.services.common.errors import ApiError


class UnsupportedCurrency(ApiError):
    def __init__(self, code: str, supported: list[str]):
        super().__init__(
            400,
            "UNSUPPORTED_CURRENCY",
            f"Currency {code!r} is not supported; use one of {', '.join(supported)}.",
            {"currency": code, "supported": supported},
        )


class InvalidDiscountCode(ApiError):
    def __init__(self, code: str, known: list[str]):
        super().__init__(
            400,
            "INVALID_DISCOUNT_CODE",
            f"Discount code {code!r} is not valid.",
            {"discountCode": code, "known": known},
        )


class ProductNotFound(ApiError):
    def __init__(self, product_ids: list[str]):
        super().__init__(
            404,
            "PRODUCT_NOT_FOUND",
            f"No price for product(s) {', '.join(product_ids)}.",
            {"productIds": product_ids},
        )


class QuoteNotFound(ApiError):
    def __init__(self, quote_id: str):
        super().__init__(
            404,
            "QUOTE_NOT_FOUND",
            f"Quote {quote_id} does not exist or has expired.",
            {"quoteId": quote_id},
        )


class CacheUnavailable(ApiError):
    def __init__(self) -> None:
        super().__init__(503, "CACHE_UNAVAILABLE", "The pricing cache (Redis) is unavailable; try again shortly.")
