"""Behaviour of the Node legacy service, against the real process and a real database."""
