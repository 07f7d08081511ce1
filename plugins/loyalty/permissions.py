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
    RoleGrant("manager", ("loyalty.member:*",)),
    RoleGrant("analyst", ("loyalty.member:read",)),
    RoleGrant("marketer", ("loyalty.member:read",)),
    RoleGrant("support_agent", ("loyalty.member:read",)),
    RoleGrant("store_staff", ("loyalty.member:read", "loyalty.member:write")),
]
