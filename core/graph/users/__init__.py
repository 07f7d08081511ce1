"""Users of UniCRM (staff) and their department memberships."""
