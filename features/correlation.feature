@correlation
Feature: Correlation ids follow every request
  When something goes wrong, support finds everything one request did - in every service - by its
  correlation id. The caller may choose the id; if it does not, the gateway makes one. Either way the
  id comes back on the response and travels to every service the request touched.

  Rule: A caller's correlation id and request id follow the request everywhere

    Scenario: A product query keeps the caller's ids
      Given a shopper's request carries its own correlation id and request id
      When the shopper looks up product 123
      Then the response carries the same correlation id and request id

    @needs-logs
    Scenario: Both downstream services see the caller's ids
      Given a shopper's request carries its own correlation id and request id
      When the shopper looks up product 123
      Then api-gateway, inventory-service and pricing-service each logged that correlation id
      And the request id finds the request's log lines in all three services

    @needs-logs
    Scenario: A checkout carries the correlation id through every step
      Given a shopper's request carries its own correlation id and request id
      When the shopper orders 1 unit of product 456
      Then the order is confirmed with an order id and a total
      And api-gateway, inventory-service and pricing-service each logged that correlation id

  Rule: A request without a correlation id gets one

    Scenario: The gateway makes a correlation id when the caller sends none
      When a shopper looks up product 123 without a correlation id
      Then the response carries a newly made correlation id
      And another request without a correlation id is given a different one

    @needs-logs
    Scenario: The correlation id the gateway made reaches both downstream services
      When a shopper looks up product 123 without a correlation id
      Then api-gateway, inventory-service and pricing-service each logged the correlation id the gateway made
