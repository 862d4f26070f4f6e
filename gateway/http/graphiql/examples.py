"""The operations the IDE page opens with, one tab each: docs/graphiql.md's "Try it in GraphiQL"
operations (named, so each tab has a title), on the sandbox's demo IDs. A test keeps them
in step with docs/graphiql.md and runs every one against the sandbox."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    name: str
    document: str


EXAMPLES = (
    Example(
        "KantataInvoice",
        """\
query KantataInvoice {
  invoice(id: "kantata:invoice:101") {
    id number title status vendorStatus issueDate dueDate currency
    balance { amount currency }
    createdBy { name email }
    recipient { name }
    workspaces { title }
    lineItems { kind title quantity unitPrice { amount } amount { amount currency } }
    ... on KantataInvoice {
      draft purchaseOrder taxRate externalReferences { serviceName serviceModelRef }
    }
  }
}
""",
    ),
    Example(
        "UpdateKantataInvoice",
        """\
mutation UpdateKantataInvoice {
  updateInvoice(input: {
    id: "kantata:invoice:101"
    number: "18"
    notes: "Thank you for your business"
    paymentTermsDays: 45
    billables: { timeEntryIds: ["kantata:time_entry:9001", "kantata:time_entry:9002"] }
  }) {
    invoice { number dueDate notes lineItems { id kind amount { amount } } }
    userErrors { code message field }
  }
}
""",
    ),
    Example(
        "UpdateKitchenInvoice",
        """\
mutation UpdateKitchenInvoice {
  updateInvoice(input: {
    id: "kitchen:invoice:in_14b07ae04d0ff853c351b3cc"
    footer: "Bank: IBAN DE89 3704 0044 0532 0130 00"
    lineItems: [
      { title: "Design sprint", quantity: "2", unitPrice: "1250.00" }
      { title: "Icon set", unitPrice: "19.99" }
    ]
    discounts: [{ title: "Loyalty", amount: "5", type: PERCENTAGE }]
    taxes: [{ title: "Sales tax", rate: "8.875" }]
  }) {
    invoice {
      total { amount currency }
      ... on KitchenInvoice { subtotal { amount } discountTotal { amount } taxTotal { amount } }
      lineItems { title quantity unitPrice { amount } amount { amount } }
    }
    userErrors { code message field }
  }
}
""",
    ),
    Example(
        "TypedRefusal",
        """\
mutation TypedRefusal {
  updateInvoice(input: { id: "kantata:invoice:101", footer: "x", number: "A-12" }) {
    userErrors { code message field }
  }
}
""",
    ),
    Example(
        "KantataInvoices",
        """\
query KantataInvoices {
  invoices(vendor: KANTATA, first: 10) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id number status balance { amount currency } createdBy { name }
                   recipient { name } workspaces { title } lineItems { kind amount { amount } } } }
  }
}
""",
    ),
    Example(
        "KitchenInvoicesAndNodes",
        """\
query KitchenInvoicesAndNodes {
  invoices(vendor: KITCHEN, first: 5, filter: { status: PAID }) {
    nodes { number total { amount currency } recipient { name } }
  }
  nodes(ids: ["kantata:user:7", "kantata:workspace:55", "kantata:time_entry:9001"]) {
    id ... on User { name } ... on Workspace { title } ... on LineItem { kind amount { amount } }
  }
}
""",
    ),
)
