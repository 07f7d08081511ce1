from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission("sfa.deal", ("read", "write", "delete"), "Deals and their pipeline stages."),
    Permission("sfa.pipeline", ("read", "write"), "Pipelines and their ordered stages."),
]

ROLES = [
    RoleGrant(
        "sales_rep",
        (
            "sfa.deal:read",
            "sfa.deal:write",
            "sfa.pipeline:read",
            "core.lead:read",
            "core.lead:write",
        ),
        "Works leads and deals through the pipeline.",
    ),
    RoleGrant("manager", ("sfa.deal:*", "sfa.pipeline:*")),
    RoleGrant("analyst", ("sfa.deal:read", "sfa.pipeline:read")),
    RoleGrant("inside_sales", ("sfa.deal:read", "sfa.deal:write", "sfa.pipeline:read")),
    RoleGrant("field_sales", ("sfa.deal:read@own", "sfa.deal:write@own", "sfa.pipeline:read")),
]
