from decimal import ROUND_HALF_UP, Decimal

from behave import given, then, when
from hamcrest import assert_that, equal_to, has_entries, matches_regexp

from hello_dd.harness import expect

CENT = Decimal("0.01")


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _order(context, customer, lines, discount_code=None):
    headers = context.world.remembered.get("headers")
    context.world.gateway.place_order(lines, customer, discount_code=discount_code, headers=headers)


@given("the current stock of product {product:ProductId}")
@given("the current stock of products {products:ProductIds}")
def note_stock(context, product=None, products=None):
    stock = context.world.remembered.setdefault("stock", {})
    for pid in products or [product]:
        stock[pid] = context.world.inventory.stock_levels(pid)


@when('customer "{customer}" orders:')
def order_table(context, customer):
    lines = [{"productId": row["product"], "quantity": int(row["quantity"])} for row in context.table]
    _order(context, customer, lines)


@when('customer "{customer}" orders {quantity:JsonValue} units of product {product:ProductId}')
@when('customer "{customer}" orders {quantity:JsonValue} unit of product {product:ProductId}')
def order_one_line(context, customer, quantity, product):
    _order(context, customer, [{"productId": product, "quantity": quantity}])


@when('customer "{customer}" orders {quantity:d} units of product {product:ProductId} with discount code "{code}"')
def order_with_code(context, customer, quantity, product, code):
    _order(context, customer, [{"productId": product, "quantity": quantity}], discount_code=code)


@when("the shopper orders {quantity:d} unit of product {product:ProductId}")
@when("the shopper orders {quantity:d} units of product {product:ProductId}")
def shopper_orders(context, quantity, product):
    _order(context, "cust-789", [{"productId": product, "quantity": quantity}])


@then("the order is confirmed with an order id and a total")
def order_confirmed(context):
    exchange = context.world.answer
    expect.status(exchange, 201)
    assert_that(exchange.body, has_entries(orderId=matches_regexp(r"\S+"), status="confirmed"), exchange.describe())
    assert_that(isinstance(exchange.body.get("total"), (int, float)), equal_to(True), "the total is a number")
    context.world.remembered["order"] = exchange.body


@then("the total is the priced lines minus discounts plus tax")
def total_adds_up(context):
    order = context.world.remembered["order"]
    subtotal = Decimal(0)
    for line in order["items"]:
        listed = context.world.pricing.price(line["productId"]).body
        assert_that(_money(line["unitPrice"]), equal_to(_money(listed["finalPrice"])), f"unit price of {line['productId']}")
        assert_that(_money(line["lineTotal"]), equal_to(_money(Decimal(str(line["unitPrice"])) * line["quantity"])), str(line))
        subtotal += _money(line["lineTotal"])
    discounts = sum((_money(d["amount"]) for d in order["discounts"]), Decimal(0))
    assert_that(_money(order["subtotal"]), equal_to(subtotal), "subtotal = sum of the line totals")
    assert_that(_money(order["discountTotal"]), equal_to(discounts), "discountTotal = sum of the discounts")
    taxable = subtotal - discounts
    tax = _money(taxable * Decimal(str(order["taxRate"])))
    assert_that(_money(order["tax"]), equal_to(tax), f"tax = {taxable} x {order['taxRate']}")
    assert_that(_money(order["total"]), equal_to(taxable + tax), "total = subtotal - discounts + tax")


@then("the order has a discount of {percent:d}% of its subtotal")
def discount_of(context, percent):
    order = context.world.remembered["order"]
    expected = _money(Decimal(str(order["subtotal"])) * percent / 100)
    assert_that(_money(order["discountTotal"]), equal_to(expected), f"discounts: {order['discounts']}")


@then("{first:d} units of product {p1:ProductId} and {second:d} unit of product {p2:ProductId} are now reserved")
def now_reserved(context, first, p1, second, p2):
    before = context.world.remembered["stock"]
    for product, units in ((p1, first), (p2, second)):
        now = context.world.inventory.stock_levels(product)
        expected = {"available": before[product]["available"] - units, "reserved": before[product]["reserved"] + units}
        assert_that(now, equal_to(expected), f"stock of product {product} before the order: {before[product]}")


@then("looking the order up again gives the same order")
def order_lookup(context):
    order = context.world.remembered["order"]
    exchange = context.world.gateway.http.get(f"/api/v1/orders/{order['orderId']}")
    expect.status(exchange, 200)
    assert_that(exchange.body, equal_to(order))


@then("the order is refused because there is not enough stock")
def refused_insufficient(context):
    expect.error(context.world.answer, 400, "INSUFFICIENT_STOCK")


@then("the order is refused because product {product:ProductId} is unknown")
def refused_unknown(context, product):
    error = expect.error(context.world.answer, 400, "UNKNOWN_PRODUCT")
    assert_that(product in error["message"], equal_to(True), f"the message names product {product}: {error}")


@then("the order is refused as invalid, naming the {field}")
def refused_invalid(context, field):
    expect.invalid_naming(context.world.answer, field)


@then("the stock of product {product:ProductId} is unchanged")
def stock_unchanged(context, product):
    before = context.world.remembered["stock"][product]
    assert_that(context.world.inventory.stock_levels(product), equal_to(before), f"stock of product {product}")
