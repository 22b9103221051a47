@chaos @resilience @pattern-2 @needs-stack-control
Feature: Checkout never leaks or oversells stock, whatever fails
  A checkout reserves the stock before it finalizes the price. When anything fails after the
  reservation, the customer gets an error and the reservation is given back (compensation): stock must
  never be stuck in a reservation nobody paid for, even when a service dies in the middle of an order,
  and never be sold twice, even when many customers buy the last units at the same moment.

  Rule: A checkout that fails after reserving stock gives it back

    Scenario: Inventory is unreachable when the stock should be given back: it is given back later
      Given the current stock of product 123
      And pricing-service cannot be reached to finalize prices
      And inventory-service cannot be reached to give reserved stock back
      When customer "cust-789" orders 2 units of product 123
      Then the order fails because pricing-service could not be reached
      And the stock of product 123 is given back in full once inventory-service is reachable again
      And once the cool-down of any open circuit has passed, product 123 is fully served again

    Scenario: Pricing cannot be reached to finalize the price: the order fails, the stock is as before
      Given the current stock of product 123
      And pricing-service cannot be reached to finalize prices
      When customer "cust-789" orders 2 units of product 123
      Then the order fails because pricing-service could not be reached
      And the stock of product 123 is unchanged

    Scenario: Pricing dies while finalizing the price: the order fails, the stock is as before
      Given the current stock of product 123
      When customer "cust-789" orders 2 units of product 123 and pricing-service dies while finalizing its price
      Then the order fails because pricing-service could not be reached
      And the stock of product 123 is unchanged
      When pricing-service is started again
      Then once the cool-down of any open circuit has passed, product 123 is fully served again

  Rule: Concurrent checkouts never sell more than the stock

    Scenario: 15 customers race for the last 5 units of product 202
      Given product 202 has exactly 5 units available
      When 15 customers each order 1 unit of product 202 at the same time
      Then exactly 5 orders are confirmed and the other 10 are refused for lack of stock
      And product 202 has 0 units available
