"""Checkout (pattern 2): what an order costs, what it takes from the stock, and why one is refused."""

from decimal import Decimal

from behave import given, then, when
from hamcrest import assert_that, equal_to, has_entries, matches_regexp

from hello_dd.harness import expect
from hello_dd.harness.clients import order_lines, put_back_stock
from hello_dd.harness.money import cents, check_order_bill


def _place(context, customer, lines, discount_code=None):
    return context.world.gateway.place_order(
        order_lines(*lines), customer, discount_code=discount_code, headers=context.world.caller_headers
    )


def _set_stock(context, product, units):
    inventory = context.world.inventory
    before = inventory.stock_levels(product)["available"]
    # Put back after the scenario, so every scenario finds the catalogue's stock.
    context.add_cleanup(put_back_stock, inventory.http.base_url, product, before)
    context.world.stock_before[product] = inventory.set_available(product, units)


def _check_price(context, product, price):
    listed = context.world.pricing.price(product)
    expect.status(listed, 200)
    expect.precondition(
        context,
        cents(listed.body["finalPrice"]) == price,
        f"this example needs product {product} at ${price}; the stack lists it at ${listed.body['finalPrice']}",
    )


@given("product {product:ProductId} sells at {price:Money} and has {units:d} units in stock")
def price_and_stock(context, product, price, units):
    _check_price(context, product, price)
    _set_stock(context, product, units)


@given("product {product:ProductId} sells at {price:Money}")
def sells_at(context, product, price):
    _check_price(context, product, price)


@given("product {product:ProductId} has {units:d} units in stock")
def has_stock(context, product, units):
    _set_stock(context, product, units)


@given("customer {customer:CustomerId} has ordered {lines:OrderLines}")
def has_ordered(context, customer, lines):
    context.world.order = expect.confirmed_order(_place(context, customer, lines))


@when("customer {customer:CustomerId} orders {lines:OrderLines}")
def orders(context, customer, lines):
    _place(context, customer, lines)


@when("customer {customer:CustomerId} orders {lines:OrderLines}, then {more:OrderLines}")
def orders_twice(context, customer, lines, more):
    _place(context, customer, lines)
    _place(context, customer, more)


@when("customer {customer:CustomerId} orders {lines:OrderLines} with discount code {code}")
def orders_with_code(context, customer, lines, code):
    _place(context, customer, lines, discount_code=code)


@when("the customer looks the order up")
def look_order_up(context):
    context.world.gateway.order(context.world.order["orderId"])


@when("{count:d} customers each order {quantity:d} of product {product:ProductId} at the same time")
def race(context, count, quantity, product):
    context.world.answers = context.world.gateway.race_orders(product, quantity, count)
    statuses = sorted(answer.status for answer in context.world.answers)
    context.world.evidence.note("what the customers were told", f"{count} concurrent orders answered: {statuses}")


@then("the order is confirmed at {total:Money}: {goods:Money} of goods plus {tax:Money} tax at {rate:Percent}")
@then(
    "the order is confirmed at {total:Money}: {goods:Money} of goods, less {discount:Money} off,"
    " plus {tax:Money} tax at {rate:Percent}"
)
def confirmed_at(context, total, goods, tax, rate, discount=0):
    order = expect.confirmed_order(context.world.answer)
    taxed_at = Decimal(str(order["taxRate"]))
    expect.precondition(
        context,
        taxed_at == rate,
        f"this example is taxed at {rate * 100:.2f} %; the stack taxed at {taxed_at * 100:.2f} %",
    )
    bill = check_order_bill(order, goods, discount)
    context.world.evidence.note("the bill", bill.describe())
    assert_that((bill.tax, bill.total), equal_to((tax, total)), f"the example's tax and total ({bill.describe()})")
    expect.lines_at_list_price(order, context.world.pricing)


@then("the customer sees the same order, with the same total")
def same_order(context):
    expect.status(context.world.answer, 200)
    assert_that(context.world.answer.body, equal_to(context.world.order))


@then("product {product:ProductId} has {units:d} units in stock")
@then("product {product:ProductId} still has {units:d} units in stock")
def stock_is(context, product, units):
    assert_that(
        context.world.available_units(product),
        equal_to(units),
        f"units of product {product} in stock (was {context.world.stock_before.get(product)})",
    )


@then("product {p1:ProductId} has {n1:d} units in stock and product {p2:ProductId} has {n2:d}")
def two_stocks(context, p1, n1, p2, n2):
    stock_is(context, p1, n1)
    stock_is(context, p2, n2)


@then("the order is refused because there is not enough stock")
def refused_insufficient(context):
    expect.error(context.world.answer, 400, "INSUFFICIENT_STOCK")


@then("the order is refused because product {product:ProductId} is unknown")
def refused_unknown(context, product):
    error = expect.error(context.world.answer, 400, "UNKNOWN_PRODUCT")
    assert_that(error["message"], matches_regexp(rf"\b{product}\b"), f"the message names product {product}")


@then("the order is refused as invalid, naming the {field}")
def refused_invalid(context, field):
    expect.invalid_naming(context.world.answer, field)


@then("{confirmed:d} orders are confirmed and {refused:d} are refused for lack of stock")
def confirmed_and_refused(context, confirmed, refused):
    answers = context.world.answers
    ok = [a for a in answers if a.status == 201]
    assert_that(len(ok), equal_to(confirmed), f"confirmed orders; answers: {sorted(a.status for a in answers)}")
    for answer in (a for a in answers if a.status != 201):
        expect.error(answer, 400, "INSUFFICIENT_STOCK")
    assert_that(len(answers) - len(ok), equal_to(refused), "refused orders")
    for answer in ok:
        assert_that(answer.body, has_entries(status="confirmed"))
