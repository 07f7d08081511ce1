"""Access control: who the caller is (authentication) and what they may see and do
(casbin policies per department, enforced on every field and row)."""
