@pattern-2
Feature: Order checkout
  Checkout runs in sequence: check stock, price the order with its discounts, reserve the stock, and
  finalize the price with tax. A customer pays exactly the priced lines minus discounts plus tax, and
  stock is only taken for orders that are confirmed.

  Rule: A confirmed order is priced correctly and takes its stock

    Scenario: A customer checks out two products
      Given the current stock of products 123 and 456
      When customer "cust-789" orders:
        | product | quantity |
        | 123     | 2        |
        | 456     | 1        |
      Then the order is confirmed with an order id and a total
      And the total is the priced lines minus discounts plus tax
      And 2 units of product 123 and 1 unit of product 456 are now reserved

    Scenario: A discount code lowers the total
      When customer "cust-789" orders 2 units of product 123 with discount code "SAVE10"
      Then the order is confirmed with an order id and a total
      And the order has a discount of 10% of its subtotal
      And the total is the priced lines minus discounts plus tax

    Scenario: A confirmed order can be looked up again
      When customer "cust-789" orders 1 unit of product 789
      Then the order is confirmed with an order id and a total
      And looking the order up again gives the same order

  Rule: An order that cannot be served is refused and takes nothing

    Scenario: An order for more than the stock is refused
      Given the current stock of product 123
      When customer "cust-789" orders 9999 units of product 123
      Then the order is refused because there is not enough stock
      And the stock of product 123 is unchanged

    @error-propagation
    Scenario: An order for an unknown product is refused
      Given the current stock of product 123
      When customer "cust-789" orders:
        | product     | quantity |
        | 123         | 1        |
        | nonexistent | 1        |
      Then the order is refused because product nonexistent is unknown
      And the stock of product 123 is unchanged

    Scenario Outline: An order with an invalid quantity is refused
      Given the current stock of product 123
      When customer "cust-789" orders <quantity> units of product 123
      Then the order is refused as invalid, naming the quantity
      And the stock of product 123 is unchanged

      Examples:
        | quantity |
        | 0        |
        | -1       |
        | 2.5      |
        | "two"    |
