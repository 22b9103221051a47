"""An already running deployment, reached by URL. The suite controls nothing in it."""

from __future__ import annotations

import requests

from hello_dd.harness.providers.base import StackProvider, StackUrls


class ExternalStack(StackProvider):
    name = "external"

    def __init__(self, urls: StackUrls, tracer: str = "otel"):
        self._urls = urls
        self.tracer = tracer

    @property
    def urls(self) -> StackUrls:
        return self._urls

    @property
    def reads_traces(self) -> bool:
        if self.tracer == "ddtrace":
            return bool(self._urls.trace_agent)
        return bool(self._urls.trace_agent and self._urls.otlp)

    def start(self) -> None:
        """Only checks that the gateway answers, so a wrong URL fails the run at once with a clear reason."""
        url = self._urls.gateway.rstrip("/") + "/health"
        try:
            response = requests.get(url, timeout=5)
        except requests.RequestException as exc:
            raise RuntimeError(f"the external gateway at {url} is not reachable: {exc}") from exc
        if response.status_code != 200:
            raise RuntimeError(
                f"the external gateway at {url} is not healthy: {response.status_code} {response.text[:200]}"
            )

    def stop(self) -> None:
        """Nothing to stop: the deployment belongs to someone else."""
