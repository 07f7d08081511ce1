"""Customer-data duties shared by core and plugins: merge moves, DSAR export, erasure."""
