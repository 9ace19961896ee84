"""Migration scripts, oldest first: r0001 (cases, provenance, history), r0002 (facts)."""
