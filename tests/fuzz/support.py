"""What the fuzz tests share with their conftest: the count of requests they sent."""

from __future__ import annotations

from collections import Counter

#: Requests sent by the fuzz tests, by the schema's URL: printed at the end of the run with the seed.
REQUESTS_SENT: Counter[str] = Counter()
