@health
Feature: Every service reports its health
  Load balancers and operators decide where traffic goes from each service's health endpoint, and a
  test run only begins once all three services answer. A service that cannot say it is healthy is
  treated as down.

  Scenario Outline: The <service> reports that it is healthy
    When the operator checks the health of the <service>
    Then the <service> reports itself healthy

    Examples:
      | service           |
      | api-gateway       |
      | inventory-service |
      | pricing-service   |

  Scenario: The gateway reports the state of its dependencies
    When the operator checks the health of the api-gateway
    Then the gateway reports a closed circuit to inventory-service and to pricing-service
