"""The check catalog: one ``checks/NHIxxx.yaml`` per check, validated against a JSON Schema.

The YAML files hold everything a person reads about a check (title, docs, framework mappings,
parameters); the Python predicate named by ``predicate`` holds only the logic.  The catalog
directory is ``checks/`` in a source checkout and ``nhigate/_checks`` inside an installed wheel,
so ``pip install .`` and a clone behave the same.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "info")
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}

_PACKAGE_DIR = Path(__file__).resolve().parent


class CatalogError(Exception):
    """A check file that is missing, unreadable or does not match the schema."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any
    description: str


@dataclass(frozen=True)
class Check:
    """One check's metadata, exactly as its YAML file states it."""

    id: str
    name: str
    title: str
    family: str
    severity: str
    precision: str
    formats: tuple[str, ...]
    resource_types: tuple[str, ...]
    block_kinds: tuple[str, ...]
    scope: str
    predicate: str | None
    agentic: str
    parameters: dict[str, Parameter]
    frameworks: dict[str, tuple[str, ...]]
    agentic_frameworks: dict[str, tuple[str, ...]]
    docs: dict[str, Any]
    source: str = field(compare=False)

    @property
    def help_uri(self) -> str:
        """The first reference: a real page about the risk (nhigate has no docs site yet)."""
        return str(self.docs["references"][0]["url"])

    def framework_pairs(self, agentic: bool) -> list[tuple[str, str]]:
        pairs = [(fw, cid) for fw, ids in self.frameworks.items() for cid in ids]
        if agentic:
            pairs += [(fw, cid) for fw, ids in self.agentic_frameworks.items() for cid in ids]
        return pairs


def catalog_dir() -> Path:
    """``nhigate/_checks`` in a wheel, else ``checks/`` at the top of the source checkout."""
    installed = _PACKAGE_DIR / "_checks"
    if installed.is_dir():
        return installed
    source = _PACKAGE_DIR.parent.parent / "checks"
    if source.is_dir():
        return source
    raise CatalogError(f"check catalog not found (looked in {installed} and {source})")


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    with open(_PACKAGE_DIR / "data" / "check.schema.json", encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def _validate(document: Any, source: str) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise CatalogError(f"{source}: {where}: {first.message}")


def _check_from(document: dict[str, Any], source: str) -> Check:
    parameters = {
        name: Parameter(name, spec["type"], spec["default"], spec["description"])
        for name, spec in sorted(document.get("parameters", {}).items())
    }
    return Check(
        id=document["id"],
        name=document["name"],
        title=document["title"],
        family=document["family"],
        severity=document["severity"],
        precision=document["precision"],
        formats=tuple(document["formats"]),
        resource_types=tuple(document["resource_types"]),
        block_kinds=tuple(document.get("block_kinds", ("resource", "data"))),
        scope=document.get("scope", "resource"),
        predicate=document.get("predicate"),
        agentic=document.get("agentic", "ai-resources"),
        parameters=parameters,
        frameworks={k: tuple(v) for k, v in document["frameworks"].items()},
        agentic_frameworks={k: tuple(v) for k, v in document.get("agentic_frameworks", {}).items()},
        docs=document["docs"],
        source=source,
    )


def _load_documents(root: Path, validate: bool) -> list[tuple[str, dict[str, Any]]]:
    """(file name, document) for every check file, validated against the schema.

    Validation (jsonschema) and YAML parsing cost more than a whole pre-commit scan, so the
    validated documents are cached by a hash of the catalog files, the schema and nhigate's
    version: an edited check file is always validated again.
    """
    from nhigate import cache

    paths = sorted(root.glob("NHI*.yaml"))
    try:
        contents = [(p.name, p.read_bytes()) for p in paths]
        schema_bytes = (_PACKAGE_DIR / "data" / "check.schema.json").read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read the check catalog: {exc}") from None
    key = cache.content_key(schema_bytes, *(name.encode() + b"\0" + data for name, data in contents))
    cache_name = f"catalog-{key[:32]}.json"
    if validate:
        cached = cache.read_json(cache_name)
        if isinstance(cached, list) and len(cached) == len(contents):
            return [(str(name), doc) for name, doc in cached]

    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    documents: list[tuple[str, dict[str, Any]]] = []
    for name, data in contents:
        try:
            document = yaml.load(data.decode("utf-8"), Loader=loader)  # noqa: S506 - a safe loader
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CatalogError(f"{name}: cannot load: {type(exc).__name__}") from None
        if validate:
            _validate(document, name)
        documents.append((name, document))
    if validate:
        cache.write_json(cache_name, documents)
    return documents


@functools.lru_cache(maxsize=4)
def load_catalog(directory: Path | None = None, validate: bool = True) -> dict[str, Check]:
    """All checks by ID, in ID order; raises :class:`CatalogError` on any invalid file."""
    root = directory or catalog_dir()
    checks: dict[str, Check] = {}
    for name, document in _load_documents(root, validate):
        check = _check_from(document, name)
        if check.id != Path(name).stem:
            raise CatalogError(f"{name}: id {check.id} does not match the file name")
        checks[check.id] = check
    if not checks:
        raise CatalogError(f"no checks found in {root}")
    return dict(sorted(checks.items()))
