"""The append-only audit log: who did what, when, from where, under which trace.

``services.record`` writes one entry; the ``MutationAudit`` schema extension records every
mutation; ``auditLog`` and ``unicrm audit list`` read the log back. Entries never hold the
values of secrets or personal data, and the database refuses to change or delete them.
"""
