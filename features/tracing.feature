@tracing @use.with_trace_agent=yes
Feature: Every request is one trace across the services it touched
  For the engineers who run and change the services. hello-dd exists to show distributed tracing, and
  an echoed correlation id is not proof that tracing works: these scenarios read each request's spans
  back from the trace collector and check the trace's shape. One trace per request, every span linked
  to the span that caused it, parallel work overlapping and sequential work in order, failures marked
  where they happen. They hold whichever tracer the services run, OpenTelemetry or Datadog's ddtrace.
  Each scenario's report shows the trace as a tree and as a waterfall.

  Rule: Each request is one trace, with every span linked to the span that caused it

    @critical @contract:trace-one-per-request
    Scenario: A product query is one trace across all three services
      When a shopper looks up product 123
      Then the request is one trace spanning api-gateway, inventory-service and pricing-service
      And every service's work hangs under the gateway's call to it, with no orphaned span

    @contract:trace-one-per-request
    Scenario: An order checkout is one trace across all three services
      When customer cust-789 orders 1 of product 456
      Then the request is one trace spanning api-gateway, inventory-service and pricing-service
      And every service's work hangs under the gateway's call to it, with no orphaned span

    @contract:trace-one-per-request @contract:p3-one-result-each
    Scenario: A bulk check of 45 products is one trace, its chunks checked at the same time
      When a buyer checks the stock and prices of 45 catalogue products
      Then the request is one trace spanning api-gateway, inventory-service and pricing-service
      And every service's work hangs under the gateway's call to it, with no orphaned span
      And the chunks were checked by inventory-service at the same time

    @contract:trace-one-per-request
    Scenario: The work of a report belongs to the trace of the request that asked for it
      When an analyst's inventory summary report has completed
      Then the report's work is in the same trace as the request that asked for it
      And every service's work hangs under the gateway's call to it, with no orphaned span

  Rule: Parallel calls overlap in time, sequential steps do not

    @contract:p1-parallel
    Scenario: A product query asks inventory and pricing at the same time
      When a shopper looks up product 123
      Then inventory-service and pricing-service were called in parallel

    @contract:p2-sequence
    Scenario: The checkout steps run one after another
      When customer cust-789 orders 1 of product 123
      Then the checkout steps ran in order: check stock, price, reserve, finalize

  Rule: A caller's trace context is continued, not replaced

    @critical @contract:trace-continued
    Scenario: A caller's trace continues through every service
      Given the caller's request is part of a trace the caller started
      When a shopper looks up product 123
      Then the request's spans are in the caller's trace, under the caller's span
      And every service received the caller's tracestate and baggage

    @correlation @contract:trace-correlation
    Scenario: The correlation id is recorded on every service's span
      Given the caller sets its own correlation id and request id
      When a shopper looks up product 123
      Then the spans of api-gateway, inventory-service and pricing-service record that correlation id

  Rule: A failure shows in the trace where it happened, and how the gateway coped

    @error-propagation @fixture.stack-recovered @contract:trace-errors
    Scenario: A failing inventory marks its own spans, and the error reaches the gateway's span
      When the operator induces a "inventory" failure through the cascade endpoint
      Then the trace marks inventory-service's spans as errors, and pricing-service's not
      And the error propagates up to the gateway's span for the request

    @retry @fixture.stack-recovered @contract:trace-retries
    Scenario: Retries show as repeated calls in the trace
      When the operator induces a "inventory" failure through the cascade endpoint
      Then the trace shows one call from api-gateway to inventory-service per attempt, one after another

    @circuit-breaker @fixture.stack-recovered @contract:trace-retries
    Scenario: An open circuit makes no call to the failing service
      Given the circuit to inventory-service has been opened by repeated failures
      When a shopper looks up product 123
      Then the trace shows no call to inventory-service

  Rule: The trace collector finds nothing wrong with the traces it receives

    @use.with_datadog_traces=yes @contract:trace-valid
    Scenario: The trace collector's own checks find no violation
      When a shopper looks up product 123
      Then the trace collector's own checks found no violation in the traces of this run

  Rule: The trace shows each service's work with its database and its cache, inside that service's request

    @contract:trace-datastores
    Scenario: A product query's trace shows inventory's database query under inventory's request
      When a shopper looks up product 123
      Then the trace shows inventory-service querying its database while it handled the request

    @use.with_redis_cache=yes @contract:trace-datastores
    Scenario: A product query's trace shows pricing's cache look-up under pricing's request
      Given pricing-service keeps its cache in Redis
      When a shopper looks up product 123
      Then the trace shows pricing-service looking up its cache while it handled the request

    @critical @contract:trace-datastores
    Scenario: A checkout's reservation is a database write in the same trace
      When customer cust-789 orders 1 of product 456
      Then the trace shows inventory-service's reservation request writing to its database
