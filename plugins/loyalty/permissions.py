from unicrm.core.plugins.contracts import Permission, RoleGrant

PERMISSIONS = [
    Permission(
        "loyalty.member", ("read", "write", "delete"), "Loyalty members, their cards and points."
    ),
]

ROLES = [
    RoleGrant(
        "loyalty_officer",
        ("loyalty.member:read", "loyalty.member:write"),
        "Enrols members and looks after their cards and points.",
    ),
]
