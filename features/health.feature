@health
Feature: Every service reports its health
  For operations. Load balancers and operators decide where traffic goes from each service's health
  check, and a run of this specification begins only once all three services report healthy. A service
  that cannot say it is healthy is treated as down.

  @critical @contract:health-services
  Scenario Outline: The <service> reports that it is healthy
    When the operator checks the health of the <service>
    Then the <service> reports itself healthy

    Examples:
      | service           |
      | api-gateway       |
      | inventory-service |
      | pricing-service   |

  @contract:health-dependencies
  Scenario: The gateway reports the state of its circuit to each dependency
    When the operator checks the health of the api-gateway
    Then the gateway reports a closed circuit to inventory-service and to pricing-service
