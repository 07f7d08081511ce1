"""Customer service: cases that customers open, their priority and their way to resolution.
Owns the ``crm_*`` tables and the ``crm.*`` permissions."""
