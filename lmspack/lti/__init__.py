"""Flask-free LTI plumbing: the guarded outbound HTTP of dynamic registration (outbound.py)
and the platforms' key sets, cached in the store and fetched once at a time (keyset.py)."""
