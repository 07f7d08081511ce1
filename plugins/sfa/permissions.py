from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission("sfa.deal", ("read", "write", "delete"), "Deals and their pipeline stages."),
]

ROLES = [
    RoleGrant(
        "sales_rep",
        ("sfa.deal:read", "sfa.deal:write"),
        "Works deals through the pipeline.",
    ),
]
