"""``viewer``: who the caller is, where, with which roles, and what they may do."""
