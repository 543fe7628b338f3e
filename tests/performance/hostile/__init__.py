"""``make hostile``: hostile clients and sick upstreams against real processes, with figures."""
