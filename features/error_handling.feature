@error-propagation
Feature: Errors are clear and never break the stack
  A caller who sends something wrong learns what and why, in the same error format everywhere, with
  the correlation id to quote to support. Bad or hostile input is refused with a 4xx - never a server
  error, never a stack trace - and the stack keeps serving everyone else.

  Rule: Every error says what went wrong and carries the correlation id

    Scenario: A validation error names the field that is wrong
      When a caller places an order without a customer
      Then the caller is told the request is invalid, naming the customerId
      And the answer carries the request's correlation id

  Rule: Bad input gets a clear 4xx and the stack stays healthy

    Scenario Outline: <bad input> is refused with a clear reason
      When a caller sends <bad input> to the order endpoint
      Then the caller gets a <status> answer with error code <code>
      And the answer reveals nothing of the server's internals
      And every service is still healthy

      Examples:
        | bad input             | status | code              |
        | malformed JSON        | 400    | MALFORMED_JSON    |
        | wrong types           | 422    | VALIDATION_ERROR  |
        | an empty body         | 422    | VALIDATION_ERROR  |
        | a 2 MB payload        | 413    | PAYLOAD_TOO_LARGE |
        | a list instead of an object | 422 | VALIDATION_ERROR |

    Scenario Outline: A hostile correlation id is replaced, never echoed
      When a shopper looks up product 123 with a correlation id that <hostility>
      Then the product is shown with its stock and its price
      And the response carries a newly made correlation id instead of the hostile one
      And every service is still healthy

      Examples:
        | hostility                      |
        | is 200 characters long         |
        | is 10 kilobytes long           |
        | tries to close a JSON log line |

    @needs-logs
    Scenario Outline: A correlation id that <trick> cannot forge a log line
      When a shopper sends a correlation id that <trick>
      Then the answer is either refused by the server or carries a newly made correlation id
      And no service logged the smuggled text
      And every service is still healthy

      Examples:
        | trick                              |
        | hides a second line in a folded header |
        | carries bytes outside plain ASCII  |
