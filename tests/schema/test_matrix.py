"""Every subset of the built-in plugins composes, in one process, into a schema exposing
exactly its plugins' root fields, Customer fields and types."""

from __future__ import annotations

from itertools import combinations

import graphql
import pytest

from unicrm.core.config import BUILTIN_PLUGINS
from unicrm.schema.composer import build_schema

ROOT_FIELDS = {
    "ma": {"leadScoreDistribution", "maForms", "maScoringModels", "maCampaigns"},
    "sfa": {"assignmentRules", "dealBoard", "deals", "pipelines", "salesAnalytics"},
    "crm": {
        "case",
        "cases",
        "slaPolicies",
        "businessCalendar",
        "slaBreachesByTeam",
        "macros",
        "feedbackCategories",
        "vocReport",
        "npsReport",
        "productsBoughtWith",
        "reminderRules",
    },
    "loyalty": {
        "loyaltyMember",
        "loyaltyMembers",
        "loyaltyPrograms",
        "loyaltyReconciliations",
        "loyaltyAnalytics",
    },
}
CUSTOMER_FIELDS = {
    "ma": {"leadScore", "maActivity", "maFormSubmissions"},
    "sfa": {"deals", "salesActivities"},
    "crm": {"cases", "service"},
    "loyalty": {"loyaltyMember", "loyaltyMemberships"},
}
TYPES = {
    "ma": {
        "LeadScore",
        "LeadScoreReason",
        "ScoreBand",
        "MaCampaign",
        "MaForm",
        "MaFormSubmission",
        "MaScoringModel",
        "MaTrackingEvent",
    },
    "sfa": {"Deal", "Pipeline", "PipelineStage", "DealConnection", "DealEdge"},
    "crm": {
        "Case",
        "CaseStatus",
        "CasePriority",
        "CaseChannel",
        "CaseMessage",
        "CaseSla",
        "SlaPolicy",
        "TechnicianVisit",
        "CustomerService",
        "CaseConnection",
        "CaseEdge",
        "Macro",
        "MacroPayload",
        "FeedbackCategory",
        "VocReport",
        "NpsReport",
    },
    "loyalty": {
        "LoyaltyMember",
        "LoyaltyMemberStatus",
        "LoyaltyProgram",
        "LoyaltyReward",
        "LoyaltyLedgerEntry",
        "LoyaltyErrorCode",
    },
}
SUBSETS = [
    frozenset(c)
    for size in range(len(BUILTIN_PLUGINS) + 1)
    for c in combinations(BUILTIN_PLUGINS, size)
]


def parsed(offline_state, plugins: frozenset[str]) -> graphql.GraphQLSchema:
    return graphql.build_schema(build_schema(offline_state, plugins).as_str())


def fields(schema: graphql.GraphQLSchema, type_name: str) -> set[str]:
    return set(schema.get_type(type_name).fields)


@pytest.fixture(scope="module")
def core(offline_state) -> graphql.GraphQLSchema:
    return parsed(offline_state, frozenset())


def test_the_matrix_has_all_sixteen_subsets():
    assert len(set(SUBSETS)) == 16


@pytest.mark.parametrize("plugins", SUBSETS, ids=lambda s: "+".join(sorted(s)) or "core")
def test_subset_exposes_exactly_its_plugins(offline_state, core, plugins):
    schema = parsed(offline_state, plugins)

    expected_roots = fields(core, "Query").union(*(ROOT_FIELDS[p] for p in plugins))
    expected_customer = fields(core, "Customer").union(*(CUSTOMER_FIELDS[p] for p in plugins))
    assert fields(schema, "Query") == expected_roots
    assert fields(schema, "Customer") == expected_customer
    for plugin, names in TYPES.items():
        present = {n for n in names if schema.get_type(n) is not None}
        assert present == (names if plugin in plugins else set()), plugin
