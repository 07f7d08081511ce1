"""Products: the catalogue that orders refer to (SKU, name, category path, price, active)."""
