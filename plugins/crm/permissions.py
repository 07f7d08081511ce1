from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission("crm.case", ("read", "write", "delete"), "Service cases and their resolution."),
    Permission(
        "crm.sla", ("read", "write"), "SLA policies, the business calendar, breach reports."
    ),
    Permission("crm.macro", ("read", "write"), "Macros: canned responses agents apply to cases."),
    Permission(
        "crm.voc", ("read", "write"), "Voice of the customer: feedback categories and reports."
    ),
    Permission(
        "crm.retention",
        ("read", "write"),
        "Retention: customers' RFM scores, lifetime value and churn risk.",
    ),
]

ROLES = [
    RoleGrant(
        "support_agent",
        (
            "crm.case:read@team",
            "crm.case:write@team",
            "crm.sla:read",
            "crm.macro:read",
            "crm.voc:read",
            "crm.retention:read",
            "core.team:read",
        ),
        "Answers customers and works the cases of its queues to resolution.",
    ),
    RoleGrant(
        "manager", ("crm.case:*", "crm.sla:*", "crm.macro:*", "crm.voc:*", "crm.retention:*")
    ),
    RoleGrant(
        "analyst",
        ("crm.case:read", "crm.sla:read", "crm.macro:read", "crm.voc:read", "crm.retention:read"),
    ),
    RoleGrant(
        "technician", ("crm.case:read@own", "crm.case:write@own", "crm.sla:read", "core.team:read")
    ),
    RoleGrant("store_staff", ("crm.case:read@own", "crm.case:write@own")),
    RoleGrant("field_sales", ("crm.case:read@own",)),
]
