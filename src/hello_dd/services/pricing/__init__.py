"""pricing-service: catalogue prices in four currencies, quotes with discounts, and tax on finalisation."""
