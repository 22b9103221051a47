"""Asynchronous reports (pattern 4): a job to follow, its result, or the reason it failed."""

from behave import then, when
from hamcrest import assert_that, equal_to, has_entries, has_item, instance_of, matches_regexp, none

from hello_dd.harness import expect
from hello_dd.harness.policy import check_stated


def _report_type(words: str) -> str:
    """How an analyst names a report type ("inventory summary") as the API names it (inventory_summary)."""
    return words.strip().replace(" ", "_")


def _finished(context, status="completed") -> dict:
    job_id = context.world.job_id or context.world.answer.body["jobId"]
    final = context.world.gateway.wait_for_report(job_id, timeout=context.world.policy.report_deadline_seconds)
    expect.status(final, 200)
    assert_that(final.body, has_entries(status=status), final.describe())
    return final.body


@when("an analyst requests an {report_type} report for {start} to {end}")
@when("an analyst requests a {report_type} report for {start} to {end}")
def request_report(context, report_type, start, end):
    answer = context.world.gateway.request_report(_report_type(report_type), start, end)
    if answer.status == 202:
        context.world.job_id = answer.body["jobId"]


@when("an analyst's {report_type} report has completed")
def report_completed(context, report_type):
    request_report(context, report_type, "2024-01-01", "2024-12-31")
    _finished(context)


@when('an analyst follows report job "{job_id}"')
def follow_job(context, job_id):
    context.world.gateway.report_status(job_id)


@then("the request is accepted with a job to follow")
def accepted(context):
    exchange = context.world.answer
    expect.status(exchange, 202)
    assert_that(exchange.body, has_entries(jobId=matches_regexp(r"\S+"), status="queued"), exchange.describe())


@then("the job completes with a result within the report deadline")
def completes(context):
    assert_that(_finished(context), has_entries({"result": instance_of(dict)}))


@then("the job completes with a result within the report deadline of {seconds:d} s")
def completes_within(context, seconds):
    check_stated(context, "report_deadline_seconds", seconds)
    completes(context)


@then("the finished report counts every product inventory-service holds")
def counts_every_product(context):
    report = _finished(context)["result"]
    assert_that(report.get("products"), equal_to(context.world.inventory.product_count()), "products in the report")


@then("the finished report lists product {product:ProductId} as out of stock")
def lists_out_of_stock(context, product):
    assert_that(_finished(context)["result"].get("outOfStock", []), has_item(product))


@then("the job ends failed, naming {service:Service} as the reason, with no result")
def ends_failed(context, service):
    job = _finished(context, status="failed")
    assert_that(job.get("result"), none(), f"a failed job has no result: {job}")
    error = expect.present(job.get("error"), f"the reason: {job}")
    assert_that(
        error, has_entries({"code": matches_regexp(r"\S+"), "message": matches_regexp(service)}), f"the reason: {job}"
    )


@then("the report request is refused as invalid, naming the {field}")
def refused(context, field):
    expect.invalid_naming(context.world.answer, *{"dates": ("startDate", "endDate")}.get(field, (field,)))


@then("the analyst is told the job was not found")
def job_not_found(context):
    expect.error(context.world.answer, 404, "JOB_NOT_FOUND")
