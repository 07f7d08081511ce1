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
}
