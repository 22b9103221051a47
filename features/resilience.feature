@resilience @chaos @needs-stack-control
Feature: The shop stays usable when a service is lost, slow or flaky
  Networks drop connections, and services die or slow down. A shopper must then get a quick, clear
  answer instead of a hanging page, a blip must go unnoticed, and the gateway must stop calling a
  service that keeps failing until it has had time to recover. These scenarios really break the path
  from the gateway to inventory-service or pricing-service (a fault-injecting proxy sits in it) or stop
  a service, and check what the shopper sees. Every fault is removed after its scenario.

  Rule: A lost inventory-service is reported at once, and the shop works again when it is back

    Scenario: With inventory-service stopped, a product query fails quickly, and works once it is back
      Given inventory-service has been stopped
      When a shopper looks up product 123
      Then the shopper is told within 1 second that inventory-service is unavailable
      When inventory-service is started again
      And a shopper looks up product 123
      Then the product is shown with its stock and its price

  Rule: A slow network is tolerated up to the timeout; beyond it the gateway gives up on time

    @timeout
    Scenario: 500 ms between the gateway and inventory-service does not break product queries
      Given the network between the gateway and inventory-service adds 500 ms
      When a shopper looks up product 123
      Then the product is shown with its stock and its price
      And the answer came after at least 500 ms and within the 1.5 second timeout

    @timeout @circuit-breaker
    Scenario: Inventory-service slower than the timeout fails fast with 504 and its circuit opens
      Given the network between the gateway and inventory-service adds 3000 ms
      When a shopper looks up product 123 5 times
      Then every lookup was answered with a timeout of inventory-service within 2 seconds, after 1 attempt
      And the gateway reports the circuit to inventory-service open
      And looking up product 123 fails fast with the circuit open
      When the network to inventory-service is healthy again
      Then once the cool-down of any open circuit has passed, product 123 is fully served again

  Rule: After 5 failed attempts a circuit opens; it fails fast, then tries again and closes

    @circuit-breaker
    Scenario: The inventory circuit opens after 5 failed attempts and closes when inventory answers again
      Given inventory-service refuses every connection from the gateway
      When a shopper looks up product 123
      Then the shopper is told inventory-service is unavailable after 3 attempts
      And the gateway reports the circuit to inventory-service still closed
      When a shopper looks up product 123
      Then the gateway reports the circuit to inventory-service open
      And looking up product 123 fails fast with the circuit open
      When inventory-service accepts connections again
      Then the circuit to inventory-service turns half-open 10 seconds after it opened
      And once the cool-down of any open circuit has passed, product 123 is fully served again
      And the gateway reports a closed circuit to inventory-service and to pricing-service

    @circuit-breaker
    Scenario: While the pricing circuit is open, products are shown at once without a price
      Given pricing-service refuses every connection from the gateway
      When a shopper looks up product 123
      Then the product is shown without its price, because pricing-service is unavailable
      And the gateway reports the circuit to pricing-service still closed
      When a shopper looks up product 123
      Then the gateway reports the circuit to pricing-service open
      And a shopper looking up product 123 is shown it at once without its price, because the circuit is open
      When pricing-service accepts connections again
      Then the circuit to pricing-service turns half-open 10 seconds after it opened
      And once the cool-down of any open circuit has passed, product 123 is fully served again
      And the gateway reports a closed circuit to inventory-service and to pricing-service

  Rule: Reads are retried, so dropped connections go unnoticed; a reservation is never sent twice

    The gateway's HTTP client itself sends a read again once when a kept-alive connection turns out
    to be closed; two dropped connections in a row show that the gateway's own retries are at work.

    @retry
    Scenario Outline: Two dropped connections to <service> are invisible to the shopper
      Given the connections carrying the next 2 reads from <service> are reset
      When a shopper looks up product 123
      Then the product is shown with its stock and its price
      And the dropped reads were made again, and <service> answered the third

      Examples:
        | service           |
        | inventory-service |
        | pricing-service   |

    @retry @pattern-2
    Scenario: A reservation whose answer is lost is not sent again, and is given back
      Given the current stock of product 123
      And inventory-service's answer to the next reservation is lost on the way back
      When customer "cust-789" orders 1 unit of product 123
      Then the order fails because inventory-service could not be reached, after 1 attempt
      And inventory-service made exactly one reservation for it, which was given back
      And the stock of product 123 is unchanged

  Rule: A service cut off from the network is a lost dependency, and is used again once it is back

    The service keeps running but nothing reaches it, as when a network link or a host's interface
    fails (in containers: `docker network disconnect`).

    @needs-network-control
    Scenario: With pricing-service cut off the network, products are shown without their price
      Given pricing-service has been cut off from the network
      When a shopper looks up product 123
      Then the product is shown without its price, because pricing-service cannot be reached
      And the shopper was answered within 3 seconds
      When pricing-service is connected to the network again
      Then once the cool-down of any open circuit has passed, product 123 is fully served again

  Rule: No fault outlives its scenario

    Scenario: After the faults, every service is up, healthy and reached without faults
      Then every service is still healthy
      And the gateway reports a closed circuit to inventory-service and to pricing-service
      And nothing stands between the gateway and inventory-service or pricing-service any more
      And a shopper looking up product 123 is shown its stock and its price
