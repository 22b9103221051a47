@pattern-2
Feature: Order checkout
  For shoppers and the product owner. A checkout checks the stock, prices the order with its
  discounts, reserves the stock and finalizes the price with tax, in that order. A customer pays
  exactly the goods at their list price, less discounts, plus tax at the shop's rate (8.25 % on the
  stacks the suite starts; every order states the rate it was taxed at), and stock is only taken for
  orders that are confirmed. The stock each scenario starts from is set by its first step and put
  back afterwards.

  Rule: A confirmed order is priced correctly and takes its stock

    @use.with_hook.set_stock=yes @use.with_hook.read_price=yes
    @critical @contract:p2-confirmed @contract:p2-total @contract:p2-stock-taken
    Scenario: A customer pays for the goods plus tax, and the units leave the stock
      Given product 123 sells at $29.99 and has 50 units in stock
      And product 456 sells at $49.99 and has 20 units in stock
      When customer cust-789 orders 2 of product 123 and 1 of product 456
      Then the order is confirmed at $119.04: $109.97 of goods plus $9.07 tax at 8.25 %
      And product 123 has 48 units in stock and product 456 has 19

    @use.with_hook.read_price=yes @contract:p2-discount @contract:p2-total
    Scenario: The discount code SAVE10 takes 10 % off the goods, before tax
      Given product 123 sells at $29.99
      When customer cust-789 orders 2 of product 123 with discount code SAVE10
      Then the order is confirmed at $58.43: $59.98 of goods, less $6.00 off, plus $4.45 tax at 8.25 %

    @critical @contract:p2-lookup
    Scenario: A confirmed order reads back unchanged
      Given customer cust-789 has ordered 1 of product 789
      When the customer looks the order up
      Then the customer sees the same order, with the same total

  Rule: An order that cannot be served is refused and takes nothing

    @critical @use.with_hook.set_stock=yes @contract:p2-insufficient
    Scenario: An order for more than the stock is refused
      Given product 123 has 50 units in stock
      When customer cust-789 orders 9999 of product 123
      Then the order is refused because there is not enough stock
      And product 123 still has 50 units in stock

    @error-propagation @use.with_hook.set_stock=yes @contract:p2-invalid
    Scenario: An order that names an unknown product is refused as a whole
      Given product 123 has 50 units in stock
      When customer cust-789 orders 1 of product 123 and 1 of product nonexistent
      Then the order is refused because product nonexistent is unknown
      And product 123 still has 50 units in stock

    @use.with_hook.set_stock=yes @contract:p2-invalid
    Scenario Outline: An order for <quantity> units is refused as invalid
      Given product 123 has 50 units in stock
      When customer cust-789 orders <quantity> of product 123
      Then the order is refused as invalid, naming the quantity
      And product 123 still has 50 units in stock

      Examples:
        | quantity |
        | 0        |
        | -1       |
        | 2.5      |
        | "two"    |
