"""The gateway's public routes, one module per request pattern."""

# How the gateway answers when a dependency cannot (docs/resilience.md), for the OpenAPI description.
DEPENDENCY_FAILURES = {
    502: "A dependency answered with errors on every attempt (DEPENDENCY_FAILED)",
    503: "A dependency is unreachable or its circuit is open (DEPENDENCY_UNAVAILABLE, CIRCUIT_OPEN)",
    504: "A dependency did not answer in time (DEPENDENCY_TIMEOUT)",
}
