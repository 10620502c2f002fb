"""Terraform built-in functions, as pure Python over nhigate values.

Only the functions real modules lean on are implemented; every other function evaluates to
:class:`~nhigate.model.Unknown` — never to an exception and never to a guess.  An Unknown or a
:class:`~nhigate.model.Ref` argument makes the result Unknown unless the function's semantics
let it pass through (``coalesce``, ``try``, ``merge`` of known keys is not attempted).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from nhigate.model import Ref, Unknown

Value = Any
Function = Callable[[list[Value]], Value]


def is_known(value: Value) -> bool:
    """True when the value and everything inside it is concrete (no Unknown, no Ref)."""
    if isinstance(value, (Unknown, Ref)):
        return False
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    if isinstance(value, list):
        return all(is_known(v) for v in value)
    return True


def first_unknown(values: list[Value]) -> Unknown | None:
    for value in values:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Ref):
            return Unknown(f"depends on {value}")
    return None


def _strict(fn: Callable[..., Value], name: str) -> Function:
    """Wrap a function that needs all arguments known at top level."""

    def run(args: list[Value]) -> Value:
        unknown = first_unknown(args)
        if unknown is not None:
            return unknown
        try:
            return fn(*args)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError):
            return Unknown(f"{name}() cannot be evaluated statically here")

    return run


def _merge(*maps: Value) -> Value:
    out: dict[str, Value] = {}
    for item in maps:
        if item is None:
            continue
        if not isinstance(item, dict):
            raise TypeError("merge of non-map")
        out.update(item)
    return out


def _concat(*lists: Value) -> Value:
    out: list[Value] = []
    for item in lists:
        if not isinstance(item, list):
            raise TypeError("concat of non-list")
        out.extend(item)
    return out


def _lookup(mapping: Value, key: Value, *default: Value) -> Value:
    if not isinstance(mapping, dict):
        raise TypeError("lookup on non-map")
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise KeyError(key)


def _coalesce(args: list[Value]) -> Value:
    for value in args:
        if isinstance(value, (Unknown, Ref)):
            return Unknown("coalesce() over a value that is not known")
        if value is not None and value != "":
            return value
    return Unknown("coalesce() with no non-empty argument")


def _try(args: list[Value]) -> Value:
    # The evaluator marks failed arguments Unknown; the first known one wins.
    for value in args:
        if not isinstance(value, Unknown):
            return value
    return Unknown("try() with no argument that evaluates")


_FORMAT_VERB = re.compile(r"%(%|[-+# 0]*\d*(?:\.\d+)?[sdvfqtbeEgGxXo])")


def _format(fmt: Value, *args: Value) -> Value:
    if not isinstance(fmt, str):
        raise TypeError("format string")
    values = iter(args)

    def repl(match: re.Match[str]) -> str:
        verb = match.group(1)
        if verb == "%":
            return "%"
        value = next(values)
        if verb.endswith("q"):
            return json.dumps(value)
        if verb.endswith("d"):
            return str(int(value))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    return _FORMAT_VERB.sub(repl, fmt)


def _join(sep: Value, *lists: Value) -> Value:
    items: list[Value] = []
    for item in lists:
        if not isinstance(item, list):
            raise TypeError("join of non-list")
        items.extend(item)
    unknown = first_unknown(items)
    if unknown is not None:
        return unknown
    return str(sep).join(_to_string(v) for v in items)


def _to_string(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None or isinstance(value, (dict, list)):
        raise TypeError("not a primitive")
    return str(value)


def _jsonencode(value: Value) -> Value:
    if not is_known(value):
        return Unknown("jsonencode() of a value that is not fully known")
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _jsondecode(text: Value) -> Value:
    return json.loads(text)


def _toset(items: Value) -> Value:
    if not isinstance(items, list):
        raise TypeError("toset of non-list")
    out: list[Value] = []
    for item in items:
        if item not in out:
            out.append(item)
    return sorted(out, key=lambda v: json.dumps(v, sort_keys=True))


def _keys(mapping: Value) -> Value:
    if not isinstance(mapping, dict):
        raise TypeError("keys of non-map")
    return sorted(mapping)


def _values(mapping: Value) -> Value:
    if not isinstance(mapping, dict):
        raise TypeError("values of non-map")
    return [mapping[k] for k in sorted(mapping)]


def _tomap(value: Value) -> Value:
    if not isinstance(value, dict):
        raise TypeError("tomap of non-map")
    return value


def _tolist(value: Value) -> Value:
    if not isinstance(value, list):
        raise TypeError("tolist of non-list")
    return value


def _length(value: Value) -> Value:
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise TypeError("length of scalar")


def _contains(items: Value, value: Value) -> Value:
    if not isinstance(items, list):
        raise TypeError("contains of non-list")
    return value in items


def _element(items: Value, index: Value) -> Value:
    if not isinstance(items, list) or not items:
        raise IndexError("element of empty list")
    return items[int(index) % len(items)]


def _compact(items: Value) -> Value:
    return [v for v in items if v not in (None, "")]


def _flatten(items: Value) -> Value:
    out: list[Value] = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _distinct(items: Value) -> Value:
    out: list[Value] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _tonumber(value: Value) -> Value:
    if isinstance(value, bool):
        raise TypeError("bool")
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def _tobool(value: Value) -> Value:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("not a bool")


def _replace(text: Value, old: Value, new: Value) -> Value:
    if isinstance(old, str) and len(old) > 1 and old.startswith("/") and old.endswith("/"):
        raise ValueError("regex replace not evaluated")
    return str(text).replace(str(old), str(new))


FUNCTIONS: dict[str, Function] = {
    "merge": _strict(_merge, "merge"),
    "concat": _strict(_concat, "concat"),
    "lookup": _strict(_lookup, "lookup"),
    "coalesce": _coalesce,
    "try": _try,
    "format": _strict(_format, "format"),
    "join": _strict(_join, "join"),
    "lower": _strict(lambda s: str(s).lower(), "lower"),
    "upper": _strict(lambda s: str(s).upper(), "upper"),
    "trimspace": _strict(lambda s: str(s).strip(), "trimspace"),
    "jsonencode": _strict(_jsonencode, "jsonencode"),
    "jsondecode": _strict(_jsondecode, "jsondecode"),
    "tomap": _strict(_tomap, "tomap"),
    "tolist": _strict(_tolist, "tolist"),
    "toset": _strict(_toset, "toset"),
    "tostring": _strict(_to_string, "tostring"),
    "tonumber": _strict(_tonumber, "tonumber"),
    "tobool": _strict(_tobool, "tobool"),
    "keys": _strict(_keys, "keys"),
    "values": _strict(_values, "values"),
    "length": _strict(_length, "length"),
    "contains": _strict(_contains, "contains"),
    "element": _strict(_element, "element"),
    "compact": _strict(_compact, "compact"),
    "flatten": _strict(_flatten, "flatten"),
    "distinct": _strict(_distinct, "distinct"),
    "replace": _strict(_replace, "replace"),
}
