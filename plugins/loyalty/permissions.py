from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission(
        "loyalty.member",
        ("read", "write", "delete"),
        "Loyalty members: enrolment, cards, status. Scope own/team: members enrolled at the "
        "user's stores.",
    ),
    Permission(
        "loyalty.program",
        ("read", "write"),
        "Loyalty programmes, member types, tiers, earn rates and rules, the reward catalogue.",
    ),
    Permission(
        "loyalty.points",
        ("read", "write", "adjust"),
        "The points ledger: read entries and lots; write: POS sales, refunds and redemptions; "
        "adjust: manual adjustments and transfers (audited).",
    ),
]

ROLES = [
    RoleGrant(
        "loyalty_officer",
        (
            "loyalty.member:read",
            "loyalty.member:write",
            "loyalty.program:read",
            "loyalty.program:write",
            "loyalty.points:read",
            "loyalty.points:write",
            "loyalty.points:adjust",
        ),
        "Runs the loyalty programmes and looks after members, cards and points.",
    ),
    RoleGrant("manager", ("loyalty.member:*", "loyalty.program:*", "loyalty.points:*")),
    RoleGrant("analyst", ("loyalty.member:read", "loyalty.program:read", "loyalty.points:read")),
    RoleGrant("marketer", ("loyalty.member:read", "loyalty.program:read", "loyalty.points:read")),
    RoleGrant(
        "support_agent", ("loyalty.member:read", "loyalty.program:read", "loyalty.points:read")
    ),
    RoleGrant(
        "store_staff",
        (
            "loyalty.member:read@own",
            "loyalty.member:write",
            "loyalty.program:read",
            "loyalty.points:read",
            "loyalty.points:write",
        ),
    ),
]
