"""An order poll is charged what it returned (issue 16: 96 Shopify orders never synced at 1,000-order scale).

Shopify computes a query's actual cost from the answer: a connection that returns fewer nodes than its
``first`` costs less, at every depth, and the difference is refunded to the bucket. The simulator refunded
only the top-level connection, so every page of orders was charged ``lineItems(first: 10)`` in full whatever
the orders held: 992 points per 6 orders, a 350-order poll ~10 minutes on the standard plan, longer than the
chaos run's drain, and the orders it had not reached yet were never synced.
"""

from __future__ import annotations

from wix_commerce_sync.connectors.shopify import queries as q
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.graphql import node_selection, parse, selection_cost
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator


def _place(sim: ShopifySimulator, count: int, lines: int) -> None:
    skus = [f"POLL-{n}" for n in range(lines)]
    for n in range(count):
        sim.create_order(line_items=[{"sku": sku, "quantity": 1} for sku in skus], customer_email=f"p{n}@example.com")


def _orders_page_costs(sim: ShopifySimulator, conn: ShopifyConnector) -> list[tuple[float, float]]:
    before = len(sim.cost_log)
    orders = list(conn.iter_orders())
    assert orders
    return sim.cost_log[before:]


def _line_node_cost() -> int:
    orders = parse(q.ORDERS, {"first": q.ORDER_PAGE, "query": None, "linesFirst": q.LINE_PAGE}).fields[0]
    lines = next(f for f in node_selection(orders) if f.name == "lineItems")
    return 1 + selection_cost(node_selection(lines))


def test_each_returned_line_is_charged_and_the_unreturned_ones_are_refunded(sim: ShopifySimulator, conn: ShopifyConnector) -> None:
    sim.seed_catalog(2, sku_prefix="POLL-")
    sim.auto_deliver = False
    _place(sim, q.ORDER_PAGE, lines=1)
    [(requested, one_line)] = _orders_page_costs(sim, conn)
    sim.orders.clear()
    _place(sim, q.ORDER_PAGE, lines=2)
    [(requested_again, two_lines)] = _orders_page_costs(sim, conn)
    assert requested == requested_again  # the request is the same; only the answers differ
    # one more line per order costs exactly one line node more per order: the other nine are refunded
    assert two_lines - one_line == q.ORDER_PAGE * _line_node_cost()
    assert one_line < requested / 2


def test_polling_many_one_line_orders_does_not_wait_for_unreturned_lines(sim: ShopifySimulator, conn: ShopifyConnector) -> None:
    sim.set_plan("standard", restore_rate=1000.0, bucket=2000.0)  # 10x the standard refill: the test stays fast
    sim.seed_catalog(1, sku_prefix="POLL-")
    sim.auto_deliver = False
    _place(sim, 10 * q.ORDER_PAGE, lines=1)
    assert len(list(conn.iter_orders())) == 10 * q.ORDER_PAGE
    # charged in full (992 x 10 pages) the poll waited ~8 s for the bucket; charged what it returned, < 1 s
    assert conn.client.bucket.waited < 2.0
    assert conn.http.stats.throttled == 0
