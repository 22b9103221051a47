"""The three hello-dd services (api-gateway, inventory-service, pricing-service) and their shared layer."""
