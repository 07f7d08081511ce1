"""Cases by id and by customer (within the actor's row scope), and each case's conversation,
attachments and status history."""

from __future__ import annotations

from unicrm.core.graph.loaders import entities_by, many_per_key, one_per_key
from unicrm.plugins.crm.models import (
    Case,
    CaseAttachment,
    CaseMessage,
    CaseStatusChange,
    SlaPolicy,
)
from unicrm.plugins.crm.services.cases import visible_to

LOADERS = {
    "crm.case_by_id": one_per_key(entities_by(Case.id), visible_to),
    "crm.cases_by_customer": many_per_key(
        entities_by(Case.customer_id, Case.opened_at.desc(), Case.id.desc()), visible_to
    ),
    "crm.messages_by_case": many_per_key(
        entities_by(CaseMessage.case_id, CaseMessage.created_at, CaseMessage.id)
    ),
    "crm.attachments_by_case": many_per_key(
        entities_by(CaseAttachment.case_id, CaseAttachment.created_at, CaseAttachment.id)
    ),
    "crm.attachments_by_message": many_per_key(
        entities_by(CaseAttachment.message_id, CaseAttachment.created_at, CaseAttachment.id)
    ),
    "crm.sla_policy_by_id": one_per_key(entities_by(SlaPolicy.id)),
    "crm.status_changes_by_case": many_per_key(
        entities_by(CaseStatusChange.case_id, CaseStatusChange.changed_at, CaseStatusChange.id)
    ),
}
