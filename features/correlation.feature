@correlation
Feature: Correlation ids follow every request
  For support and operations. When something goes wrong, support finds everything one request did, in
  every service, by its correlation id. The caller may choose the id (and a request id of its own); if
  it does not, the gateway makes one. Either way the id comes back on the answer and travels to every
  service the request touched.

  Rule: A caller's ids come back on the answer and follow the request everywhere

    @critical @contract:corr-echoed
    Scenario: The answer carries the caller's correlation id and request id
      Given the caller sets its own correlation id and request id
      When a shopper looks up product 123
      Then the answer carries the same correlation id and request id

    @use.with_service_logs=yes @contract:corr-everywhere
    Scenario Outline: The correlation id of a <request> reaches every service it touched
      Given the caller sets its own correlation id and request id
      When <who> <does>
      Then api-gateway, inventory-service and pricing-service each logged that correlation id
      And the request id finds the request's log lines in all three services

      Examples:
        | request       | who              | does                    |
        | product query | a shopper        | looks up product 123    |
        | checkout      | customer cust-789 | orders 1 of product 456 |

  Rule: A request without a correlation id is given one

    @contract:corr-generated
    Scenario: The gateway makes a new correlation id for every request that has none
      When a shopper looks up product 123 twice without a correlation id
      Then each answer carries a newly made correlation id, different from the other

    @use.with_service_logs=yes @contract:corr-everywhere
    Scenario: The correlation id the gateway made reaches both downstream services
      When a shopper looks up product 123 without a correlation id
      Then all three services logged the correlation id the gateway made
