"""The access-admin API: permissions, roles, grants, assignments, versions, review."""
