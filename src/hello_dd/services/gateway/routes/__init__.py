"""The gateway's public routes, one module per request pattern."""
