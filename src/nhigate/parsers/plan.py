"""``terraform show -json`` plan files to model blocks.

A plan lists every *instance* (``aws_iam_user.ci[0]``, ``module.app["eu"].aws_iam_user.ci``), but
a finding belongs to the configuration that creates them: one block per configuration address,
so ``count = 50`` yields one finding and one baseline entry rather than fifty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from nhigate.model import Block
from nhigate.parsers.located import LocDict, LocList

# "[0]" or ["key"] (a key may hold escaped quotes and brackets).
_INSTANCE_KEY = re.compile(r'\[(?:[0-9]+|"(?:[^"\\]|\\.)*")\]')


def is_plan(doc: Any) -> bool:
    return isinstance(doc, LocDict) and "format_version" in doc and "planned_values" in doc


def config_address(address: str) -> str:
    """``module.a["x"].aws_iam_user.u[0]`` -> ``module.a.aws_iam_user.u``."""
    return _INSTANCE_KEY.sub("", address)


def plan_blocks(path: str, doc: LocDict) -> list[Block]:
    """Resource and data blocks from ``planned_values``, provider blocks from ``configuration``."""
    blocks: dict[str, Block] = {}
    planned = doc.get("planned_values")
    root = planned.get("root_module") if isinstance(planned, LocDict) else None
    for resource in _resources(root):
        address, kind = resource.get("address"), "data" if resource.get("mode") == "data" else "resource"
        rtype, name = resource.get("type"), resource.get("name")
        if not (isinstance(address, str) and isinstance(rtype, str) and isinstance(name, str)):
            continue
        key = config_address(address)
        if key not in blocks:  # the first instance in document order stands for all of them
            blocks[key] = Block("plan", kind, rtype, name, key, path, resource.span, resource)
    result = list(blocks.values())
    configuration = doc.get("configuration")
    providers = configuration.get("provider_config") if isinstance(configuration, LocDict) else None
    if isinstance(providers, LocDict):
        for key, provider in providers.items():
            if isinstance(provider, LocDict):
                ptype = provider.get("name")
                if not isinstance(ptype, str):
                    ptype = key.rsplit(":", 1)[-1].split(".", 1)[0]
                alias = provider.get("alias")
                name = alias if isinstance(alias, str) else ""
                result.append(Block("plan", "provider", ptype, name, f"provider.{key}", path, provider.span, provider))
    result.sort(key=lambda b: (b.span.line, b.span.column))
    return result


def _resources(module: Any) -> Iterator[LocDict]:
    """Every resource object of a module and its child modules, in document order."""
    if not isinstance(module, LocDict):
        return
    resources = module.get("resources")
    if isinstance(resources, LocList):
        yield from (r for r in resources if isinstance(r, LocDict))
    children = module.get("child_modules")
    if isinstance(children, LocList):
        for child in children:
            yield from _resources(child)
