"""The order and chunking the gateway's contract promises for bulk checks: numeric ids by value, then
the rest; distinct ids checked in chunks of the bulk chunk size, in that order."""


def product_order(product_id: str) -> tuple[int, int, str]:
    return (0, int(product_id), "") if product_id.isdigit() else (1, 0, product_id)


def chunk_holding(product_ids: list[str], product_id: str, chunk_size: int) -> list[str]:
    """The chunk of a bulk check of ``product_ids`` that ``product_id`` is checked in."""
    ordered = sorted(dict.fromkeys(product_ids), key=product_order)
    start = ordered.index(product_id) // chunk_size * chunk_size
    return ordered[start : start + chunk_size]
