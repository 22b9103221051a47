@durability @chaos @needs-stack-control
Feature: Nothing the shop confirmed is lost when it restarts or crashes
  For shoppers, and for the team that runs the shop. Every shopper reaches the shop through its
  gateway, and the gateway can stop at any moment: a new version is rolled out, or it crashes in the
  middle of the day's busiest minute. Whatever happens to it, a shopper who was told an order is
  confirmed finds that order again with the same total; a shopper who never saw the answer and tries
  again gets one order and pays once; stock set aside for a checkout that never finished goes back on
  the shelf by itself; and a report the team asked for is delivered, not lost.

  Rule: A confirmed order outlives a restart of the shop

    @critical @pattern-2
    Scenario: A shopper's confirmed order is still there after the shop restarts
      Given customer "cust-789" has a confirmed order for 2 units of product 123
      When the shop restarts
      Then the shopper's order reads back as confirmed, with the same total

  Rule: A checkout tried again after a lost answer places one order

    @critical @pattern-2
    Scenario: A shopper who never saw the confirmation tries again and pays once
      Given the current stock of product 456
      And the shopper's checkout of 1 unit of product 456 takes so long that the shopper gives up waiting
      When the shopper tries the same checkout again
      Then the shopper has exactly one order for 1 unit of product 456
      And the stock of product 456 went down by 1 unit, once

  Rule: Stock held for a checkout that never finished goes back on the shelf

    @critical @pattern-2
    Scenario: The shop crashes in the middle of 60 checkouts and every held unit belongs to a confirmed order
      Given product 505 has exactly 100 units available
      When the shop crashes while 60 shoppers each check out 1 unit of product 505, and they all try again once it is back
      Then every shopper has exactly one order
      And within 60 seconds every unit held for product 505 belongs to a confirmed order

  Rule: A report the team asked for is delivered, even across a restart

    @normal @pattern-4
    Scenario: A report requested just before the shop restarts is still delivered
      Given gathering stock figures for reports is slow
      And the team has asked for an inventory summary report
      When the shop restarts before the report is ready
      Then the team receives the inventory summary report
