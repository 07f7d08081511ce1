"""Loyalty: membership cards, tiers and points balances of the customers enrolled in the
loyalty programme. Owns the ``loyalty_*`` tables and the ``loyalty.*`` permissions."""
