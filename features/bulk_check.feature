@pattern-3
Feature: Bulk stock check
  Buyers and storefront pages check many products at once. The gateway splits a large check into
  chunks, checks the chunks in parallel and puts the answers back together: one result per product,
  in product order, whatever the order and repetitions of the request.

  Rule: Every requested product gets exactly one result

    Scenario: The eight catalogue products are checked in one request
      When a buyer checks the stock of products 123, 456, 789, 101, 202, 303, 404, 505
      Then there is one result for each of those products
      And the results are in product id order
      And product 404 is reported out of stock

    @error-propagation
    Scenario: Unknown products are flagged, not dropped
      When a buyer checks the stock of products 123, nonexistent, 456
      Then product nonexistent is flagged as not found
      And products 123 and 456 are reported with their stock

    Scenario: A product asked for twice is checked once
      When a buyer checks the stock of products 456, 123, 456
      Then there is one result for each of products 123 and 456
      And the check reports 1 duplicate

    Scenario: Prices are included for products in stock when asked for
      When a buyer checks the stock and prices of products 123, 404
      Then product 123 is reported with its price
      And product 404 is reported without a price

  Rule: Large checks are bounded and paged

    Scenario: A check of more products than the limit is refused
      When a buyer checks more products than the bulk limit in one request
      Then the check is refused because the batch is too large

    Scenario: A large check comes back page by page
      When a buyer checks 45 catalogue products, 20 per page, asking for page 3
      Then page 3 of 3 holds the last 5 products
