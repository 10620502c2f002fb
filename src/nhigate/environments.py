"""Which environment a root module or template deploys to, and why nhigate thinks so.

Precedence, first match wins:

1. configuration: ``environments.paths`` globs, then the AWS account / GCP project / Azure
   subscription IDs the code names, through ``environments.accounts|projects|subscriptions``;
2. explicit values in the code: an ``environment``/``env``/``stage`` tag or label (provider
   ``default_tags`` included) or variable value;
3. the ``.tfvars`` file the evaluation used (``prod.tfvars``);
4. path segments: ``envs/<x>``, ``environments/<x>``, ``live/<x>``, ``accounts/<x>``,
   ``stacks/<x>``, or any directory named like an environment.

Names are normalised: prod/production/prd/live, staging/stage/stg, dev/development,
test/qa/uat, sandbox/sbx.  Anything else is kept as written (lower-cased) only when it comes from
configuration or an explicit value; a path segment must be a known alias to count.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

ALIASES = {
    "prod": "prod",
    "production": "prod",
    "prd": "prod",
    "live": "prod",
    "prod1": "prod",
    "staging": "staging",
    "stage": "staging",
    "stg": "staging",
    "preprod": "staging",
    "pre-prod": "staging",
    "dev": "dev",
    "development": "dev",
    "develop": "dev",
    "test": "test",
    "testing": "test",
    "qa": "test",
    "uat": "test",
    "sandbox": "sandbox",
    "sbx": "sandbox",
}
_CONTAINERS = ("envs", "env", "environments", "environment", "live", "accounts", "stacks", "stages")
ENV_KEYS = ("environment", "env", "stage", "environment_name", "env_name")
_ACCOUNT = re.compile(r"(?<!\d)(\d{12})(?!\d)")


@dataclass(frozen=True)
class Environment:
    name: str
    source: str
    """How it was inferred, for the inventory: ``config path live/prod/*``, ``tag environment``..."""


def normalise(value: str) -> str | None:
    """A known environment name for an alias (``production`` -> ``prod``), else None."""
    return ALIASES.get(value.strip().lower())


def from_path(path: str) -> Environment | None:
    parts = [p.lower() for p in PurePosixPath(path).parts]
    for index, part in enumerate(parts[:-1]):
        if part in _CONTAINERS:
            name = normalise(parts[index + 1])
            if name:
                return Environment(name, f"path segment {part}/{parts[index + 1]}")
    for part in reversed(parts):
        for piece in re.split(r"[-_.]", part):
            name = normalise(piece)
            if name and piece != "live":  # "live" alone is too common a folder name outside envs
                return Environment(name, f"path segment {part}")
    return None


def from_tfvars(context: str) -> Environment | None:
    if not context:
        return None
    stem = context.removesuffix(".json").removesuffix(".tfvars")
    for piece in re.split(r"[-_.]", stem):
        name = normalise(piece)
        if name:
            return Environment(name, f"tfvars file {context}")
    return None


def from_values(values: dict[str, Any], where: str) -> Environment | None:
    """An explicit environment tag/label/variable value."""
    for key, value in sorted(values.items()):
        if key.lower() in ENV_KEYS and isinstance(value, str) and value.strip():
            name = normalise(value) or value.strip().lower()
            return Environment(name, f"{where} {key} = {value}")
    return None


def from_config(path: str, identifiers: list[str], mapping: dict[str, dict[str, str]]) -> Environment | None:
    for pattern, name in mapping.get("paths", {}).items():
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path + "/", pattern):
            return Environment(normalise(name) or name.lower(), f"config path {pattern}")
    for key in ("accounts", "projects", "subscriptions"):
        table = mapping.get(key, {})
        for identifier in identifiers:
            if identifier in table:
                name = table[identifier]
                return Environment(normalise(name) or name.lower(), f"config {key[:-1]} {identifier}")
    return None


def account_ids(text: str) -> list[str]:
    """AWS account IDs written in a string (ARNs, allowed_account_ids)."""
    return _ACCOUNT.findall(text)
