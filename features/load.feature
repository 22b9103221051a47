@load
Feature: The stack keeps its promises under load
  Shoppers arrive in waves. Under the traffic of the integration-testing document's k6 profile the
  stack must answer 95 % of requests within 500 ms and fail fewer than 10 % of them, across product
  queries, bulk checks and checkouts - not just one URL. Each run measures average, p50, p95, p99 and
  maximum latency, error rate and throughput, per endpoint and overall.

  A short profile runs every time; the others are chosen with -D load_profile=seed, spike or soak.

  @load-short
  Scenario: Mixed shopping traffic for a short while
    Given shoppers arrive in these stages:
      | duration | users |
      | 5s       | 20    |
      | 15s      | 20    |
      | 5s       | 0     |
    When they look up products, check stock in bulk and check out
    Then the load run meets these thresholds:
      | measure     | limit  |
      | p95 latency | 500 ms |
      | error rate  | 10 %   |

  @load-seed @slow
  Scenario: The integration-testing document's k6 profile
    Given shoppers arrive in these stages:
      | duration | users |
      | 30s      | 10    |
      | 1m       | 100   |
      | 30s      | 0     |
    When they look up products, check stock in bulk and check out
    Then the load run meets these thresholds:
      | measure     | limit  |
      | p95 latency | 500 ms |
      | error rate  | 10 %   |

  @load-spike @slow
  Scenario: A sudden burst well above the steady load
    Given shoppers arrive in these stages:
      | duration | users |
      | 10s      | 20    |
      | 5s       | 200   |
      | 15s      | 200   |
      | 10s      | 20    |
      | 5s       | 0     |
    When they look up products, check stock in bulk and check out
    Then the load run meets these thresholds:
      | measure     | limit  |
      | p95 latency | 500 ms |
      | error rate  | 10 %   |

  @load-soak @slow
  Scenario: Steady traffic for ten minutes
    Given shoppers arrive in these stages:
      | duration | users |
      | 30s      | 50    |
      | 10m      | 50    |
      | 30s      | 0     |
    When they look up products, check stock in bulk and check out
    Then the load run meets these thresholds:
      | measure     | limit  |
      | p95 latency | 500 ms |
      | error rate  | 10 %   |
