"""Configuration: ``.nhigate.yaml`` or ``[tool.nhigate]`` in ``pyproject.toml``.

Found by walking up from the working directory (the first directory that has either wins;
``.nhigate.yaml`` before ``pyproject.toml``), or given with ``--config``.  Validated with a JSON
Schema (``nhigate config --schema`` prints it); check parameters are validated against each
check's declared parameters.  Any problem is a :class:`ConfigError` naming the file, the key and
what was expected, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nhigate.catalog import Check
from nhigate.owners import OwnerPolicy

_SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "config.schema.json"
_TYPES: dict[str, type | tuple[type, ...]] = {"integer": int, "string": str, "boolean": bool, "array": list}


class ConfigError(Exception):
    """An invalid configuration file; the message names the file and the key."""


@dataclass(frozen=True)
class IgnoreRule:
    path: str
    rules: tuple[str, ...]
    reason: str
    resource: str | None = None
    approved_by: str | None = None
    expires: dt.date | None = None


@dataclass(frozen=True)
class Config:
    source: str | None = None
    fail_on: str | None = None
    only: frozenset[str] | None = None
    skip: frozenset[str] = frozenset()
    exclude: tuple[str, ...] = ()
    ignore: tuple[IgnoreRule, ...] = ()
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    inline_suppressions: bool = True
    require_approver: bool = False
    max_file_bytes: int = 10 * 1024 * 1024
    environments: dict[str, dict[str, str]] = field(default_factory=dict)
    owners: OwnerPolicy = field(default_factory=OwnerPolicy)


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    with open(_SCHEMA_PATH, encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def find_config(start: Path) -> Path | None:
    """The nearest ``.nhigate.yaml``, or ``pyproject.toml`` with ``[tool.nhigate]``, upward."""
    directory = start.resolve()
    for candidate in (directory, *directory.parents):
        own = candidate / ".nhigate.yaml"
        if own.is_file():
            return own
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
    return None


def _has_tool_section(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return False
    return "[tool.nhigate" in text


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if path.name == "pyproject.toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        return data.get("tool", {}).get("nhigate", {})
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    return {} if data is None else data


def load_config(path: Path | None, catalog: dict[str, Check], cwd: Path | None = None) -> Config:
    """Load and validate the configuration (the given file, or the one found upward)."""
    source = path or find_config(cwd or Path.cwd())
    if source is None:
        return Config()
    if not source.is_file():
        raise ConfigError(f"{source}: no such configuration file")
    data = _read(source)
    _validate(data, source)
    _validate_checks(data, source, catalog)
    checks = data.get("checks", {})
    return Config(
        source=str(source),
        fail_on=data.get("fail_on"),
        only=frozenset(checks["only"]) if "only" in checks else None,
        skip=frozenset(checks.get("skip", ())),
        exclude=tuple(data.get("exclude", ())),
        ignore=tuple(_ignore_rule(item, source, i) for i, item in enumerate(data.get("ignore", []))),
        parameters={cid: dict(params) for cid, params in data.get("parameters", {}).items()},
        inline_suppressions=data.get("inline_suppressions", True),
        require_approver=data.get("require_approver", False),
        max_file_bytes=data.get("max_file_bytes", 10 * 1024 * 1024),
        environments={k: {str(a): str(b) for a, b in v.items()} for k, v in data.get("environments", {}).items()},
        owners=_owner_policy(data.get("owners", {})),
    )


def _owner_policy(data: dict[str, Any]) -> OwnerPolicy:
    default = OwnerPolicy()
    return OwnerPolicy(
        tag_keys=tuple(data.get("tag_keys", default.tag_keys)),
        placeholders=frozenset(v.strip().lower() for v in data["placeholders"])
        if "placeholders" in data
        else default.placeholders,
        recorded=tuple((str(k), str(v)) for k, v in data.get("recorded", {}).items()),
    )


def _validate(data: Any, source: Path) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"{source}: {key}: {_expected(error)}")


def _expected(error: Any) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{error.message}; expected one of: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{error.instance!r} is not allowed; expected one of: {', '.join(map(str, error.validator_value))}"
    return str(error.message)


def _validate_checks(data: dict[str, Any], source: Path, catalog: dict[str, Check]) -> None:
    for key in ("only", "skip"):
        for check_id in data.get("checks", {}).get(key, []):
            if check_id not in catalog:
                raise ConfigError(f"{source}: checks.{key}: unknown check ID {check_id} (see `nhigate checks`)")
    for index, item in enumerate(data.get("ignore", [])):
        for check_id in item.get("rules", []):
            if check_id not in catalog:
                raise ConfigError(f"{source}: ignore.{index}.rules: unknown check ID {check_id}")
    for check_id, params in data.get("parameters", {}).items():
        check = catalog.get(check_id)
        if check is None:
            raise ConfigError(f"{source}: parameters.{check_id}: unknown check ID")
        for name, value in params.items():
            declared = check.parameters.get(name)
            if declared is None:
                allowed = ", ".join(check.parameters) or "none"
                raise ConfigError(
                    f"{source}: parameters.{check_id}.{name}: unknown parameter; expected one of: {allowed}"
                )
            expected = _TYPES[declared.type]
            if not isinstance(value, expected) or (declared.type == "integer" and isinstance(value, bool)):
                raise ConfigError(f"{source}: parameters.{check_id}.{name}: expected {declared.type}, got {value!r}")


def _ignore_rule(item: dict[str, Any], source: Path, index: int) -> IgnoreRule:
    expires = None
    if "expires" in item:
        try:
            expires = dt.date.fromisoformat(item["expires"])
        except ValueError:
            raise ConfigError(f"{source}: ignore.{index}.expires: expected a date YYYY-MM-DD") from None
    return IgnoreRule(
        path=item["path"],
        rules=tuple(item["rules"]),
        reason=item["reason"],
        resource=item.get("resource"),
        approved_by=item.get("approved_by"),
        expires=expires,
    )
