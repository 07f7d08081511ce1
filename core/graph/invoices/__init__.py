"""Tax invoices, receipts and credit notes issued from orders, numbered without gaps."""
