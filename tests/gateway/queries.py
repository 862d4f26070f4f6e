"""Operations the tests send, and the sandbox's demo IDs they use."""

from __future__ import annotations

from gateway.sandbox.kitchen import seed as kitchen_seed

KANTATA_DRAFT = "kantata:invoice:101"  # USD draft with all five line-item kinds
KANTATA_OPEN = "kantata:invoice:102"  # no recipient
KANTATA_EUR = "kantata:invoice:103"
KANTATA_JPY = "kantata:invoice:104"
KANTATA_CANCELLED = "kantata:invoice:105"

KITCHEN_DRAFT = f"kitchen:invoice:{kitchen_seed.IN_DRAFT}"
KITCHEN_OPEN = f"kitchen:invoice:{kitchen_seed.IN_OPEN}"
KITCHEN_JPY = f"kitchen:invoice:{kitchen_seed.IN_JPY}"
KITCHEN_PAID = f"kitchen:invoice:{kitchen_seed.IN_PAID}"
KITCHEN_NO_CLIENT = f"kitchen:invoice:{kitchen_seed.IN_NO_CLIENT}"
KITCHEN_CLIENT = f"kitchen:user:{kitchen_seed.JONAS}"

INVOICE_FIELDS = """
  id vendor vendorId number title status vendorStatus issueDate dueDate paymentTermsDays
  currency notes total { amount currency } balance { amount currency } createdAt updatedAt
  ... on KantataInvoice { draft purchaseOrder projectCode taxRate }
  ... on KitchenInvoice {
    footer language visibility paymentGateways
    discounts { id title amount type } taxItems { id title rate }
    dueReminder { message sendDays sendDate }
    subtotal { amount } discountTotal { amount } taxTotal { amount }
  }
"""

NESTED_FIELDS = """
  createdBy { id name email }
  recipient { id name email }
  workspaces { id title }
  lineItems {
    id kind title description quantity
    unitPrice { amount currency } amount { amount currency }
  }
"""

UPDATE = f"""
mutation Update($input: UpdateInvoiceInput!) {{
  updateInvoice(input: $input) {{
    invoice {{ {INVOICE_FIELDS} }}
    userErrors {{ code message field }}
  }}
}}
"""

UPDATE_NESTED = f"""
mutation Update($input: UpdateInvoiceInput!) {{
  updateInvoice(input: $input) {{
    invoice {{ {INVOICE_FIELDS} {NESTED_FIELDS} }}
    userErrors {{ code message field }}
  }}
}}
"""

READ = f"""
query Read($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} {NESTED_FIELDS} }} }}
"""
