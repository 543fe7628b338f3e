"""Unit tests of the Flask backend: the app in-process (test client) on a fresh database."""
