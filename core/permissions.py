"""The permissions core declares, and core's part of the default roles.

Plugins declare theirs through ``register_permissions`` and ``register_default_roles``; the
grants of one role add up across core and plugins.
"""

from unicrm.core.plugins.contracts import Permission, RoleGrant

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
    Permission("core.audit", ("read",), description="The append-only audit log."),
    Permission("core.apikey", description="API keys of integrations: create, list, revoke."),
    Permission(
        "core.role", description="Roles, their inheritance and their grants (allow and deny rules)."
    ),
    Permission(
        "core.policy",
        ("read", "write"),
        description="Role assignments, policy versions, import/export, explain and access review.",
    ),
    Permission("core.event", ("read", "write"), description="Event deliveries to handlers."),
    Permission(
        "core.event_ingest",
        ("write",),
        description="Pushing custom events over POST /events (integrations' API keys).",
    ),
    Permission("core.webhook", description="Outbound webhook endpoints and their deliveries."),
    Permission(
        "core.job", ("read", "write"), description="Durable jobs: the queue and dead letters."
    ),
    Permission("core.store", description="Stores and branches, their hours and staff."),
    Permission(
        "core.invoice",
        ("read", "write"),
        description="Tax invoices, receipts and credit notes; scoped by the customer's owner.",
    ),
    Permission(
        "core.booking",
        ("read", "write"),
        description="Bookable resources and bookings; own scope: the stores one works at.",
    ),
    Permission(
        "core.message",
        ("read", "write"),
        description="Messages to customers (send, records, statuses) and suppressions.",
    ),
    Permission(
        "core.message_template", ("read", "write"), description="Message templates per channel."
    ),
    Permission("core.segment", description="Saved segments, their members and tagging rules."),
    Permission("core.asset", description="Assets customers own: serials, warranties, status."),
    Permission(
        "core.contract",
        description="Contracts, subscriptions and maintenance plans with their status history.",
    ),
    Permission(
        "core.preference",
        description="Customer preferences: channel, contact times, store, dietary and allergy "
        "notes.",
    ),
    Permission("core.lead", description="Leads: temperature, source, owner and conversion."),
    Permission("core.team", description="Teams of a department: manager, members, territories."),
)

CUSTOMER_DATA = ("core.customer", "core.contact", "core.identity", "core.consent", "core.tag")
CATALOGUE = ("core.product:read", "core.order:read", "core.timeline:read")
SENSITIVE_NOTE = "PreferenceNote.sensitiveText"
"""Allergy and health notes: store staff see them masked unless a policy grants ``read``."""
ADMINISTRATION = {"core.role", "core.policy", "core.department", "core.user"}


def _reads(*permissions: str) -> tuple[str, ...]:
    return tuple(f"{p}:read" for p in permissions)


def _read_write(*permissions: str, scope: str = "") -> tuple[str, ...]:
    suffix = f"@{scope}" if scope else ""
    return tuple(f"{p}:{a}{suffix}" for p in permissions for a in ("read", "write"))


ROLES = (
    RoleGrant("admin", ("*:*",), "Everything, in every department, personal data in clear."),
    RoleGrant(
        "department_admin",
        (
            "core.role:*",
            "core.policy:*",
            "core.user:*",
            "core.department:read",
            "core.team:*",
        ),
        "Runs a department: manages its roles, grants and users, and works as its manager.",
        inherits=("manager",),
    ),
    RoleGrant(
        "analyst",
        _reads(
            *(
                p.name
                for p in CORE_PERMISSIONS
                if p.name not in ADMINISTRATION and "read" in p.actions
            )
        ),
        "Reads everything that is not personal data; changes nothing.",
    ),
    RoleGrant(
        "manager",
        (
            *_read_write(*CUSTOMER_DATA),
            *CATALOGUE,
            "core.order:write",
            "core.merge:write",
            "core.segment:*",
            *_read_write("core.asset", "core.contract", "core.preference"),
            "core.user:read",
            "core.store:read",
            *_read_write("core.invoice", "core.booking"),
            *_read_write("core.message", "core.message_template"),
            "core.lead:write",
            "core.team:read",
            "pii:*:read",
            "pii:*:read_masked",
        ),
        "Leads a team: works every customer of the department, personal data in clear.",
        inherits=("analyst",),
    ),
    RoleGrant(
        "marketer",
        (
            *_read_write("core.customer", "core.consent", "core.tag", "core.lead"),
            "core.contact:read",
            "core.identity:read",
            "core.segment:*",
            "core.preference:read",
            *CATALOGUE,
            *_read_write("core.message", "core.message_template"),
            "pii:contact:read",
            "pii:profile:read",
        ),
        "Builds audiences and campaigns; respects consents.",
    ),
    RoleGrant(
        "inside_sales",
        (
            *_read_write("core.customer", "core.contact", "core.tag", "core.lead"),
            "core.team:read",
            "core.identity:read",
            "core.consent:read",
            *CATALOGUE,
            *_read_write("core.invoice", scope="department"),
            *_read_write("core.message"),
            "core.message_template:read",
            "pii:contact:read",
            "pii:profile:read",
        ),
        "Sells by phone and e-mail to every customer of the department.",
    ),
    RoleGrant(
        "field_sales",
        (
            *_read_write("core.customer", "core.contact", "core.lead", scope="own"),
            "core.team:read",
            "core.tag:read@own",
            "core.consent:read@own",
            "core.order:read@own",
            "core.timeline:read@own",
            "core.product:read",
            *_read_write("core.invoice", scope="own"),
            "pii:contact:read",
            "pii:profile:read",
        ),
        "Visits its own customers and works its own deals.",
    ),
    RoleGrant(
        "support_agent",
        (
            *_read_write("core.customer", "core.contact"),
            "core.identity:read",
            "core.consent:read",
            "core.tag:read",
            *CATALOGUE,
            "core.message:read",
            *_read_write("core.asset"),
            "core.contract:read",
            "core.preference:read",
            "pii:contact:read",
            "pii:profile:read",
        ),
        "Answers customers and works their cases to resolution.",
    ),
    RoleGrant(
        "technician",
        (
            "core.customer:read",
            "core.contact:read",
            "core.product:read",
            "core.order:read",
            "core.booking:read",
            "core.asset:read",
            "core.contract:read",
            "pii:contact:read",
            "pii:profile:read",
        ),
        "Installs and repairs at the customer's place; works the cases assigned to it.",
    ),
    RoleGrant(
        "store_staff",
        (
            *_read_write("core.customer", "core.identity", "core.order", "core.invoice"),
            *_read_write("core.booking", scope="own"),
            "core.store:read",
            "core.contact:read",
            "core.consent:read",
            "core.product:read",
            "core.message:read",
            *_read_write("core.preference"),
            f"{SENSITIVE_NOTE}:read_masked",
            "pii:contact:read_masked",
            "pii:profile:read",
        ),
        "Serves customers at the till: enrols members, records sales; contacts masked.",
    ),
    RoleGrant(
        "event_source",
        ("core.event_ingest:write",),
        "An integration (web shop, POS, app) pushing custom events over POST /events.",
    ),
)
