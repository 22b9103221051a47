from behave import then, when
from hamcrest import assert_that, equal_to, has_entries

from hello_dd.harness import expect
from hello_dd.harness.providers.base import SERVICE_NAMES


@when("the operator checks the health of the {service:Service}")
def check_health(context, service):
    context.world.service_client(service).get("/health")


@then("the {service:Service} reports itself healthy")
def reports_healthy(context, service):
    exchange = context.world.last
    expect.status(exchange, 200)
    assert_that(exchange.body, has_entries(status="ok", service=service), exchange.describe())


@then("the gateway reports a closed circuit to {first:Service} and to {second:Service}")
def circuits_closed(context, first, second):
    health = context.world.gateway.health()
    expect.status(health, 200)
    dependencies = health.body.get("dependencies", {})
    for name in (first, second):
        assert_that(dependencies.get(name, {}).get("circuit"), equal_to("closed"), f"circuit to {name}: {dependencies}")


@then("every service is still healthy")
def all_healthy(context):
    for name in SERVICE_NAMES:
        try:
            client = context.world.service_client(name)
        except Exception:  # noqa: BLE001 - external stacks may not expose every service
            continue
        exchange = client.get("/health")
        expect.status(exchange, 200)
