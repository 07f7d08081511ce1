from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission("sfa.deal", ("read", "write", "delete"), "Deals and their pipeline stages."),
    Permission("sfa.pipeline", ("read", "write"), "Pipelines and their ordered stages."),
    Permission("sfa.quote", ("read", "write"), "Quotes of deals (scoped by their deal)."),
    Permission(
        "sfa.assignment_rule", ("read", "write"), "Rules assigning deals to owners automatically."
    ),
    Permission(
        "sfa.activity",
        ("read", "write"),
        "Calls, meetings, visits, e-mails and tasks with customers (scoped by the customer).",
    ),
]

ROLES = [
    RoleGrant(
        "sales_rep",
        (
            "sfa.deal:read",
            "sfa.deal:write",
            "sfa.pipeline:read",
            "sfa.activity:read",
            "sfa.activity:write",
            "sfa.quote:read",
            "sfa.quote:write",
            "core.lead:read",
            "core.lead:write",
        ),
        "Works leads and deals through the pipeline.",
    ),
    RoleGrant(
        "manager",
        ("sfa.deal:*", "sfa.pipeline:*", "sfa.activity:*", "sfa.quote:*", "sfa.assignment_rule:*"),
    ),
    RoleGrant(
        "analyst", ("sfa.deal:read", "sfa.pipeline:read", "sfa.activity:read", "sfa.quote:read")
    ),
    RoleGrant(
        "inside_sales",
        (
            "sfa.deal:read",
            "sfa.deal:write",
            "sfa.pipeline:read",
            "sfa.activity:read",
            "sfa.activity:write",
            "sfa.quote:read",
            "sfa.quote:write",
        ),
    ),
    RoleGrant(
        "field_sales",
        (
            "sfa.deal:read@own",
            "sfa.deal:write@own",
            "sfa.pipeline:read",
            "sfa.activity:read@own",
            "sfa.activity:write@own",
            "sfa.quote:read@own",
            "sfa.quote:write@own",
        ),
    ),
]
