"""Pure rules of Floor: no I/O, no framework, nothing of ours imported."""
