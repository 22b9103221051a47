"""Load profiles from Gherkin tables, their shape over time, profile selection, and reading Locust's
results (CSV files captured from a real run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hello_dd.harness.load.profile import (
    LoadProfile,
    Stage,
    Thresholds,
    check_profile_name,
    parse_duration,
    parse_stages,
    thresholds_from_table,
    user_class_for,
)
from hello_dd.harness.load.runner import draw_chart, read_stats

FIXTURES = Path(__file__).with_name("fixtures")
CONTRACT_STAGES = "30s→10, 1m→100, 30s→0"


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("1m", 60), ("1m30s", 90), ("10m", 600), (" 5s ", 5)])
def test_durations_read_like_k6s(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "1h", "s", "-5s"])
def test_a_bad_duration_says_what_a_good_one_looks_like(text):
    with pytest.raises(ValueError, match="30s, 1m or 1m30s"):
        parse_duration(text)


def test_the_contract_profile_ramps_linearly_like_k6_stages():
    profile = parse_stages("contract", CONTRACT_STAGES)
    assert profile.seconds == 120
    assert [profile.users_at(t) for t in (0, 15, 29.9, 30, 60, 89.9, 105, 119.9)] == [0, 5, 10, 10, 55, 100, 50, 0]
    assert profile.users_at(120) is None


def test_a_profile_survives_the_trip_to_the_load_process():
    profile = LoadProfile("x", (Stage(5, 20), Stage(10, 0)))
    assert LoadProfile.from_json(profile.to_json()) == profile


def test_stages_may_be_written_with_an_ascii_arrow():
    assert parse_stages("x", "5s->20, 10s -> 0") == LoadProfile("x", (Stage(5, 20), Stage(10, 0)))


@pytest.mark.parametrize("text", ["0s→5", "30s", "30s→ten", "", "30s→10,"])
def test_a_bad_stage_is_refused_saying_what_a_good_one_looks_like(text):
    with pytest.raises(ValueError):
        parse_stages("bad", text)


def test_thresholds_read_from_their_table():
    limits = thresholds_from_table(
        [
            {"measure": "p95 latency", "limit": "500 ms"},
            {"measure": "error rate", "limit": "10 %"},
            {"measure": "answers that came within 500 ms", "limit": "95 %"},
        ]
    )
    assert limits == Thresholds(500, 0.10, (("answers that came within 500 ms", 0.95),))


def test_an_unknown_measure_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="answers that succeeded"):
        thresholds_from_table([{"measure": "p95 latency", "limit": "500 ms"}, {"measure": "p90", "limit": "1 ms"}])


def test_breaches_name_every_threshold_the_figures_broke():
    limits = Thresholds(500, 0.10, (("answers that succeeded", 0.9), ("answers that came within 500 ms", 0.95)))
    assert limits.breaches(400, 0.01, {"answers that succeeded": 0.99, "answers that came within 500 ms": 0.97}) == []
    broken = limits.breaches(650, 0.10, {"answers that succeeded": 0.89, "answers that came within 500 ms": 0.97})
    assert len(broken) == 3 and "p95 latency 650.0 ms" in broken[0] and "answers that succeeded" in broken[2]


def test_the_traffic_a_scenario_names_chooses_the_locust_user():
    assert user_class_for("look up products 123 and 456, a second apart") == "ContractShopper"
    with pytest.raises(ValueError, match="unknown traffic"):
        user_class_for("browse around")


def test_a_missing_threshold_is_named():
    with pytest.raises(ValueError, match="error rate"):
        thresholds_from_table([{"measure": "p95 latency", "limit": "500 ms"}])


def test_locust_results_are_read_per_endpoint_and_overall():
    overall, endpoints = read_stats(FIXTURES / "locust_stats.csv")
    assert overall.name == "overall" and overall.requests == sum(e.requests for e in endpoints)
    assert overall.p50_ms <= overall.p95_ms <= overall.p99_ms <= overall.max_ms
    assert {e.name for e in endpoints} >= {"GET /api/v1/products/{id}"}
    assert overall.error_rate == 0


def test_the_latency_chart_is_a_png(tmp_path):
    png = draw_chart(FIXTURES / "locust_stats_history.csv", tmp_path / "chart.png", "test")
    assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unknown_profile_name_is_refused_naming_the_choices():
    check_profile_name("contract")
    check_profile_name(None)
    with pytest.raises(ValueError, match="short, contract, spike, soak"):
        check_profile_name("nosuch")


def test_thresholds_read_as_worded_and_p95_must_be_under_its_limit():
    limits = thresholds_from_table(
        [
            {"measure": "p95 latency", "limit": "under 500 ms"},
            {"measure": "error rate", "limit": "under 10 %"},
            {"measure": "answers that succeeded", "limit": "at least 98 %"},
        ]
    )
    assert limits == Thresholds(500, 0.10, (("answers that succeeded", 0.98),))
    assert limits.breaches(500, 0.0, {"answers that succeeded": 1.0}) == ["p95 latency 500.0 ms is not below 500 ms"]
    assert limits.breaches(499.9, 0.0, {"answers that succeeded": 1.0}) == []
