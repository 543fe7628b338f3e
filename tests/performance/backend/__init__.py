"""Helpers of the backend benchmark: a Node cluster for legacy, wrk runs, process memory."""
