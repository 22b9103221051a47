"""The topology (hello_dd.topology) is the one place that names the services, their ports and the trace
collector: no Python code of src/, steps/, environment.py or scripts/ writes one as a literal (docstrings
and comments may, and so may the step patterns, which are sentences of the features)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from hello_dd import topology
from hello_dd.stack import StackPorts
from hello_dd.topology import GATEWAY, INVENTORY, NAMES, PRICING, PROXIED, SERVICES, TEST_AGENT

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = ROOT / "src" / "hello_dd" / "topology.py"
#: Names that must not come back: the collector was called trace-agent in one place and test-agent in another.
RETIRED_NAMES = ("trace-agent",)
PORTS = {s.port for s in SERVICES} | {TEST_AGENT.datadog_port, TEST_AGENT.otlp_http_port, TEST_AGENT.otlp_grpc_port}
_NAME = re.compile(
    r"(?<![\w-])(?:" + "|".join(map(re.escape, (*NAMES, TEST_AGENT.name, *RETIRED_NAMES))) + r")(?![\w-])"
)
_PORT = re.compile(r"(?<![\w.])(?:" + "|".join(map(str, sorted(PORTS))) + r")(?![\w.])")
#: What a step pattern calls a service: "inventory-service", "api-gateway".
_SERVICE_WORD = re.compile(r"\b[a-z]+-(?:service|gateway)\b")
STEP_DECORATORS = {"given", "when", "then", "step"}
#: Numbers equal to a port that are not ports: (file, a text on the line) -> why.
NOT_PORTS = {("src/hello_dd/services/catalog.py", 'CatalogueProduct("303"'): "units of stock of product 303"}


Span = tuple[tuple[int, int], tuple[int, int]]


def _span(node: ast.expr) -> Span:
    return (node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0)


def _docstrings_and_step_patterns(tree: ast.AST) -> tuple[list[Span], dict[Span, str]]:
    """Where the docstrings are, and the step patterns (a behave decorator's first argument) with their text."""
    docstrings, patterns = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.append(_span(first.value))
        for decorator in getattr(node, "decorator_list", []):
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Name)
                and decorator.func.id in STEP_DECORATORS
                and decorator.args
                and isinstance(decorator.args[0], ast.Constant)
            ):
                patterns[_span(decorator.args[0])] = str(decorator.args[0].value)
    return docstrings, patterns


def _within(token: tokenize.TokenInfo, span: Span) -> bool:
    return span[0] <= token.start and token.end <= span[1]


def literals(source: str, where: str = "<source>") -> list[str]:
    """Every service name, port or collector name written as a literal in ``source``, as
    ``where:line: token``; a step pattern that names a service the topology does not know counts too."""
    docstrings, patterns = _docstrings_and_step_patterns(ast.parse(source))
    lines = source.splitlines()
    found = []
    for span, pattern in patterns.items():
        if unknown := set(_SERVICE_WORD.findall(pattern)) - set(NAMES):
            found.append(f"{where}:{span[0][0]}: the step pattern names {sorted(unknown)}, which the topology does not")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        line_number = token.start[0]
        if token.type == tokenize.STRING:
            if any(_within(token, span) for span in (*docstrings, *patterns)):
                continue
            if _NAME.search(token.string) or _PORT.search(token.string):
                found.append(f"{where}:{line_number}: {token.string}")
        elif token.type == tokenize.NUMBER and _PORT.fullmatch(token.string):
            line = lines[line_number - 1]
            if not any(file == where and text in line for file, text in NOT_PORTS):
                found.append(f"{where}:{line_number}: {token.string}")
    return found


def _python_files() -> list[Path]:
    files = [ROOT / "environment.py"]
    for folder in ("src", "steps", "scripts"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return [path for path in files if path != TOPOLOGY]


def test_no_service_name_port_or_collector_name_is_written_outside_the_topology():
    files = _python_files()
    assert len(files) > 50, "the scan found the project's code"
    found = [hit for path in files for hit in literals(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert found == [], "read these from hello_dd.topology instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "code",
    [
        'URL = "http://127.0.0.1:8001"',
        "stack.urls['inventory-service']",
        'AGENT = "test-agent"',
        'AGENT = "trace-agent"',
        "PORT = 8126",
        'message = f"{name} is not api-gateway"',
        '@given("warehouse-service is down")\ndef down(context):\n    pass',
    ],
)
def test_a_literal_is_found(code):
    assert literals(code) != []


@pytest.mark.parametrize(
    "code",
    [
        '"""The api-gateway on 8000."""',
        'def f():\n    """Calls inventory-service at :8001."""',
        "x = 1  # pricing-service on 8002",
        '@given("inventory-service has been stopped")\ndef stopped(context):\n    pass',
        'url = f"http://{INVENTORY.name}:{INVENTORY.port}"',
        'image = "ghcr.io/datadog/dd-apm-test-agent/ddapm-test-agent"',
        "limit = 18000",
    ],
)
def test_docstrings_comments_step_patterns_and_other_words_are_not_literals(code):
    assert literals(code) == []


def test_the_gateway_calls_its_proxied_dependencies_and_starts_last():
    assert GATEWAY.calls == PROXIED == (INVENTORY, PRICING)
    assert topology.start_order()[-1] == GATEWAY
    assert [s.url_variable for s in GATEWAY.calls] == ["INVENTORY_URL", "PRICING_URL"]


def test_services_are_found_by_name():
    assert topology.service("pricing-service") == PRICING
    with pytest.raises(ValueError, match="unknown service 'billing-service'"):
        topology.service("billing-service")


def test_the_local_stack_listens_on_the_topology_ports_by_default():
    ports = StackPorts()
    assert [ports.of(s) for s in SERVICES] == [s.port for s in SERVICES]
    assert (ports.agent, ports.otlp, ports.otlp_grpc) == (
        TEST_AGENT.datadog_port,
        TEST_AGENT.otlp_http_port,
        TEST_AGENT.otlp_grpc_port,
    )
