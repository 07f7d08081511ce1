"""The timeline entry kinds core writes, as ``{kind: description}``.

core/plugin.py returns this from its ``customer_timeline_kinds`` hook implementation.
"""

KINDS = {
    "core.order_placed": "An order or purchase was placed (POS, e-commerce, manual or import).",
    "core.tag_added": "A tag was put on the customer.",
    "core.tag_removed": "A tag was taken off the customer.",
    "core.attributes_changed": "Custom attributes of the customer were set or cleared.",
    "core.consent_changed": "A consent was granted or withdrawn.",
    "core.customer_merged": "Another customer record was merged into this one.",
    "core.lifecycle_changed": "The customer's lifecycle stage changed.",
    "core.lead_created": "A lead was opened for the customer.",
    "core.lead_temperature_changed": "The temperature of the customer's lead changed.",
    "core.lead_converted": "The customer's lead was converted to an opportunity.",
    "core.lead_disqualified": "The customer's lead was disqualified.",
    "core.custom_event": "An integration pushed a custom event (POST /events).",
}
