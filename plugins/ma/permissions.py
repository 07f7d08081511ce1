from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission("ma.lead_score", ("read", "write"), "Lead scores and their explanations."),
]

ROLES = [
    RoleGrant("marketer", ("ma.lead_score:read", "ma.lead_score:write")),
    RoleGrant("manager", ("ma.lead_score:*",)),
    RoleGrant("analyst", ("ma.lead_score:read",)),
    RoleGrant("inside_sales", ("ma.lead_score:read",)),
    RoleGrant("field_sales", ("ma.lead_score:read@own",)),
]
