@resilience @use.with_stack_control=yes @fixture.stack-recovered
Feature: The shop stays usable when a service is lost, slow or flaky
  For the team that runs the shop. Networks drop connections, and services die or slow down. A
  shopper must then get a quick, clear answer instead of a hanging page, a blip must go unnoticed, and
  a service that comes back must be used again without anyone acting. These scenarios really slow,
  refuse or drop the connections from the gateway to inventory-service or pricing-service, or stop a
  service, and check what the shopper sees. Every fault is removed after its scenario.

  Rule: A lost service is reported within a second, and used again once it is back

    @contract:res-service-stopped
    Scenario: With inventory-service stopped, a product page says so within a second
      Given inventory-service has been stopped
      When a shopper looks up product 123
      Then the shopper is told within 1 second that inventory-service is unavailable

    @critical @contract:p1-without-price
    Scenario: With pricing-service stopped, products are still shown, without a price
      Given pricing-service has been stopped
      When a shopper looks up product 123
      Then the product is shown with its stock but without a price, because pricing-service is unavailable

    @contract:res-service-stopped @contract:p1-without-price
    Scenario Outline: Once <service> is back, product pages are complete again
      Given <service> was stopped while shoppers looked up product 123
      When <service> is started again
      Then within 20 s a shopper looking up product 123 is shown its stock and its price again

      Examples:
        | service           |
        | inventory-service |
        | pricing-service   |

    @circuit-breaker @contract:p1-without-price @contract:p5-circuit-opens
    Scenario: While the circuit to pricing-service is open, products are shown in under 500 ms, unpriced
      Given pricing-service refuses every connection from the gateway
      And the circuit to pricing-service has opened
      When a shopper looks up product 123
      Then the product is shown in under 500 ms with its stock, without a price: the circuit is open

  Rule: A slow network is tolerated up to the 1.5 s timeout

    @timeout @contract:res-latency
    Scenario: 500 ms more between the gateway and inventory-service still gives complete product pages
      Given the network between the gateway and inventory-service adds 500 ms
      When a shopper looks up product 123
      Then the product is shown with its stock and its price
      And the answer came after at least 500 ms, within inventory-service's 1.5 s timeout

  Rule: Reads are retried, so a dropped connection goes unnoticed

    How many attempts a read gets, and what a caller is told once they are used up, is proved in
    cascade.feature; here a real dropped connection goes unnoticed by the shopper.

    @retry @contract:res-retries
    Scenario Outline: A read from <service> that is dropped on 2 of its 3 attempts goes unnoticed
      Given the next read from <service> loses its connection on 2 of its 3 attempts
      When a shopper looks up product 123
      Then the product is shown with its stock and its price
      And the 2 dropped reads were made again, and <service> answered the 3rd attempt

      Examples:
        | service           |
        | inventory-service |
        | pricing-service   |

  Rule: A service cut off from the network is a lost dependency

    The service keeps running but nothing reaches it, as when a network link or a host's interface
    fails (in containers: the service is disconnected from the stack's network).

    @use.with_network_control=yes @contract:res-network-cut
    Scenario: With pricing-service cut off the network, products are shown without a price in time
      Given pricing-service has been cut off from the network
      When a shopper looks up product 123
      Then the product is shown with its stock, without a price: pricing-service cannot be reached
      And the shopper was answered within 3 s
