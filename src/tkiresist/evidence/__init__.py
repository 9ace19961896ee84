"""Evidence synthesis: pooled statistics over registry cases and the claims audit."""
