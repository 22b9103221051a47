@load
Feature: The stack keeps its promises under load
  For operations and the product owner. Shoppers arrive in waves. Under load the stack must answer
  95 % of requests in under 500 ms (p95 < 500 ms) and fail fewer than 10 % of them. Every answer is
  also checked as it comes back (did it succeed, did it come within 500 ms), and at least 98 % must
  pass each check: a few slow or failed answers are a warning even when the percentiles look fine.
  Users ramp from one number to the next over each stage's duration ("30s→10" is 30 seconds ramping
  to 10 users). Each run measures average, p50, p95, p99 and maximum latency, error rate and
  throughput, per kind of request and overall.

  The short profile runs every time; the contract, spike and soak profiles run when chosen
  (features/README.md, Running it).

  @contract:load-thresholds @contract:load-checks
  Scenario Outline: <profile> load: shoppers <traffic>
    Given shoppers arrive in stages <stages>
    When they <traffic>
    Then the load run meets these thresholds:
      | measure                         | limit         |
      | p95 latency                     | under 500 ms  |
      | error rate                      | under 10 %    |
      | answers that succeeded          | at least 98 % |
      | answers that came within 500 ms | at least 98 % |

    @use.with_load_profile=short
    Examples: a short run, every time
      | profile | stages              | traffic                                                 |
      | short   | 2s→20, 6s→20, 1s→0 | look up products, check stock in bulk and check out     |

    @use.with_load_profile=contract @slow @contract:load-profile
    Examples: the contract's profile (4 minutes)
      | profile  | stages                | traffic                                             |
      | contract | 30s→10, 1m→100, 30s→0 | look up products 123 and 456, a second apart        |
      | contract | 30s→10, 1m→100, 30s→0 | look up products, check stock in bulk and check out |

    @use.with_load_profile=spike @slow
    Examples: a sudden burst well above the steady load
      | profile | stages                                  | traffic                                             |
      | spike   | 10s→20, 5s→200, 15s→200, 10s→20, 5s→0 | look up products, check stock in bulk and check out |

    @use.with_load_profile=soak @slow
    Examples: steady traffic for ten minutes
      | profile | stages                  | traffic                                             |
      | soak    | 30s→50, 10m→50, 30s→0 | look up products, check stock in bulk and check out |
