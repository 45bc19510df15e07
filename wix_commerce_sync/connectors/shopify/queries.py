"""GraphQL documents the connector sends (always with variables).

Page sizes are chosen so every query's requested cost stays under Shopify's 1,000-point
single-query limit by the published cost rules (checked in tests with ``estimate_cost``):
flat lists (locations, customers, variant look-ups, inventory reads) use 250 per page;
nested pages (products with variants, orders with line items) use the largest size that
fits, and an object with more children than the nested page holds is completed by a
follow-up query on that object.
"""

from __future__ import annotations

PAGE = 250
PRODUCT_PAGE = 15  # with VARIANT_PAGE variants each: 2 + 15 x (1 + 1 + 2 + 20 x 3) = 962 points
VARIANT_PAGE = 20
VARIANT_FOLLOWUP_PAGE = 250  # product(id) { variants(first: 250) }: 1 + 2 + 250 x 3 = 753
ORDER_PAGE = 6  # see ORDER_FIELDS: 2 + 6 x 163 = 980 points
LINE_PAGE = 10
LINE_FOLLOWUP_PAGE = 80  # order(id) { lineItems(first: 80) }: 1 + 2 + 80 x 11 = 883
FULFILLMENT_ORDER_PAGE = 5  # 1 + 2 + 5 x (1 + 2 + 2 + 50 x 2) = 528
SKU_LOOKUP_CHUNK = 100  # SKUs per productVariants search query

MONEY = "shopMoney { amount currencyCode }"
BAG = f"{{ {MONEY} presentmentMoney {{ amount currencyCode }} }}"
# Customer.email / .phone are deprecated in 2026-04 ("Use defaultEmailAddress.emailAddress" / "defaultPhoneNumber")
CONTACT = "defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber }"
ADDRESS = "firstName lastName company address1 address2 city province zip country countryCodeV2 phone"

VARIANT_FIELDS = """id sku title price compareAtPrice barcode updatedAt inventoryQuantity
  selectedOptions { name value } inventoryItem { id tracked }"""

PRODUCT_FIELDS = f"""id legacyResourceId title handle vendor productType status tags descriptionHtml updatedAt
  options {{ name values }}
  variants(first: $variantsFirst) {{ nodes {{ {VARIANT_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }}"""

PRODUCTS = f"""query Products($first: Int!, $after: String, $query: String, $variantsFirst: Int!) {{
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ {PRODUCT_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""

PRODUCT = f"""query Product($id: ID!, $variantsFirst: Int!) {{
  product(id: $id) {{ {PRODUCT_FIELDS} }}
}}"""

PRODUCT_VARIANTS_PAGE = f"""query ProductVariantsPage($id: ID!, $first: Int!, $after: String) {{
  product(id: $id) {{ id variants(first: $first, after: $after) {{
    nodes {{ {VARIANT_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}
}}"""

VARIANTS_BY_SKU = """query VariantsBySku($first: Int!, $query: String!) {
  productVariants(first: $first, query: $query) {
    nodes { id sku product { id } inventoryItem { id } }
    pageInfo { hasNextPage endCursor }
  }
}"""

TAX_LINES = f"taxLines {{ title rate priceSet {{ {MONEY} }} }}"
ALLOCATIONS = f"discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}"
LINE_FIELDS = f"""id sku title quantity currentQuantity variant {{ id }} product {{ id }}
  originalUnitPriceSet {{ {MONEY} }} {ALLOCATIONS} {TAX_LINES}"""

ORDER_FIELDS = f"""id legacyResourceId name email createdAt updatedAt cancelledAt note
  currencyCode presentmentCurrencyCode taxesIncluded displayFinancialStatus displayFulfillmentStatus discountCodes
  totalPriceSet {BAG}
  totalTaxSet {{ {MONEY} }} totalDiscountsSet {{ {MONEY} }} totalShippingPriceSet {{ {MONEY} }}
  {TAX_LINES}
  customer {{ id {CONTACT} firstName lastName updatedAt defaultAddress {{ {ADDRESS} }} }}
  billingAddress {{ {ADDRESS} }} shippingAddress {{ {ADDRESS} }}
  shippingLines(first: 3) {{ nodes {{ title code isRemoved originalPriceSet {{ {MONEY} }} {ALLOCATIONS} {TAX_LINES} }} }}
  lineItems(first: $linesFirst) {{ nodes {{ {LINE_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }}
  refunds {{ id createdAt note totalRefundedSet {{ {MONEY} }} }}
  fulfillments {{ id createdAt trackingInfo {{ company number url }} }}"""

ORDERS = f"""query Orders($first: Int!, $after: String, $query: String, $linesFirst: Int!) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ {ORDER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""

ORDER = f"""query Order($id: ID!, $linesFirst: Int!) {{
  order(id: $id) {{ {ORDER_FIELDS} }}
}}"""

ORDER_LINES_PAGE = f"""query OrderLines($id: ID!, $first: Int!, $after: String) {{
  order(id: $id) {{ id lineItems(first: $first, after: $after) {{
    nodes {{ {LINE_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}
}}"""

ORDER_REFUNDS = f"""query OrderRefunds($id: ID!) {{
  order(id: $id) {{ id refunds(first: 9) {{ id
    refundLineItems(first: 40) {{ nodes {{ quantity restockType lineItem {{ id sku }}
      subtotalSet {{ {MONEY} }} totalTaxSet {{ {MONEY} }} }} }}
    refundShippingLines(first: 2) {{ nodes {{ subtotalAmountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }} }} }} }} }}
}}"""  # each refund's lines, quantities, restock, tax and shipping: what its Credit Note needs

ORDERS_BY_TAG = """query OrdersByTag($first: Int!, $query: String!) {
  orders(first: $first, query: $query) { nodes { id name tags } pageInfo { hasNextPage endCursor } }
}"""

FULFILLMENT_ORDERS = """query FulfillmentOrders($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    id cancelledAt
    fulfillmentOrders(first: $first, after: $after) { nodes {
      id status assignedLocation { location { id } }
      lineItems(first: 50) { nodes { id remainingQuantity lineItem { id sku } } pageInfo { hasNextPage } }
    } pageInfo { hasNextPage endCursor } }
  }
}"""

ORDER_FULFILLMENTS = """query OrderFulfillments($id: ID!, $first: Int!) {
  order(id: $id) {
    id
    fulfillments(first: $first) { id createdAt trackingInfo(first: 5) { number }
      fulfillmentLineItems(first: 40) { nodes { quantity lineItem { id sku } } } }
  }
}"""
FULFILLMENTS_LOOKBACK = 10  # 1 + 10 x (1 + 1 + 2 + 40 x 2) = 841 points

ORDER_FOR_REFUND = """query OrderForRefund($id: ID!, $first: Int!) {
  order(id: $id) {
    id currencyCode presentmentCurrencyCode
    lineItems(first: $first) { nodes { id sku quantity unfulfilledQuantity } pageInfo { hasNextPage endCursor } }
    transactions { id kind status gateway
      amountSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } }
  }
}"""

CUSTOMER_PAGE = 50  # 2 + 50 x (1 + 2 + 1 + 1 + (2 + ADDRESS_PAGE)) = 802 points by the estimator
ADDRESS_PAGE = 10  # Customer.addresses is deprecated ("Limited to 250 addresses. Use addressesV2")
CUSTOMER_FIELDS = f"""id legacyResourceId {CONTACT} firstName lastName updatedAt
  defaultAddress {{ {ADDRESS} }} addressesV2(first: {ADDRESS_PAGE}) {{ nodes {{ {ADDRESS} }} }}"""

CUSTOMERS = f"""query Customers($first: Int!, $after: String, $query: String) {{
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ {CUSTOMER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""

CUSTOMERS_BY_TAG = """query CustomersByTag($first: Int!, $query: String!) {
  customers(first: $first, query: $query) { nodes { id tags } }
}"""

CUSTOMER = f"""query Customer($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"""

SHOP = """query Shop { shop { name myshopifyDomain currencyCode taxesIncluded plan { publicDisplayName } } }"""

LOCATIONS = """query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true) {
    nodes { id name isActive } pageInfo { hasNextPage endCursor }
  }
}"""

INVENTORY_LEVELS = """query InventoryLevels($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id sku
      inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } }
    }
  }
}"""

INVENTORY_SET = """mutation InventorySet($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}"""

PRODUCT_SET_FIELD = """productSet(input: $input{i}, identifier: $identifier{i}, synchronous: true) {{
    product {{ id legacyResourceId updatedAt variants(first: 250) {{ nodes {{ id sku inventoryItem {{ id }} }} pageInfo {{ hasNextPage endCursor }} }} }}
    userErrors {{ field message code }}
  }}"""

VARIANTS_BULK_UPDATE = """mutation VariantPrices($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id price }
    userErrors { field message code }
  }
}"""

FULFILLMENT_CREATE = """mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message }
  }
}"""

ORDER_CANCEL = """mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput!,
    $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock,
              notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""

ORDER_CANCELLED_AT = """query OrderCancelledAt($id: ID!) { order(id: $id) { id cancelledAt } }"""

JOB = """query Job($id: ID!) { job(id: $id) { id done } }"""

REFUND_CREATE = """mutation RefundCreate($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}"""

CUSTOMER_SET_FIELD = """customerSet(input: $input{i}, identifier: $identifier{i}) {{
    customer {{ id updatedAt defaultEmailAddress {{ emailAddress }} }}
    userErrors {{ field message code }}
  }}"""

ORDER_CREATE = """mutation OrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name totalPriceSet { shopMoney { amount currencyCode } } }
    userErrors { field message code }
  }
}"""

WEBHOOK_CREATE = """mutation WebhookCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""

WEBHOOK_DELETE = """mutation WebhookDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}"""

WEBHOOKS = """query Webhooks($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) { nodes { id topic uri } pageInfo { hasNextPage endCursor } }
}"""

BULK_PRODUCTS_INNER = """{
  products {
    edges { node {
      id legacyResourceId title handle vendor productType status tags descriptionHtml updatedAt options { name values }
      variants { edges { node { id sku title price compareAtPrice barcode updatedAt inventoryQuantity
        selectedOptions { name value } inventoryItem { id tracked } } } }
    } }
  }
}"""

BULK_RUN = """mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}"""

BULK_STATUS = """query BulkStatus($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount fileSize url partialDataUrl }
}"""


def batched_mutation(name: str, field_template: str, count: int, input_type: str, identifier_type: str) -> str:
    """Several aliased mutation fields in one request (one HTTP call for a batch)."""
    params = ", ".join(f"$input{i}: {input_type}!, $identifier{i}: {identifier_type}" for i in range(count))
    fields = "\n  ".join(f"m{i}: " + field_template.format(i=i) for i in range(count))
    return f"mutation {name}({params}) {{\n  {fields}\n}}"
