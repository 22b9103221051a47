"""api-gateway: the public entry point that orchestrates inventory-service and pricing-service."""
