@durability @needs-stack-control
Feature: Nothing the shop confirmed is lost when it restarts or crashes
  For shoppers, and for the team that runs the shop. Every customer reaches the shop through its
  gateway, and the gateway can stop at any moment: a new version is rolled out, or it crashes in the
  middle of the day's busiest minute. Whatever happens to it, a customer who was told an order is
  confirmed finds that order again with the same total; a customer who never saw the answer and tries
  again gets one order and pays once; stock set aside for a checkout that never finished goes back on
  the shelf by itself; and a report an analyst asked for is delivered, not lost.

  Rule: A confirmed order outlives a restart of the shop

    @critical @contract:dur-orders-kept
    Scenario: A customer's confirmed order is still there after the shop restarts
      Given customer cust-789 has ordered 2 of product 123
      When the shop restarts
      Then the customer finds the same order, with the same total

  Rule: A checkout tried again after a lost answer places one order

    @critical @contract:dur-idempotent
    Scenario: A customer who never saw the confirmation tries again and pays once
      Given product 456 has 50 units in stock
      And customer cust-789 gave up waiting for the answer to an order of 1 of product 456
      When the customer tries the same order again
      Then the customer has the one order the first try placed
      And product 456 has 49 units in stock

  Rule: Stock held for a checkout that never finished goes back on the shelf

    @critical @contract:dur-crash-safe @contract:dur-idempotent
    Scenario: The shop crashes in the middle of 60 checkouts and every held unit belongs to a confirmed order
      Given product 505 has 100 units in stock
      When the shop crashes while 60 customers each order 1 of product 505, and they all try again once it is back
      Then every customer has exactly one order
      And within 60 seconds the only units held for product 505 are those of the 60 orders

  Rule: A report an analyst asked for is delivered, even across a restart

    @contract:dur-reports-kept
    Scenario: A report requested just before the shop restarts is still delivered
      Given gathering stock figures for reports is slow
      And an analyst has requested an inventory summary report for 2024-01-01 to 2024-12-31
      When the shop restarts before the report is ready
      Then the job completes with a result within the report deadline
