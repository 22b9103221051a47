@observability
Feature: Operators can see what the stack is doing
  When something goes wrong, operators look through two windows: the metrics every service publishes
  for the monitoring system, and the log lines every service writes. Both must be trustworthy - a
  counter that counts wrong, or a log line that cannot be tied to its request, sends people looking
  in the wrong place. Metric figures here are changes measured over one scenario, so they hold on a
  stack that has served other traffic before.

  Rule: Every service publishes metrics a monitoring system can read

    @metrics
    Scenario Outline: The <service> publishes its metrics in the Prometheus format
      When the operator reads the metrics of the <service>
      Then they parse as Prometheus metrics, with requests counted and timed by method, route and status
      And they include <metrics>

      Examples:
        | service           | metrics                                                                                                                         |
        | api-gateway       | downstream_requests_total, downstream_retries_total, circuit_breaker_state, circuit_breaker_transitions_total, orders_total, order_units_total |
        | inventory-service | inventory_reservations_total, inventory_units_reserved_total, inventory_units_released_total                                    |
        | pricing-service   | pricing_quotes_total, pricing_cache_requests_total                                                                              |

  Rule: Requests are counted and timed exactly once, by route and status, in every service they reach

    @metrics
    Scenario: Product queries are counted in the gateway and in both services it asked
      Given the operator has noted the metrics of every service
      When a shopper looks up product 123 3 times
      And a shopper looks up product nonexistent
      Then the services' metrics count exactly these new requests, each timed once in the latency histogram
        | service           | method | route                         | status | requests |
        | api-gateway       | GET    | /api/v1/products/{product_id} | 200    | 3        |
        | api-gateway       | GET    | /api/v1/products/{product_id} | 404    | 1        |
        | inventory-service | GET    | /inventory/{productId}        | 200    | 3        |
        | inventory-service | GET    | /inventory/{productId}        | 404    | 1        |
        | pricing-service   | GET    | /prices/{productId}           | 200    | 3        |
        | pricing-service   | GET    | /prices/{productId}           | 404    | 1        |

  Rule: Business counters match what shoppers did

    @metrics
    Scenario: A confirmed and a refused order are counted where they happened
      Given the operator has noted the metrics of every service
      When customer "cust-789" orders:
        | product | quantity |
        | 123     | 2        |
        | 456     | 1        |
      And customer "cust-789" orders 9999 units of product 123
      Then the metrics changed by exactly
        | service           | metric                         | labels                      | change |
        | api-gateway       | orders_total                   | outcome=confirmed           | 1      |
        | api-gateway       | orders_total                   | outcome=insufficient_stock  | 1      |
        | api-gateway       | order_units_total              |                             | 3      |
        | inventory-service | inventory_reservations_total   | outcome=reserved            | 1      |
        | inventory-service | inventory_units_reserved_total |                             | 3      |
        | inventory-service | inventory_units_released_total |                             | 0      |
        | pricing-service   | pricing_quotes_total           | outcome=created             | 1      |
        | pricing-service   | pricing_quotes_total           | outcome=finalized           | 1      |

  Rule: The gateway's metrics show how its dependencies behave

    @metrics
    Scenario: Retried calls to a failing pricing-service are counted on the gateway
      Given the operator has noted the metrics of the api-gateway
      When the operator induces a "pricing" failure through the cascade endpoint
      Then the metrics changed by exactly
        | service     | metric                    | labels                                               | change |
        | api-gateway | downstream_requests_total | dependency=pricing-service, outcome=DependencyFailed | 3      |
        | api-gateway | downstream_requests_total | dependency=inventory-service, outcome=success        | 1      |
        | api-gateway | downstream_retries_total  | dependency=pricing-service                           | 2      |

    @metrics
    Scenario: A circuit that opens and closes again shows in the gateway's metrics
      Given the operator has noted the metrics of the api-gateway
      When the operator induces 10 concurrent "pricing" failures through the cascade endpoint
      And the operator reads the metrics of the api-gateway
      And the circuit's cool-down passes and product 123 is fully served again
      Then the metrics read during the failures showed the circuit to pricing-service open
      And the api-gateway's metrics show the circuit to pricing-service closed
      And the metrics changed by exactly
        | service     | metric                            | labels                                     | change |
        | api-gateway | circuit_breaker_transitions_total | dependency=pricing-service, state=open      | 1      |
        | api-gateway | circuit_breaker_transitions_total | dependency=pricing-service, state=half-open | 1      |
        | api-gateway | circuit_breaker_transitions_total | dependency=pricing-service, state=closed    | 1      |

  Rule: Every log line is one JSON object an operator can search

    @logs @needs-logs
    Scenario: Every line every service has logged so far is structured
      When a shopper looks up product 123
      Then every line each service has logged so far is one JSON object with timestamp, level, service, logger, message, correlation_id, request_id, trace_id and span_id
      And every request line also says method, route, status and duration_ms

  Rule: One request's lines can be found in every service it reached

    @logs @needs-logs
    Scenario: A product query's lines share its correlation id and its trace id in all three services
      Given a shopper's request carries its own correlation id and request id
      When the shopper looks up product 123
      Then api-gateway, inventory-service and pricing-service each logged that correlation id
      And all the lines with that correlation id carry one trace id, and each service its own span ids
      And the request id finds the request's log lines in all three services

  Rule: Failures are logged as errors with the correlation id; callers never see a stack trace

    @logs @needs-logs
    Scenario: A failing dependency is logged as an error by the gateway and by the service that failed
      When the operator induces a "pricing" failure through the cascade endpoint
      Then the gateway answers 502 within 3 seconds
      And the answer reveals nothing of the server's internals
      And api-gateway and pricing-service logged the failure at error level with the answer's correlation id

    @logs @needs-logs
    Scenario: An unexpected failure is logged with its stack trace, and the caller gets only the correlation id
      When a request to inventory-service fails unexpectedly
      Then the caller was told only that something unexpected failed
      And inventory-service logged the failure at error level with the answer's correlation id and its stack trace

  Rule: A hostile correlation id cannot forge or split a log line

    @logs @needs-logs
    Scenario Outline: A correlation id that <trick> leaves every log line whole
      When a shopper sends a correlation id that <trick>
      Then the answer is either refused by the server or carries a newly made correlation id
      And every line each service has logged so far is still one JSON object, and each line about a request names its ids
      And no service logged the smuggled text

      Examples:
        | trick                                            |
        | hides a second line in a folded header           |
        | hides a forged log line behind a tab             |
        | is 10 kilobytes long and hides a forged log line |
