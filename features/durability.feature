@durability
Feature: Nothing the shop confirmed is lost when it restarts or crashes
  For shoppers, and for the team that runs the shop. Every customer reaches the shop through its
  gateway, and the gateway can stop at any moment: a new version is rolled out, or it crashes in the
  middle of the day's busiest minute. Whatever happens to it, a customer who was told an order is
  confirmed finds that order again with the same total; a customer who never saw the answer and tries
  again gets one order and pays once; stock set aside for a checkout that never finished goes back on
  the shelf by itself; and a report an analyst asked for is delivered, not lost.

  Rule: A request sent again with its idempotency key is carried out once
    A shop's app that gets no answer sends the same request again, with the same idempotency key,
    sometimes several times at once. However often it arrives, it makes one order (one report job),
    and a key is never used for another order.

    @critical @contract:dur-idempotent
    Scenario: A customer's order sent twice with one key is placed once
      Given product 456 is in stock
      And customer cust-789 has ordered 2 of product 456 with an idempotency key
      When the customer sends the same order again with the same key
      Then the customer is given the order the first one placed
      And 2 units of product 456 were taken from the stock, once

    @contract:dur-idempotent
    Scenario: A key already used for one order is refused for another
      Given product 123 is in stock
      And customer cust-789 has ordered 1 of product 123 with an idempotency key
      When the customer sends an order of 3 of product 123 with the same key
      Then the order is refused because its key belongs to another order
      And 1 unit of product 123 was taken from the stock, once

    @critical @contract:dur-idempotent
    Scenario: One order sent 20 times at once with one key is placed once
      Given product 789 is in stock
      When customer cust-789's order of 1 of product 789 arrives 20 times at once with one key
      Then every answer is the same order, or says that order is still being placed
      And 1 unit of product 789 was taken from the stock, once

    @contract:dur-idempotent
    Scenario: One report request sent 20 times at once with one key starts one report
      When an analyst's request for an inventory summary report arrives 20 times at once with one key
      Then every answer is the same report job, or says that job is still being started

  Rule: A confirmed order outlives a restart of the shop

    @critical @use.with_stack_control=yes @contract:dur-orders-kept
    Scenario: A customer's confirmed order is still there after the shop restarts
      Given customer cust-789 has ordered 2 of product 123
      When the shop restarts
      Then the customer finds the same order, with the same total

  Rule: A checkout tried again after a lost answer places one order

    @critical @use.with_stack_control=yes @use.with_hook.set_stock=yes @contract:dur-idempotent
    Scenario: A customer who never saw the confirmation tries again and pays once
      Given product 456 has 50 units in stock
      And customer cust-789 gave up waiting: pricing-service held up an order of 1 of product 456
      When the customer tries the same order again
      Then the customer has the one order the first try placed
      And product 456 has 49 units in stock

  Rule: Stock held for a checkout that never finished goes back on the shelf

    @critical @use.with_stack_control=yes @use.with_hook.set_stock=yes @use.with_hook.read_stock=yes
    @contract:dur-crash-safe @contract:dur-idempotent
    Scenario: The shop crashes in the middle of 60 checkouts and every held unit belongs to a confirmed order
      Given product 505 has 100 units in stock
      When the shop crashes while 60 customers order 1 of product 505, and each tries again
      Then every customer has exactly one order
      And within 60 seconds the only units held for product 505 are those of the 60 orders

  Rule: A report an analyst asked for is delivered, even across a restart

    @use.with_stack_control=yes @contract:dur-reports-kept
    Scenario: A report requested just before the shop restarts is still delivered
      Given gathering stock figures for reports is slow
      And an analyst has requested an inventory summary report for 2024-01-01 to 2024-12-31
      When the shop restarts before the report is ready
      Then the job completes with a result within the report deadline
