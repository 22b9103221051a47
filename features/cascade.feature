@pattern-5 @fixture.stack-recovered
Feature: Cascading failures are contained
  For the team that runs the shop. When inventory or pricing fails, the gateway must not fail slowly
  or take the others down with it: it retries what is safe to retry, gives up on time, and after
  repeated failures stops calling the failing service for a while (its circuit opens), answering at
  once instead. The cascade endpoint induces these failures on purpose so they can be watched.
  Attempts, timeouts, the failure threshold, the cool-down and the time budget are in
  features/README.md and are read from the running gateway.

  Rule: Each failure is answered within the time budget and names the failing service

    @retry @contract:p5-failure-reported
    Scenario Outline: An induced <mode> failure is retried, then reported
      When the operator induces a "<mode>" failure through the cascade endpoint
      Then the gateway answers 502 within the time budget
      And the answer names <service> as failing after every attempt, and the other service as healthy
      And the circuit to <service> stays closed, the attempts being fewer than the failure threshold

      Examples:
        | mode      | service           |
        | inventory | inventory-service |
        | pricing   | pricing-service   |

    @timeout @contract:p5-timeout
    Scenario: A dependency that is too slow is given up on after its timeout, without a retry
      When the operator induces a "timeout" failure through the cascade endpoint
      Then the gateway answers 504 within the time budget
      And the answer names inventory-service as too slow after 1 attempt

    @contract:p5-random
    Scenario: Random failures are always answered within the time budget
      When the operator induces 5 "random" failures through the cascade endpoint
      Then every answer came within the time budget and reports the state of both services

  Rule: Repeated failures open the circuit, which fails fast, then tries again and closes

    @circuit-breaker @critical @contract:p5-circuit-opens
    Scenario: Ten concurrent inventory failures open the circuit to inventory-service
      When the operator induces 10 concurrent "inventory" failures through the cascade endpoint
      Then the gateway reports the circuit to inventory-service open
      And product lookups fail at once because the circuit is open

    @circuit-breaker @contract:p5-circuit-opens
    Scenario: An open circuit answers at once with a fallback, without calling the dependency
      Given the circuit to inventory-service has been opened by repeated failures
      When the operator induces an "inventory" failure through the cascade endpoint
      Then the gateway answers at once that the circuit to inventory-service is open, with a fallback

    @circuit-breaker @critical @contract:p5-circuit-recovers
    Scenario: After its cool-down the circuit half-opens, and a successful trial closes it
      Given the circuit to inventory-service has been opened by repeated failures
      When the circuit's cool-down has passed
      Then the gateway reports the circuit to inventory-service half-open, no sooner than the cool-down after it opened
      And the next lookup of product 123 is served in full and closes the circuit
