"""The business rules of the Conduit API; the only code that commits."""
