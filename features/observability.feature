@observability
Feature: Operators can see what the stack is doing
  For operations. When something goes wrong, operators look through two windows: the metrics every
  service publishes for the monitoring system, and the log lines every service writes. Both must be
  trustworthy: a counter that counts wrong, or a log line that cannot be tied to its request, sends
  people looking in the wrong place. Metric figures here are changes over one scenario, so they hold
  on a stack that has served other traffic before. Metric and log field names are listed in
  features/README.md.

  Rule: Every service publishes metrics a monitoring system can read

    @metrics @contract:obs-metrics
    Scenario Outline: The <service> publishes its metrics in the Prometheus format
      When the operator reads the metrics of the <service>
      Then they parse as Prometheus metrics, with requests counted and timed by method, route and status
      And they include <metrics>

      Examples:
        | service           | metrics                                                                                                                                        |
        | api-gateway       | downstream_requests_total, downstream_retries_total, circuit_breaker_state, circuit_breaker_transitions_total, orders_total, order_units_total |
        | inventory-service | inventory_reservations_total, inventory_units_reserved_total, inventory_units_released_total                                                   |
        | pricing-service   | pricing_quotes_total, pricing_cache_requests_total                                                                                             |

  Rule: Requests are counted and timed exactly once, by route and status, in every service they reach

    @metrics @contract:obs-counts-exact
    Scenario: Product queries are counted in the gateway and in both services it asked
      Given the operator has noted the metrics of every service
      When a shopper looks up product 123 3 times and product nonexistent once
      Then each service counted and timed exactly these new requests
        | service           | request                           | status | requests |
        | api-gateway       | GET /api/v1/products/{product_id} | 200    | 3        |
        | api-gateway       | GET /api/v1/products/{product_id} | 404    | 1        |
        | inventory-service | GET /inventory/{productId}        | 200    | 3        |
        | inventory-service | GET /inventory/{productId}        | 404    | 1        |
        | pricing-service   | GET /prices/{productId}           | 200    | 3        |
        | pricing-service   | GET /prices/{productId}           | 404    | 1        |

  Rule: Business counters match what shoppers did

    @metrics @contract:obs-business
    Scenario: A confirmed and a refused order are counted where they happened
      Given the operator has noted the metrics of every service
      When customer cust-789 orders 2 of product 123 and 1 of product 456
      And customer cust-789 orders 9999 of product 123
      Then the metrics changed by exactly
        | service           | metric                         | labels                     | change |
        | api-gateway       | orders_total                   | outcome=confirmed          | 1      |
        | api-gateway       | orders_total                   | outcome=insufficient_stock | 1      |
        | api-gateway       | order_units_total              |                            | 3      |
        | inventory-service | inventory_reservations_total   | outcome=reserved           | 1      |
        | inventory-service | inventory_units_reserved_total |                            | 3      |
        | inventory-service | inventory_units_released_total |                            | 0      |
        | pricing-service   | pricing_quotes_total           | outcome=created            | 1      |
        | pricing-service   | pricing_quotes_total           | outcome=finalized          | 1      |

  Rule: The gateway's metrics show how its dependencies behave

    @minor @metrics @retry @fixture.stack-recovered @contract:obs-dependencies
    Scenario: Retried calls to a failing pricing-service are counted on the gateway
      Given the operator has noted the metrics of the api-gateway
      When the operator induces a "pricing" failure through the cascade endpoint
      Then the metrics changed by exactly
        | service     | metric                    | labels                                        | change        |
        | api-gateway | downstream_requests_total | dependency=pricing-service                    | every attempt |
        | api-gateway | downstream_requests_total | dependency=pricing-service, outcome=success   | 0             |
        | api-gateway | downstream_requests_total | dependency=inventory-service, outcome=success | 1             |
        | api-gateway | downstream_retries_total  | dependency=pricing-service                    | every retry   |

    @minor @metrics @circuit-breaker @fixture.stack-recovered @contract:obs-dependencies
    Scenario: A circuit that opened and closed again shows in the gateway's metrics
      Given the operator has noted the metrics of the api-gateway
      When the circuit to pricing-service opens under repeated failures and closes again after its cool-down
      Then circuit_breaker_state showed the circuit to pricing-service open, and shows it closed now
      And the metrics changed by exactly
        | service     | metric                            | labels                                      | change |
        | api-gateway | circuit_breaker_transitions_total | dependency=pricing-service, state=open      | 1      |
        | api-gateway | circuit_breaker_transitions_total | dependency=pricing-service, state=half-open | 1      |
        | api-gateway | circuit_breaker_transitions_total | dependency=pricing-service, state=closed    | 1      |

  Rule: Every log line is one JSON object an operator can search

    @logs @needs-logs @contract:obs-logs-structured
    Scenario: Every line every service has logged is structured
      When a shopper looks up product 123
      Then every line each service has logged so far is one JSON object with timestamp, level, service, logger, message, correlation_id, request_id, trace_id and span_id
      And every request line also says method, route, status and duration_ms

    @logs @needs-logs @contract:obs-logs-trace
    Scenario: The lines of one request carry one trace id in all three services
      Given the caller sets its own correlation id and request id
      When a shopper looks up product 123
      Then all the lines with that correlation id carry one trace id, and each service its own span ids

  Rule: Failures are logged where they happen, at the right level; callers never see a stack trace

    @logs @needs-logs @error-propagation @fixture.stack-recovered @contract:obs-errors-logged
    Scenario: A failing dependency is logged as an error by the gateway and by the service that failed
      When the operator induces a "pricing" failure through the cascade endpoint
      Then api-gateway and pricing-service logged the failure at error level with the answer's correlation id
      And the answer reveals nothing of the server's internals

    @logs @needs-logs @hook.simulate-crash @contract:obs-errors-logged @contract:err-shape
    Scenario: An unexpected failure is logged with its stack trace, and the caller gets only the correlation id
      When a request to inventory-service fails unexpectedly
      Then inventory-service logged the failure at error level with the answer's correlation id and its stack trace
      And the caller was told only that something unexpected failed

    @logs @needs-logs @contract:obs-warnings-logged
    Scenario: An order for more than the stock is logged as a warning by inventory-service
      When customer cust-789 orders 9999 of product 123
      Then inventory-service logged a warning with the order's correlation id, naming product 123

  Rule: A hostile header cannot forge or split a log line

    @critical @logs @needs-logs @contract:obs-logs-whole @contract:err-hostile-ids
    Scenario Outline: A correlation id that <trick> leaves every log line whole
      When a shopper sends a correlation id that <trick>
      Then the answer is either refused or carries a newly made correlation id
      And every line each service has logged so far is still one JSON object, and each line about a request names its ids
      And no service logged the smuggled text

      Examples:
        | trick                                            |
        | hides a second line in a folded header           |
        | hides a forged log line behind a tab             |
        | is 10 kilobytes long and hides a forged log line |
        | carries bytes outside plain ASCII                |
