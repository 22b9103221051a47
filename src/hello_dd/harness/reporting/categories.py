"""Failures sorted by whose problem they are (Allure 3's categories; the first that matches wins).

allure-behave marks a scenario ``failed`` when an assertion failed and ``broken`` when a step raised
anything else (or is undefined). So:

- **Product defect**: an assertion about the system's behaviour failed (``failed``). The suite's
  assertions are about what the stack did, so this is the stack's problem until shown otherwise.
- **Environment / infrastructure**: a step could not reach or control the stack (``broken`` with a
  connection, port, timeout or Docker error, or a stack that cannot do what the scenario needs).
  The stack not starting at all stops the run before any scenario: ``make spec`` says so, and there
  is no report to sort.
- **Test defect**: any other error in the suite's own code (``broken``: a KeyError or TypeError in a
  step, an undefined step, ...).
"""

from __future__ import annotations

from typing import Any

# Error messages and traces that mean the stack or its tooling could not be reached or controlled.
# JavaScript regular expressions: Allure 3 matches them.
ENVIRONMENT_ERRORS = "|".join(
    [
        r"ConnectionRefusedError",
        r"[Cc]onnection refused",
        r"ConnectionResetError",
        r"[Cc]onnection reset",
        r"ConnectionError",
        r"ConnectError",
        r"NewConnectionError",
        r"Failed to establish a new connection",
        r"Max retries exceeded",
        r"RemoteDisconnected",
        r"ServerDisconnectedError",
        r"ClientConnectorError",
        r"ReadTimeout",
        r"ConnectTimeout",
        r"Address already in use",
        r"EADDRINUSE",
        r"did not start",
        r"DockerException",
        r"docker\.errors",
        r"Cannot connect to the Docker daemon",
        r"No such container",
        r"ContainersUnavailable",
        r"StackControlUnavailable",
        r"AgentNotFoundError",
        r"No space left on device",
        r"Too many open files",
    ]
)

PRODUCT_DEFECT = "Product defect"
ENVIRONMENT = "Environment / infrastructure"
TEST_DEFECT = "Test defect"

CATEGORIES: list[dict[str, Any]] = [
    {
        "id": "environment",
        "name": ENVIRONMENT,
        "matchers": [
            {"statuses": ["broken"], "message": ENVIRONMENT_ERRORS},
            {"statuses": ["broken"], "trace": ENVIRONMENT_ERRORS},
        ],
        "expand": True,
    },
    {"id": "test-defect", "name": TEST_DEFECT, "matchers": {"statuses": ["broken"]}, "expand": True},
    {
        "id": "product-defect",
        "name": PRODUCT_DEFECT,
        "matchers": {"statuses": ["failed"]},
        "groupBy": [{"label": "epic"}],
        "expand": True,
    },
]
