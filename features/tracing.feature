@tracing
Feature: Every request is one trace across the services it touched
  hello-dd exists to show distributed tracing. An echoed correlation id is not proof that tracing
  works: these scenarios read each request's spans back from the trace collector (Datadog's APM test
  agent) and check the shape of the trace - one trace per request, every span linked to the span that
  caused it, parallel work overlapping and sequential work in order, failures marked where they
  happen. They hold whichever tracer the services run: OpenTelemetry or Datadog's ddtrace.
  Each scenario's report shows the trace as a tree and as a waterfall.

  Rule: Each request is one trace, with every span linked to the span that caused it

    @pattern-1
    Scenario: A product query is one trace across all three services
      When a shopper looks up product 123
      Then the request is one trace spanning api-gateway, inventory-service and pricing-service
      And every service's work hangs under the gateway's call to it, with no orphaned span

    @pattern-2
    Scenario: An order checkout is one trace across all three services
      When the shopper orders 1 unit of product 456
      Then the request is one trace spanning api-gateway, inventory-service and pricing-service
      And every service's work hangs under the gateway's call to it, with no orphaned span

    @pattern-3
    Scenario: A bulk stock and price check is one trace, however many chunks it is split into
      When a buyer checks the stock and prices of products 123, 456, 789, 101, 202, 303, 404, 505
      Then the request is one trace spanning api-gateway, inventory-service and pricing-service
      And every service's work hangs under the gateway's call to it, with no orphaned span

    @pattern-4
    Scenario: The work of an async report belongs to the trace of the request that asked for it
      When an analyst requests a "inventory_summary" report for 2024-01-01 to 2024-12-31
      And the job completes with a result within 10 seconds
      Then the report's work is in the same trace as the request that asked for it
      And every service's work hangs under the gateway's call to it, with no orphaned span

  Rule: Parallel calls overlap in time, sequential steps do not

    @pattern-1
    Scenario: A product query asks inventory and pricing at the same time
      When a shopper looks up product 123
      Then inventory-service and pricing-service were called in parallel

    @pattern-2
    Scenario: The checkout steps run one after another
      When the shopper orders 1 unit of product 123
      Then the checkout steps ran in order: check stock, price, reserve, finalize

  Rule: A caller's trace context is continued, not replaced

    Scenario: A caller's trace continues through every service
      Given a shopper's request is part of a trace the caller started
      When the shopper looks up product 123
      Then the request's spans are in the caller's trace, under the caller's span
      And every service received the caller's tracestate and baggage

    @correlation
    Scenario: The correlation id is recorded on every service's span
      Given a shopper's request carries its own correlation id and request id
      When the shopper looks up product 123
      Then the spans of api-gateway, inventory-service and pricing-service record that correlation id

  Rule: A failure shows in the trace where it happened, and how the gateway coped

    @pattern-5 @error-propagation
    Scenario: A failing inventory marks its own spans, and the error reaches the gateway's span
      Given inventory-service is answering normally
      When the operator induces a "inventory" failure through the cascade endpoint
      Then the trace marks inventory-service's spans as errors, and pricing-service's not
      And the error propagates up to the gateway's span for the request

    @pattern-5 @retry
    Scenario: Retries show as repeated calls in the trace
      Given inventory-service is answering normally
      When the operator induces a "inventory" failure through the cascade endpoint
      Then the trace shows 3 calls from api-gateway to inventory-service, one after another

    @pattern-5 @circuit-breaker
    Scenario: An open circuit makes no call to the failing service
      Given the circuit to inventory-service has been opened by repeated failures
      When a shopper looks up product 123
      Then the trace shows no call to inventory-service
      And once the cool-down of any open circuit has passed, product 123 is fully served again

  Rule: The trace collector finds nothing wrong with the traces it received

    @needs-datadog-traces
    Scenario: The trace agent's own checks report no violation
      Then the trace agent's own checks found no violation in the traces of this run

  Rule: The trace shows each service's work with its database and its cache, inside that service's request

    @pattern-1 @normal
    Scenario: A product query's trace shows inventory's database query under inventory's request
      When a shopper looks up product 123
      Then the trace shows inventory-service querying its database while it handled the request

    @pattern-1 @normal @needs-redis
    Scenario: A product query's trace shows pricing's cache look-up under pricing's request
      Given pricing-service keeps its cache in Redis
      When a shopper looks up product 123
      Then the trace shows pricing-service looking up its cache while it handled the request

    @pattern-2 @critical
    Scenario: A checkout's reservation is a database write in the same trace
      When the shopper orders 1 unit of product 456
      Then the trace shows the reservation written to inventory-service's database while it handled the reservation
