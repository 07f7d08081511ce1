"""External identities: a customer's ids in other systems (LINE, POS member, web cookie, …)."""
