"""One router per resource: prices, quotes, currencies (with conversion) and analytics."""

from hello_dd.services.pricing.routes import analytics, currencies, prices, quotes

ROUTERS = [prices.router, quotes.router, currencies.router, analytics.router]
