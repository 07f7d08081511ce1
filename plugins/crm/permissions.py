from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission("crm.case", ("read", "write", "delete"), "Service cases and their resolution."),
]

ROLES = [
    RoleGrant(
        "support_agent",
        ("crm.case:read@team", "crm.case:write@team", "core.team:read"),
        "Answers customers and works the cases of its queues to resolution.",
    ),
    RoleGrant("manager", ("crm.case:*",)),
    RoleGrant("analyst", ("crm.case:read",)),
    RoleGrant("technician", ("crm.case:read@own", "crm.case:write@own", "core.team:read")),
    RoleGrant("store_staff", ("crm.case:read@own", "crm.case:write@own")),
    RoleGrant("field_sales", ("crm.case:read@own",)),
]
