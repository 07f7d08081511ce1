"""The timeline entry kinds MA writes."""

KINDS = {
    "ma.email_clicked": "The customer clicked a link in a marketing e-mail.",
    "ma.form_submitted": "The customer filled in a marketing web form.",
    "ma.lead_qualified": "The lead score crossed the scoring model's threshold.",
}
