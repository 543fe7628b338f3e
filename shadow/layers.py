"""Settings resolved in layers: a route's own value, else the global section's.

Each layer is a mapping (routes.yaml as loaded), an object with those attributes (the proxy's
validated models) or None; a value of None means "not set here".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def setting(layer: Any, key: str) -> Any:
    """Return ``key`` of one layer, or None when the layer is None or does not set it."""
    if layer is None:
        return None
    if isinstance(layer, Mapping):
        return layer.get(key)
    return getattr(layer, key, None)


def first(key: str, *layers: Any, fallback: Any = None) -> Any:
    """Return the first layer's value of ``key`` that is set, else ``fallback``."""
    for layer in layers:
        value = setting(layer, key)
        if value is not None:
            return value
    return fallback
