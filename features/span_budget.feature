@tracing @use.with_trace_agent=yes
Feature: Each request makes the spans of its budget, and an idle stack makes none
  For the operators who pay for every span they keep. A trace is worth keeping when each span in it
  says something about the request: the request each service handled, each call between them, each
  statement or cache command that did work, each step of a checkout. Connections taken from a pool,
  transactions opened, a background job's empty look for work: none of these is a span. The budget
  of each request pattern lists its spans, their parents and how many (docs/tracing.md); these
  scenarios hold a real trace to it, under whichever tracer the services run. A cache in Redis adds
  its commands, and how many prices it must store depends on what it already held, so those counts
  are a range. The budgets are the reference stack's own design, in each configuration it ships
  (SQLite or PostgreSQL, pricing's cache in process or in Redis), not the contract's: another
  hello-dd may make other spans and still keep the contract. So they hold the stack the suite starts
  from this repository, and any other only when asked to.

  Rule: A trace starts at a request or at a named background job

    @contract:trace-budget
    Scenario: An idle stack sends no traces of its own
      Given the services have had nothing to do for 3 seconds
      When a shopper looks up product 123
      Then every trace the collector received starts at a request or a named background job
      And no span is named after a file

  Rule: Each request pattern makes exactly the spans of its budget

    @use.with_span_budget=yes @contract:trace-budget
    Scenario: A product query's trace holds exactly its budget
      When a shopper looks up product 123
      Then the trace holds exactly the spans of the product query budget

    @use.with_span_budget=yes @contract:trace-budget
    Scenario: A checkout's trace holds exactly its budget
      When customer cust-789 orders 1 of product 456
      Then the trace holds exactly the spans of the checkout budget

    @use.with_span_budget=yes @use.with_stack_control=yes @fixture.stack-recovered
    @contract:trace-budget
    Scenario: A checkout that gives its stock back holds exactly its budget
      Given pricing-service cannot be reached to finalize prices
      When customer cust-789 orders 1 of product 456
      Then the trace holds exactly the spans of the checkout compensated budget

    @use.with_span_budget=yes @contract:trace-budget
    Scenario: A bulk check's trace holds exactly its budget
      When a buyer checks the stock and prices of 45 catalogue products
      Then the trace holds exactly the spans of the bulk check budget

    @use.with_span_budget=yes @contract:trace-budget
    Scenario: A report's trace, the request and the work it started, holds exactly its budget
      When an analyst's inventory summary report has completed
      Then the trace holds exactly the spans of the report budget

    @use.with_span_budget=yes @contract:trace-budget
    Scenario: A cascade check's trace holds exactly its budget
      When the operator checks the cascade with no failure asked for
      Then the trace holds exactly the spans of the cascade budget
