from behave import then, when
from hamcrest import assert_that, equal_to, has_entries, has_item, instance_of, matches_regexp

from hello_dd.harness import expect


@when('an analyst requests a "{report_type}" report for {start} to {end}')
def request_report(context, report_type, start, end):
    context.world.gateway.request_report(report_type, start, end)


@then("the request is accepted with a job to follow")
def accepted(context):
    exchange = context.world.answer
    expect.status(exchange, 202)
    assert_that(exchange.body, has_entries(jobId=matches_regexp(r"\S+"), status="queued"), exchange.describe())
    context.world.remembered["job"] = exchange.body["jobId"]


@when("the job completes with a result within {seconds:d} seconds")
@then("the job completes with a result within {seconds:d} seconds")
def completes(context, seconds):
    job_id = context.world.remembered.get("job") or context.world.answer.body["jobId"]
    final = context.world.gateway.wait_for_report(job_id, timeout=seconds)
    expect.status(final, 200)
    assert_that(final.body, has_entries(status="completed", result=instance_of(dict)), final.describe())
    context.world.remembered["report"] = final.body["result"]


@then("the report counts every product inventory-service holds")
def counts_every_product(context):
    listing = context.world.inventory.http.get("/inventory", params={"limit": 1})
    expect.status(listing, 200)
    assert_that(context.world.remembered["report"].get("products"), equal_to(listing.body["total"]))


@then("the report lists product {product:ProductId} as out of stock")
def lists_out_of_stock(context, product):
    assert_that(context.world.remembered["report"].get("outOfStock", []), has_item(product))


@then("the report request is refused as invalid, naming the {field}")
def refused(context, field):
    expect.invalid_naming(context.world.answer, *{"dates": ("startDate", "endDate")}.get(field, (field,)))


@when('an analyst follows report job "{job_id}"')
def follow_job(context, job_id):
    context.world.gateway.report_status(job_id)


@then("the analyst is told the job was not found")
def job_not_found(context):
    expect.error(context.world.answer, 404, "JOB_NOT_FOUND")
