"""Sales force automation: deals and their pipeline stages, from the first cold contact to a
won or lost close. Owns the ``sfa_*`` tables and the ``sfa.*`` permissions."""
