from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission("sfa.deal", ("read", "write", "delete"), "Deals and their pipeline stages."),
]

ROLES = [
    RoleGrant(
        "sales_rep",
        ("sfa.deal:read", "sfa.deal:write", "core.lead:read", "core.lead:write"),
        "Works leads and deals through the pipeline.",
    ),
    RoleGrant("manager", ("sfa.deal:*",)),
    RoleGrant("analyst", ("sfa.deal:read",)),
    RoleGrant("inside_sales", ("sfa.deal:read", "sfa.deal:write")),
    RoleGrant("field_sales", ("sfa.deal:read@own", "sfa.deal:write@own")),
]
