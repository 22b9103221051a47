@chaos @fixture.stack-recovered @use.with_hook.set_stock=yes
Feature: Checkout never leaks or oversells stock, whatever fails
  For the product owner and the team that runs the shop. A checkout reserves the stock before it
  finalizes the price. When anything fails after the reservation, the customer gets an error and the
  reservation is given back: stock must never stay held for an order nobody paid for, even when a
  service dies in the middle of an order, and must never be sold twice, even when many customers buy
  the last units at the same moment. The scenarios about failures really cut the connections between
  the services or stop a service in the middle of an order, and put everything right again afterwards.

  @use.with_stack_control=yes
  Rule: A checkout that fails after reserving stock gives the stock back

    @critical @contract:p2-compensation
    Scenario: Pricing cannot be reached to finalize the price: the order fails and the stock is as before
      Given product 123 has 50 units in stock
      And pricing-service cannot be reached to finalize prices
      When customer cust-789 orders 2 of product 123
      Then the order fails because pricing-service could not be reached
      And product 123 still has 50 units in stock

    @critical @contract:p2-compensation
    Scenario: Pricing dies while finalizing the price: the order fails and the stock is as before
      Given product 123 has 50 units in stock
      When customer cust-789 orders 2 of product 123 and pricing-service dies while finalizing its price
      Then the order fails because pricing-service could not be reached
      And product 123 still has 50 units in stock

    @critical @use.with_hook.read_stock=yes @contract:p2-compensation
    Scenario: Stock that cannot be given back at once is given back once inventory-service is reachable
      Given product 123 has 50 units in stock
      And pricing-service cannot be reached to finalize prices
      And inventory-service cannot be reached to give reserved stock back
      When customer cust-789 orders 2 of product 123
      Then product 123 has 48 units in stock while inventory-service cannot be reached
      And product 123 has 50 units in stock again once inventory-service is reachable

    @critical @retry @contract:p2-no-double-reservation
    Scenario: A reservation whose answer is lost is not made twice, and is given back
      Given product 123 has 50 units in stock
      And inventory-service's answer to the next reservation is lost on the way back
      When customer cust-789 orders 1 of product 123
      Then the order fails because inventory-service could not be reached
      And inventory-service made exactly one reservation for it, which was given back
      And product 123 still has 50 units in stock

  Rule: Concurrent checkouts never sell more than the stock

    @critical @contract:p2-no-oversell
    Scenario: 15 customers race for the last 5 units of product 202
      Given product 202 has 5 units in stock
      When 15 customers each order 1 of product 202 at the same time
      Then 5 orders are confirmed and 10 are refused for lack of stock
      And product 202 has 0 units in stock
