"""The permissions core declares; plugins declare theirs through ``register_permissions``."""

from unicrm.core.plugins.contracts import Permission

CORE_PERMISSIONS = (
    Permission(
        "core.customer", description="People and companies, their profile and relationships."
    ),
    Permission("core.contact", description="Emails, phones and addresses of customers."),
    Permission("core.identity", description="External identities (LINE, POS member, cookie)."),
    Permission("core.consent", description="Consents per purpose and channel, with history."),
    Permission("core.tag", description="Tags and custom attributes on customers."),
    Permission("core.product", description="The product catalogue."),
    Permission("core.order", description="Orders and purchases with their lines."),
    Permission("core.timeline", ("read",), description="The customer timeline."),
    Permission("core.merge", ("write",), description="Merging duplicate customers."),
    Permission("core.department", description="Departments and their enabled plugins."),
    Permission("core.user", description="Users (staff) and their departments."),
    Permission(
        "core.job", ("read", "write"), description="Durable jobs: the queue and dead letters."
    ),
)
