@pattern-3
Feature: Bulk stock check
  For buyers and storefront pages, which check many products at once. The gateway splits a large
  check into chunks, checks the chunks in parallel and puts the answers back together: one result per
  product, in product order, whatever the order and repetitions of the request. The bulk limit
  (200 products) and the chunk size (20 products) are checked against the running gateway's policy.

  Rule: Every requested product gets exactly one result

    @contract:p3-one-result-each
    Scenario: The eight catalogue products are checked in one request
      When a buyer checks the stock of products 123, 456, 789, 101, 202, 303, 404, 505
      Then there is one result for each of those products, in product order
      And product 404 is reported out of stock

    @error-propagation @contract:p3-unknown
    Scenario: Unknown products are flagged, not dropped
      When a buyer checks the stock of products 123, nonexistent, 456
      Then product nonexistent is flagged as not found
      And products 123 and 456 are reported with their stock

    @contract:p3-one-result-each
    Scenario: A product asked for twice is checked once
      When a buyer checks the stock of products 456, 123, 456
      Then there is one result for each of products 123 and 456, and 1 duplicate is reported

    @use.with_hook.read_price=yes @contract:p3-pricing
    Scenario: Prices come with the products that are in stock
      When a buyer checks the stock and prices of products 123, 404
      Then product 123 is reported with its price
      And product 404 is reported without a price

  Rule: Large checks are bounded and paged

    @contract:p3-limit
    Scenario: A check of 201 products, one more than the limit of 200, is refused
      When a buyer checks 201 products at once, against a limit of 200
      Then the check is refused as too large, stating the limit of 200

    @use.with_hook.list_stock=yes @contract:p3-paging
    Scenario: A check of 45 products comes back in 3 pages of up to 20
      When a buyer checks the first 45 catalogue products, 20 per page, asking for page 3
      Then page 3 of 3 holds the last 5 products

  Rule: A failure for some products is reported for those products only

    @use.with_stack_control=yes @fixture.stack-recovered @use.with_hook.list_stock=yes
    @contract:p3-partial
    Scenario: When one chunk of 20 products cannot be read, the other 25 products are still answered
      Given inventory-service fails whenever it is asked about product 1020
      When a buyer checks the first 45 catalogue products, in chunks of 20
      Then the check is answered as partial
      And the 20 products checked with product 1020 are flagged as not checked; the 25 others are answered
