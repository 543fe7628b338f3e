"""Differential fuzzing: generated requests sent to legacy and the backend, replies and
databases compared. ``python -m tests.fuzz --pairs N`` (``make fuzz``); a bounded run is part
of ``make test`` (test_fuzz.py). docs/fuzzing.md describes the generators, the comparison and
its noise rules, and the last long run."""
