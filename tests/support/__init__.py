"""Helpers the test suites share: real databases and real server processes."""
