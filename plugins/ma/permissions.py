from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission("ma.lead_score", ("read", "write"), "Lead scores and their explanations."),
    Permission("ma.form", ("read", "write"), "Web forms and their submissions."),
    Permission("ma.tracking", ("read",), "Tracked page views, events, e-mail opens and clicks."),
    Permission("ma.campaign", ("read", "write"), "Campaigns, their sends and their numbers."),
]

ROLES = [
    RoleGrant(
        "marketer",
        (
            "ma.lead_score:read",
            "ma.lead_score:write",
            "ma.form:read",
            "ma.form:write",
            "ma.tracking:read",
            "ma.campaign:read",
            "ma.campaign:write",
        ),
    ),
    RoleGrant("manager", ("ma.lead_score:*", "ma.form:*", "ma.tracking:*", "ma.campaign:*")),
    RoleGrant(
        "analyst", ("ma.lead_score:read", "ma.form:read", "ma.tracking:read", "ma.campaign:read")
    ),
    RoleGrant("inside_sales", ("ma.lead_score:read", "ma.form:read", "ma.tracking:read")),
    RoleGrant("field_sales", ("ma.lead_score:read@own",)),
]
