"""Load (load.feature): stages and thresholds from the scenario, run by Locust (harness.load), and the
figures kept for the test report."""

from behave import given, then, when
from hamcrest import assert_that, equal_to

from hello_dd.harness.load.distribution import LoadDistribution
from hello_dd.harness.load.profile import parse_stages, thresholds_from_table, user_class_for
from hello_dd.harness.load.runner import run_load


@given("shoppers arrive in stages {stages}")
def stages(context, stages):
    name = context.active_outline["profile"] if context.active_outline else "custom"
    context.world.load_profile = parse_stages(name, stages)


@when("they {traffic}")
def run(context, traffic):
    world = context.world
    profile = world.load_profile
    label = f"load-{profile.name}-{user_class_for(traffic).lower()}"
    distribution = LoadDistribution.from_userdata(context.config.userdata)  # -D load_workers=N, docs/scaling.md
    result = run_load(
        profile,
        world.provider.urls.gateway,
        context.reports_dir / "load",
        label,
        user_class=user_class_for(traffic),
        distribution=distribution,
    )
    world.load_result = result
    world.evidence.note(f"load figures ({label})", result.summary())
    world.evidence.file(f"load results ({label}).json", result.json_path)
    if result.chart_path:
        world.evidence.file(f"latency and users over time ({label})", result.chart_path)


@then("the load run meets these thresholds:")
def meets_thresholds(context):
    limits = thresholds_from_table(
        [dict(zip(context.table.headings, row.cells, strict=False)) for row in context.table]
    )
    result = context.world.load_result
    context.run_results.add_load(result, limits)
    breaches = limits.breaches(result.overall.p95_ms, result.overall.error_rate, result.check_shares)
    assert_that(breaches, equal_to([]), f"thresholds ({limits.describe()}) broken\n{result.summary()}")
