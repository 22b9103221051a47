@errors
Feature: Errors are clear and never break the stack
  For developers who call the shop's API. A caller who sends something wrong learns what and why, in
  the same error format everywhere, with the correlation id to quote to support. Bad or hostile input
  is refused with a 4xx answer, never a server error or a stack trace, and the stack keeps serving
  everyone else.

  Rule: Every error says what went wrong and carries the correlation id

    @error-propagation @contract:err-shape
    Scenario: A validation error names the field that is wrong
      When a caller places an order without a customer
      Then the caller is told the request is invalid, naming the customerId
      And the answer carries the request's correlation id and nothing of the server's internals

  Rule: Bad input gets a clear 4xx and the stack stays healthy

    @critical @contract:err-bad-input @contract:err-shape
    Scenario Outline: An order sent as <bad input> is refused with <status> <code>
      When a caller sends <bad input> as an order
      Then the caller is refused with <status> <code>, and sees nothing of the server's internals
      And every service is still healthy

      Examples:
        | bad input                          | status | code              |
        | malformed JSON                     | 400    | MALFORMED_JSON    |
        | wrong types                        | 422    | VALIDATION_ERROR  |
        | an empty body                      | 422    | VALIDATION_ERROR  |
        | a body 1 byte over the 1 MiB limit | 413    | PAYLOAD_TOO_LARGE |
        | a list instead of an object        | 422    | VALIDATION_ERROR  |

    @contract:err-hostile-ids
    Scenario Outline: A correlation id that <hostility> is replaced, never echoed
      When a shopper looks up product 123 with a correlation id that <hostility>
      Then the product is shown with its stock and its price
      And the answer carries a newly made correlation id instead of the hostile one

      Examples:
        | hostility                                 |
        | is 129 characters long (the limit is 128) |
        | is 10 kilobytes long                      |
        | tries to close a JSON log line            |
