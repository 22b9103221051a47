"""The order the gateway's contract promises for bulk results: numeric ids by value, then the rest."""


def product_order(product_id: str) -> tuple[int, int, str]:
    return (0, int(product_id), "") if product_id.isdigit() else (1, 0, product_id)
