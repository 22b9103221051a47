@pattern-1
Feature: Product query
  For shoppers and the product owner. A product page needs the product's stock and its price in one
  answer. The shop asks the stock-keeping service (inventory-service) and the pricing service
  (pricing-service) at the same time, so the page is as quick as the slower of the two, and what it
  shows is exactly what those two services hold. The products and their prices are listed in the
  catalogue (features/README.md).

  Rule: A product page shows stock and price together, as the services hold them

    @critical @use.with_hook.read_stock=yes @use.with_hook.read_price=yes
    @contract:p1-one-answer @contract:p1-agrees
    Scenario Outline: A shopper sees the stock and the price of product <product>
      When a shopper looks up product <product>
      Then the page shows the stock inventory-service holds for product <product>
      And the page shows the price pricing-service holds for product <product>

      Examples:
        | product |
        | 123     |
        | 456     |
        | 789     |

    @contract:p1-out-of-stock
    Scenario: A product that has run out is shown as out of stock
      When a shopper looks up the Notebook Stand (product 404)
      Then the product is shown as out of stock

    @minor @use.with_hook.read_price=yes @contract:p1-currency
    Scenario: A shopper sees prices in euros, converted at the published rate
      Given product 123 sells at $29.99 and pricing-service converts dollars at 0.92 euros each
      When a shopper looks up product 123 priced in EUR
      Then the price is shown as 27.59 EUR

  Rule: An unknown product is reported as not found

    @error-propagation @contract:p1-not-found
    Scenario: A shopper asks for a product that does not exist
      When a shopper looks up product nonexistent
      Then the shopper is told the product was not found, with a reference to quote to support
