from behave import given, then, when
from hamcrest import assert_that, less_than, less_than_or_equal_to

from hello_dd.harness.load.profile import PROFILE_TAG_PREFIX, profile_from_table, thresholds_from_table
from hello_dd.harness.load.runner import run_load
from hello_dd.harness.test_report import LoadFigures


def _rows(table):
    return [dict(zip(table.headings, row.cells)) for row in table]


@given("shoppers arrive in these stages:")
def stages(context):
    name = next((t.removeprefix(PROFILE_TAG_PREFIX) for t in context.scenario.effective_tags if t.startswith(PROFILE_TAG_PREFIX)), "custom")
    context.world.remembered["profile"] = profile_from_table(name, _rows(context.table))


@when("they look up products, check stock in bulk and check out")
def run(context):
    profile = context.world.remembered["profile"]
    result = run_load(profile, context.world.provider.urls.gateway, context.reports_dir / "load", f"load-{profile.name}")
    context.world.remembered["load"] = result
    overall = result.overall
    context.run_results.load = LoadFigures(
        requests=overall.requests,
        average_ms=overall.average_ms,
        p95_ms=overall.p95_ms,
        p99_ms=overall.p99_ms,
        error_rate=overall.error_rate,
        throughput_rps=overall.throughput_rps,
    )
    context.world.evidence.note(f"load figures ({profile.name})", result.summary())
    context.world.evidence.file(f"load results ({profile.name}).json", result.json_path)
    if result.chart_path:
        context.world.evidence.file(f"latency over time ({profile.name})", result.chart_path)


@then("the load run meets these thresholds:")
def thresholds(context):
    limits = thresholds_from_table(_rows(context.table))
    result = context.world.remembered["load"]
    assert_that(result.overall.p95_ms, less_than_or_equal_to(limits.p95_ms), f"p95 latency (ms)\n{result.summary()}")
    assert_that(result.overall.error_rate, less_than(limits.error_rate), f"error rate\n{result.summary()}")
