@observability
Feature: Operators can see what the stack is doing
  For operations: the operator on call. When something goes wrong, the operator looks through two
  windows: the metrics every service publishes for the monitoring system, and the log lines every
  service writes. From them the operator finds out which requests failed and why, how slow they
  were, whether a dependency is down, and which log lines belong to one request. A counter that
  counts wrong, or a log line that cannot be tied to its request, sends people looking in the wrong
  place. Counts here are changes over one scenario, so they hold on a stack that has served other
  traffic before. The metric names, their labels and the log fields are listed in docs/contract.md
  (Observability) and docs/operations.md; the steps check exactly those.

  Rule: Every service publishes metrics a monitoring system can read

    @metrics @contract:obs-metrics
    Scenario Outline: The <service> publishes how many requests it served, how fast, and its own counts
      When the operator reads the metrics of the <service>
      Then the monitoring system can read them, every request counted and timed by route and outcome
      And they include the <service>'s own metrics listed in the contract

      Examples:
        | service           |
        | api-gateway       |
        | inventory-service |
        | pricing-service   |

  Rule: Requests are counted and timed exactly once, by route and outcome, in every service they reach

    @metrics @contract:obs-counts-exact
    Scenario: Product lookups are counted once in the gateway and in both services it asked
      Given the operator has noted the metrics of every service
      When a shopper looks up product 123 3 times and an unknown product once
      Then each service counted and timed 3 lookups that found the product and 1 that did not

  Rule: Business counters match what shoppers did

    @metrics @contract:obs-business
    Scenario: A confirmed and a refused order are counted where they happened
      Given the operator has noted the metrics of every service
      When customer cust-789 orders 2 of product 123 and 1 of product 456, then 9999 of product 123
      Then the business counters changed by exactly
        | what the operator counts         | change |
        | orders confirmed                 | 1      |
        | orders refused for lack of stock | 1      |
        | units ordered                    | 3      |
        | stock reservations made          | 1      |
        | units reserved                   | 3      |
        | units released                   | 0      |
        | price quotes made                | 1      |
        | price quotes finalized           | 1      |

  Rule: The gateway's metrics show whether a dependency is down

    The retries and the circuit themselves are proved in cascade.feature; here, what the operator
    sees of them.

    @minor @metrics @retry @fixture.stack-recovered @contract:obs-dependencies
    Scenario: Each failed call to pricing-service and each retry is counted on the gateway
      Given the operator has noted the metrics of the api-gateway
      When the gateway's cascade check finds pricing-service failing on each of its 3 attempts
      Then the gateway counted 3 failed calls to pricing-service, 2 retries, and 1 good one to inventory

    @minor @metrics @circuit-breaker @fixture.stack-recovered @contract:obs-dependencies
    Scenario: A circuit that opened and closed again shows in the gateway's metrics
      Given the operator has noted the metrics of the api-gateway
      And the gateway's metrics have shown the circuit to pricing-service open
      When the circuit to pricing-service has closed again after its cool-down
      Then the gateway's metrics show it closed, having opened, half-opened and closed once each

  Rule: Every log line can be searched, and tied to its request

    @logs @use.with_service_logs=yes @contract:obs-logs-structured
    Scenario: Every line every service has logged is a searchable record
      When a shopper looks up product 123
      Then every line each service has logged is a record with the fields listed in the contract
      And every line about a request also says its route, outcome and how long it took

    @logs @use.with_service_logs=yes @contract:obs-logs-trace
    Scenario: The lines of one request carry one trace id in all three services
      Given the caller sets its own correlation id and request id
      When a shopper looks up product 123
      Then all the lines with that correlation id carry one trace id, and each service its own span ids

  Rule: Failures are logged where they happen, at the right level; callers never see a stack trace

    @logs @use.with_service_logs=yes @error-propagation @fixture.stack-recovered
    @contract:obs-errors-logged
    Scenario: A failing dependency is logged as an error by the gateway and by the service that failed
      When the gateway's cascade check finds pricing-service failing
      Then api-gateway and pricing-service logged it as an error under the answer's correlation id
      And the answer reveals nothing of the server's internals

    @logs @use.with_service_logs=yes @use.with_hook.simulate_crash=yes
    @contract:obs-errors-logged @contract:err-shape
    Scenario: An unexpected failure is logged with its stack trace; the caller gets only the correlation id
      When a request to inventory-service fails unexpectedly
      Then inventory-service logged the failure as an error with its stack trace, under its correlation id
      And the caller was told only that something unexpected failed

    @logs @use.with_service_logs=yes @contract:obs-warnings-logged
    Scenario: An order for more than the stock is logged as a warning by inventory-service
      When customer cust-789 orders 9999 of product 123
      Then inventory-service logged a warning with the order's correlation id, naming product 123

  Rule: A hostile correlation id cannot forge or split a log line

    What the caller gets back for such an id (a new one, never its own) is in error_handling.feature.

    @critical @logs @use.with_service_logs=yes @contract:obs-logs-whole
    Scenario Outline: A correlation id that <trick> leaves every log line whole
      When a shopper sends a correlation id that <trick>
      Then every line each service has logged is still a whole record tied to its request
      And no service logged the smuggled text

      Examples:
        | trick                                            |
        | hides a second line in a header split over lines |
        | hides a forged log line behind a tab             |
        | is 10 kilobytes long and hides a forged log line |
        | carries bytes outside plain ASCII                |
