"""The policy the scenarios read: published by the gateway, or the defaults with -D overrides."""

from __future__ import annotations

import pytest

from hello_dd.harness.policy import Policy

PUBLISHED = {
    "dependencies": {"inventory-service": {"timeoutSeconds": 1.5}, "pricing-service": {"timeoutSeconds": 2.0}},
    "retry": {"attempts": 4, "backoffInitialSeconds": 0.05, "backoffMaxSeconds": 0.5, "budgetSeconds": 4},
    "circuitBreaker": {"failureThreshold": 7, "resetSeconds": 3},
    "bulkCheck": {"maxIds": 150, "chunkSize": 25, "concurrency": 4},
}


def test_the_defaults_are_the_reference_stacks():
    policy = Policy.from_userdata({})
    assert (policy.timeout_seconds, policy.retry_attempts, policy.breaker_failure_threshold) == (1.5, 3, 5)
    assert (policy.breaker_reset_seconds, policy.bulk_max_ids, policy.report_deadline_seconds) == (10.0, 200, 60.0)
    assert policy.time_budget_seconds == 3.0 and policy.retries == 2
    assert policy.source == "defaults"


def test_d_options_override_the_defaults_with_their_own_types():
    policy = Policy.from_userdata({"breaker_reset_seconds": "30", "retry_attempts": "2", "stack": "local"})
    assert policy.breaker_reset_seconds == 30.0 and policy.retry_attempts == 2
    assert policy.source == "-D options"


def test_a_d_option_that_is_not_a_number_is_refused_by_name():
    with pytest.raises(ValueError, match="-D retry_attempts takes a number"):
        Policy.from_userdata({"retry_attempts": "three"})


def test_what_the_gateway_publishes_wins_and_the_longest_timeout_sets_the_budget():
    policy = Policy.from_userdata({"report_deadline_seconds": "90"}).with_published(PUBLISHED)
    assert (policy.timeout_seconds, policy.time_budget_seconds) == (2.0, 4.0)
    assert (policy.retry_attempts, policy.breaker_failure_threshold, policy.breaker_reset_seconds) == (4, 7, 3.0)
    assert (policy.bulk_max_ids, policy.bulk_chunk_size) == (150, 25)
    assert policy.report_deadline_seconds == 90.0  # the gateway does not publish it
    assert "/api/v1/policy" in policy.describe()
