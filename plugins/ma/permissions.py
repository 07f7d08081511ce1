from unicrm.core.plugins.contracts import Permission

PERMISSIONS = [
    Permission("ma.lead_score", ("read", "write"), "Lead scores and their explanations."),
]
