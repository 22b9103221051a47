@pattern-4
Feature: Asynchronous reports
  For analysts. Reports gather data from inventory and pricing and can take a while, so they run in
  the background: the analyst gets a job to follow at once and follows it until it has finished, with
  a result or a reason it failed. A report finishes within the report deadline of 60 s.

  Rule: A report request is accepted at once and completes in the background

    @contract:p4-accepted
    Scenario Outline: An analyst gets a <report type> report
      When an analyst requests a <report type> report for 2024-01-01 to 2024-12-31
      Then the request is accepted with a job to follow
      And the job completes with a result within the report deadline of 60 s

      Examples:
        | report type       |
        | inventory summary |
        | pricing summary   |
        | sales summary     |

    @use.with_hook.list_stock=yes @contract:p4-content
    Scenario: The inventory summary accounts for the whole catalogue
      When an analyst requests an inventory summary report for 2024-01-01 to 2024-12-31
      Then the finished report counts every product inventory-service holds
      And the finished report lists product 404 as out of stock

  Rule: A report that cannot be made ends failed, with the reason

    @use.with_stack_control=yes @fixture.stack-recovered @contract:p4-failed
    Scenario: A pricing summary cannot be made while pricing-service is down
      Given pricing-service has been stopped
      When an analyst requests a pricing summary report for 2024-01-01 to 2024-12-31
      Then the job ends failed, naming pricing-service as the reason, with no result

  Rule: Requests that cannot be served are refused with a reason

    @error-propagation @contract:p4-invalid
    Scenario: An unknown report type is refused
      When an analyst requests a weather forecast report for 2024-01-01 to 2024-12-31
      Then the report request is refused as invalid, naming the reportType

    @error-propagation @contract:p4-invalid
    Scenario: A period that ends before it starts is refused
      When an analyst requests an inventory summary report for 2024-12-31 to 2024-01-01
      Then the report request is refused as invalid, naming the dates

    @error-propagation @contract:p4-unknown-job
    Scenario: Following a job that does not exist
      When an analyst follows report job "job-does-not-exist"
      Then the analyst is told the job was not found
