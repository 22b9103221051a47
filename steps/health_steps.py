"""Health checks: every service reports itself healthy, and keeps doing so after bad input."""

from behave import then, when
from hamcrest import assert_that, has_entries

from hello_dd.harness import expect
from hello_dd.harness.providers.base import StackControlUnavailable
from hello_dd.topology import NAMES


@when("the operator checks the health of the {service:Service}")
def check_health(context, service):
    context.world.service_client(service).get("/health")


@then("the {service:Service} reports itself healthy")
def reports_healthy(context, service):
    exchange = context.world.last
    expect.status(exchange, 200)
    assert_that(exchange.body, has_entries(status="ok", service=service), exchange.describe())


@then("every service is still healthy")
def all_healthy(context):
    for name in NAMES:
        try:
            client = context.world.service_client(name)
        except StackControlUnavailable:  # an external deployment may not name every service's URL
            continue
        expect.status(client.get("/health"), 200)
