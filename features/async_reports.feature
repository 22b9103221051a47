@pattern-4
Feature: Asynchronous reports
  Reports gather data from inventory and pricing and can take a while, so they run in the background:
  the analyst gets a job id at once and follows the job until it has finished, with a result or a
  reason it failed.

  Rule: A report request is accepted at once and completes in the background

    Scenario Outline: An analyst gets a <report type> report
      When an analyst requests a "<report type>" report for 2024-01-01 to 2024-12-31
      Then the request is accepted with a job to follow
      And the job completes with a result within 60 seconds

      Examples:
        | report type       |
        | inventory_summary |
        | pricing_summary   |
        | sales_summary     |

    Scenario: The inventory summary accounts for the whole catalogue
      When an analyst requests a "inventory_summary" report for 2024-01-01 to 2024-12-31
      And the job completes with a result within 60 seconds
      Then the report counts every product inventory-service holds
      And the report lists product 404 as out of stock

  Rule: Requests that cannot be served are refused with a reason

    @error-propagation
    Scenario: An unknown report type is refused
      When an analyst requests a "weather_forecast" report for 2024-01-01 to 2024-12-31
      Then the report request is refused as invalid, naming the reportType

    @error-propagation
    Scenario: A period that ends before it starts is refused
      When an analyst requests a "inventory_summary" report for 2024-12-31 to 2024-01-01
      Then the report request is refused as invalid, naming the dates

    @error-propagation
    Scenario: Following a job that does not exist
      When an analyst follows report job "job-does-not-exist"
      Then the analyst is told the job was not found
