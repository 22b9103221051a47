@pattern-1
Feature: Product query
  A shopper looking at a product page needs its stock and its price in one answer. The gateway asks
  inventory and pricing at the same time, so the page is as quick as the slower of the two, not
  their sum, and what it shows is exactly what those two services hold.

  Rule: A product page shows stock and price together

    Scenario: A shopper looks up a product
      When a shopper looks up product 123
      Then the product is shown with its stock and its price

    Scenario Outline: The product page agrees with the services that own the data
      When a shopper looks up product <product>
      Then the stock shown is what inventory-service holds for product <product>
      And the price shown is what pricing-service holds for product <product>

      Examples:
        | product |
        | 123     |
        | 456     |
        | 789     |

    Scenario: A product that has run out is shown as out of stock
      When a shopper looks up product 404
      Then the product is shown as out of stock

    Scenario: A shopper sees prices in another currency
      When a shopper looks up product 123 priced in EUR
      Then the price is shown in EUR

  Rule: An unknown product is reported as not found

    @error-propagation
    Scenario: A shopper asks for a product that does not exist
      When a shopper looks up product nonexistent
      Then the shopper is told the product was not found
      And the answer carries the request's correlation id
