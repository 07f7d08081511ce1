"""Marketing automation: capture and track leads, score, segment and nurture them, hand hot
leads to sales. Owns the ``ma_*`` tables, the ``ma.*`` permissions and the tracking routes."""
