"""One way to read a setting from the environment.

``env(NAME, default)`` parses ``NAME`` as the type of its default: a bool ("1", "true",
"yes", "on" / "0", "false", "no", "off"), an int, a float, a list (comma-separated), a
duration (a ``timedelta``: "90" or "90s" seconds, "15m", "2h", "7d") or a string. An unset
or empty variable gives the default. ``off=VALUE`` lets the word "off" stand for VALUE (for
example ``None``: a feature turned off). A value that does not parse stops the process
with the variable's name, instead of running with a setting nobody asked for.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_NO_OFF = object()


def env(name: str, default: Any, *, off: Any = _NO_OFF) -> Any:
    """The variable ``name`` parsed as ``default``'s type, or ``default`` if unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if off is not _NO_OFF and raw.lower() == "off":
        return off
    try:
        return parse(raw, type(default))
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {error}.") from None


def parse(raw: str, kind: type) -> Any:
    if kind is bool:
        if raw.lower() in TRUE | FALSE:
            return raw.lower() in TRUE
        raise ValueError("on or off (1/0, true/false, yes/no, on/off)")
    if kind is int:
        return _number(raw, int, "a whole number")
    if kind is float:
        return _number(raw, float, "a number")
    if kind is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
    if kind is timedelta:
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", raw.lower())
        if not match:
            raise ValueError("a duration (seconds, or a number with s, m, h or d)")
        return timedelta(**{UNITS[match[2] or "s"]: float(match[1])})
    return raw


def _number(raw: str, kind: type, what: str):
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(what) from None
