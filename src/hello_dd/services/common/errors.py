"""The error contract: every error is ``{"error": {"code", "message", ["details"]}, "correlationId"}``
with a meaningful status. Bad input is 4xx, dependency failures are 502/503/504, and a stack trace
never reaches the caller."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from hello_dd.services.common.correlation import current_correlation_id

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any | None = None


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorDetail
    correlationId: str | None = None


class ApiError(Exception):
    """An error with a status, a stable machine-readable code and a human message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_body(code: str, message: str, details: Any | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error, "correlationId": current_correlation_id()}


def error_response(
    status: int, code: str, message: str, details: Any | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _code_for_status(status: int) -> str:
    try:
        return HTTPStatus(status).name
    except ValueError:
        return "HTTP_ERROR"


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only where and what: pydantic also reports the offending input, which may be huge or hostile.
    return [
        {"field": ".".join(str(part) for part in err.get("loc", ())), "problem": err.get("msg", "")}
        for err in exc.errors()
    ]


def _remember_code(request: Request, code: str) -> None:
    # The request line written by the envelope middleware reports it as ``error_code``.
    request.scope.setdefault("state", {})["error_code"] = code


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    _remember_code(request, exc.code)
    if exc.status >= 500:
        log.error("request failed: %s: %s", exc.code, exc.message, extra={"error_code": exc.code, "status": exc.status})
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    if any(err.get("type") == "json_invalid" for err in exc.errors()):
        _remember_code(request, "MALFORMED_JSON")
        return error_response(400, "MALFORMED_JSON", "The request body is not valid JSON.")
    _remember_code(request, "VALIDATION_ERROR")
    details = _validation_details(exc)
    summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details[:5])
    return error_response(422, "VALIDATION_ERROR", f"The request is invalid: {summary}", details)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    _remember_code(request, _code_for_status(exc.status_code))
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, _code_for_status(exc.status_code), message, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    # Each handler takes the one exception class it is registered for (Starlette's annotation says any
    # Exception, which a handler of a subclass does not match), hence the looser Callable[..., ...].
    handlers: dict[type[Exception], Callable[..., Awaitable[JSONResponse]]] = {
        ApiError: _api_error,
        RequestValidationError: _validation_error,
        StarletteHTTPException: _http_error,
    }
    for exception, handler in handlers.items():
        app.add_exception_handler(exception, handler)


# Shared OpenAPI documentation of error responses, for routers to reference.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed request or business rule violated"},
    422: {"model": ErrorResponse, "description": "The request does not match the schema"},
}


def error_responses(
    described: dict[int, str], *, model: type[BaseModel] = ErrorResponse
) -> dict[int | str, dict[str, Any]]:
    """The common 400/422 entries plus a route's own error statuses, each with its body model."""
    own: dict[int | str, dict[str, Any]] = {
        status: {"model": model, "description": text} for status, text in described.items()
    }
    return {**ERROR_RESPONSES, **own}
