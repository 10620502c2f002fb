"""Assemble Terraform into the scopes a deployment would see.

A *root module* is a directory of ``.tf`` files that no scanned module calls.  Each root is
evaluated once per *context*: its auto-loaded values (``terraform.tfvars``, ``*.auto.tfvars``)
and then once per other ``.tfvars`` file beside it (``prod.tfvars``, ``dev.tfvars``), which is how
the same code is deployed to several environments.  Module calls with local sources are
instantiated with the caller's inputs, addressed ``module.<name>.<type>.<label>`` and located in
the module's own files; registry and git modules only when ``.terraform/modules/modules.json``
says where Terraform put them (nothing is ever fetched).  Recursion is bounded: a module that
calls itself, directly or through others, is reported, not followed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from nhigate.evaluate.terraform import Evaluator, TerraformModule
from nhigate.model import Block, ParsedFile
from nhigate.scope import Scope
from nhigate.view import ResourceView, TerraformView

MAX_MODULE_DEPTH = 12
_META_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})

ModuleLoader = Callable[[str], list[ParsedFile]]
"""Parses the Terraform files of a directory that was not part of the scan (a called module)."""


@dataclass
class TerraformProject:
    """Every Terraform directory of a scan, with tfvars files and a loader for called modules."""

    modules: dict[str, list[Block]] = field(default_factory=dict)
    tfvars: dict[str, list[Block]] = field(default_factory=dict)
    loader: ModuleLoader | None = None
    root: Path = field(default_factory=Path.cwd)
    """What display paths are relative to (to find ``.terraform/modules/modules.json``)."""
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(file, message) of modules that could not be followed (cycles, depth, missing source)."""
    _loaded: dict[str, list[Block]] = field(default_factory=dict)

    def add(self, parsed: ParsedFile) -> None:
        directory = str(PurePosixPath(parsed.path).parent)
        if parsed.format == "terraform":
            self.modules.setdefault(directory, []).extend(parsed.blocks)
        elif parsed.format == "tfvars":
            self.tfvars.setdefault(directory, []).extend(parsed.blocks)

    def blocks_of(self, directory: str) -> list[Block] | None:
        if directory in self.modules:
            return self.modules[directory]
        if directory not in self._loaded:
            blocks: list[Block] = []
            if self.loader is not None:
                for parsed in self.loader(directory):
                    if parsed.format == "terraform":
                        blocks.extend(parsed.blocks)
            self._loaded[directory] = blocks
        return self._loaded[directory] or None

    def scopes(self) -> list[Scope]:
        called = {target for directory in self.modules for target in self._local_calls(directory)}
        roots = sorted(d for d in set(self.modules) | set(self.tfvars) if d not in called)
        out: list[Scope] = []
        for root in roots:
            for context, values in self._contexts(root):
                self._instantiate(root, values, "", context, None, (root,), out)
        return out

    # -- contexts ----------------------------------------------------------------------------
    def _contexts(self, root: str) -> list[tuple[str, dict[str, Any]]]:
        files = sorted({b.file for b in self.tfvars.get(root, [])})
        auto = [f for f in files if _auto_loaded(f)]
        base = self._tfvars_values(root, auto)
        contexts = [("", base)]
        for file in files:
            if file not in auto:
                contexts.append((PurePosixPath(file).name, {**base, **self._tfvars_values(root, [file])}))
        return contexts

    def _tfvars_values(self, root: str, files: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        plain = Evaluator(TerraformModule(root, []))  # tfvars may only hold literal values
        for block in self.tfvars.get(root, []):
            if block.file in files:
                for name, attribute in block.body.attributes.items():
                    values[name] = plain.evaluate(attribute.value)
        return values

    # -- instantiation -----------------------------------------------------------------------
    def _instantiate(
        self,
        directory: str,
        values: dict[str, Any],
        prefix: str,
        context: str,
        parent: Scope | None,
        chain: tuple[str, ...],
        out: list[Scope],
    ) -> Scope:
        module = TerraformModule(directory, self.blocks_of(directory) or [], dict(values), prefix)
        evaluator = Evaluator(module)
        views: list[ResourceView] = [TerraformView(b, evaluator) for b in module.blocks]
        if not prefix:
            views += [TerraformView(b, evaluator) for b in self.tfvars.get(directory, [])]
        scope = Scope("terraform", directory, views, parent=parent, context=context, evaluator=evaluator)
        out.append(scope)
        for call in (b for b in module.blocks if b.kind == "module"):
            target = self._resolve_source(directory, call, evaluator)
            if target is None:
                continue
            if target in chain:
                self.problems.append(
                    (
                        call.file,
                        f"module {call.name} calls {target}, which is already being instantiated (cycle); not followed",
                    )
                )
                continue
            if len(chain) >= MAX_MODULE_DEPTH:
                self.problems.append(
                    (call.file, f"module {call.name}: nesting deeper than {MAX_MODULE_DEPTH}; not followed")
                )
                continue
            if self.blocks_of(target) is None:
                continue
            inputs = {
                name: evaluator.evaluate(attribute.value)
                for name, attribute in call.body.attributes.items()
                if name not in _META_ARGUMENTS
            }
            child = self._instantiate(
                target, inputs, f"{prefix}module.{call.name}.", context, scope, (*chain, target), out
            )
            module.children[call.name] = child.evaluator
            scope.children[call.name] = child
        return scope

    def _resolve_source(self, directory: str, call: Block, evaluator: Evaluator) -> str | None:
        attribute = call.body.attributes.get("source")
        source = evaluator.evaluate(attribute.value) if attribute is not None else None
        if not isinstance(source, str):
            return None
        if source.startswith(("./", "../")):
            return _normalise(f"{directory}/{source}")
        return self._installed_module(directory, call.name)

    def _installed_module(self, directory: str, name: str) -> str | None:
        """Where ``terraform init`` put a registry/git module, from ``.terraform/modules/modules.json``."""
        manifest = self.root / directory / ".terraform" / "modules" / "modules.json"
        try:
            with open(manifest, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return None
        for entry in data.get("Modules", []) if isinstance(data, dict) else []:
            if isinstance(entry, dict) and entry.get("Key") == name and isinstance(entry.get("Dir"), str):
                return _normalise(f"{directory}/{entry['Dir']}")
        return None

    def _local_calls(self, directory: str) -> list[str]:
        calls = []
        for block in self.modules.get(directory, []):
            if block.kind != "module":
                continue
            attribute = block.body.attributes.get("source")
            source = Evaluator(TerraformModule(directory, [])).evaluate(attribute.value) if attribute else None
            if isinstance(source, str) and source.startswith(("./", "../")):
                calls.append(_normalise(f"{directory}/{source}"))
        return calls


def _normalise(path: str) -> str:
    normal = os.path.normpath(path).replace(os.sep, "/")
    return normal


def _auto_loaded(path: str) -> bool:
    """``terraform.tfvars`` and ``*.auto.tfvars`` (and JSON forms) apply without ``-var-file``."""
    name = PurePosixPath(path).name
    return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith((".auto.tfvars", ".auto.tfvars.json"))
