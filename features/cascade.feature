@pattern-5 @resilience
Feature: Cascading failures are contained
  When inventory or pricing fails, the gateway must not fail slowly or take the others down with it:
  it retries what is safe to retry, gives up on time, and after repeated failures stops calling the
  failing service for a while (the circuit opens), answering at once instead. The cascade endpoint
  induces these failures on purpose so they can be watched.

  Rule: Each failure is answered within its time budget and names the failing service

    @retry
    Scenario Outline: A <mode> failure is retried, then reported
      When the operator induces a "<mode>" failure through the cascade endpoint
      Then the gateway answers 502 within 3 seconds
      And the answer names <service> as failing after 3 attempts
      And the answer shows the other service healthy
      And the answer shows the circuit to <service> still closed after those 3 failures

      Examples:
        | mode      | service           |
        | inventory | inventory-service |
        | pricing   | pricing-service   |

    @timeout
    Scenario: A dependency that is too slow is given up on after its timeout
      When the operator induces a "timeout" failure through the cascade endpoint
      Then the gateway answers 504 within 3 seconds
      And the answer names inventory-service as failing after 1 attempt

    Scenario: Random failures are always answered within the budget
      When the operator induces 5 "random" failures through the cascade endpoint
      Then every answer came within 3 seconds and reports the state of both services
      And once the cool-down of any open circuit has passed, product 123 is fully served again
      And the gateway reports a closed circuit to inventory-service and to pricing-service

  Rule: Repeated failures open the circuit, which fails fast and then recovers

    @circuit-breaker
    Scenario: Ten concurrent inventory failures open the inventory circuit
      When the operator induces 10 concurrent "inventory" failures through the cascade endpoint
      Then the gateway reports the circuit to inventory-service open
      And looking up product 123 fails fast with the circuit open
      When the operator induces an "inventory" failure through the cascade endpoint
      Then the gateway answers at once that the circuit to inventory-service is open, with a fallback
      And once the cool-down of any open circuit has passed, product 123 is fully served again
      And the gateway reports a closed circuit to inventory-service and to pricing-service
