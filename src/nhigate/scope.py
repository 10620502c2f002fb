"""Scopes: the blocks that can see each other, and what they share.

A Terraform scope is one module directory (its variables, locals, providers and resources); a
CloudFormation scope is one template; a plan scope is one plan file.  Checks reach across blocks
only through their scope: ``resolve`` a :class:`~nhigate.model.Ref` to the block it names,
``of_type`` to find e.g. the rotation resources of a secret, ``effective_tags`` to see the tags a
resource really gets (its own merged over the provider's ``default_tags``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nhigate.model import Ref, Unknown
from nhigate.view import MISSING, ResourceView, TerraformView

# Provider prefix of a resource type -> the attribute that holds its tags/labels.
_TAG_ATTRIBUTE = {"google": "labels"}
# Provider -> the provider-block setting that adds tags/labels to every resource.
_DEFAULT_TAGS = {"aws": ("default_tags", 0, "tags"), "google": ("default_labels",)}


class Scope:
    """One Terraform module directory, CloudFormation template or plan file."""

    def __init__(
        self,
        kind: str,
        name: str,
        views: list[ResourceView],
        parent: Scope | None = None,
        context: str = "",
        evaluator: Any = None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.views = views
        self.parent = parent
        """The calling module's scope, for a module instantiated by a caller."""
        self.context = context
        """The ``.tfvars`` file this evaluation used, empty for the auto-loaded values."""
        self.evaluator = evaluator
        self.children: dict[str, Scope] = {}
        """Scopes of the modules this module calls, by call name."""
        # Keyed by the block's own address: references evaluated in this module are module-local.
        self._by_address = {v.block.address: v for v in views}
        self._by_type: dict[str, list[ResourceView]] = {}
        for view in views:
            self._by_type.setdefault(view.type, []).append(view)

    def __iter__(self) -> Iterator[ResourceView]:
        return iter(self.views)

    def resolve(self, ref: Any) -> ResourceView | None:
        """The block a reference points at: in this scope, or in a called module for a qualified
        target such as ``module.iam.aws_iam_role.this`` (what a module output resolves to)."""
        if not isinstance(ref, Ref):
            return None
        target = ref.target
        scope: Scope | None = self
        while scope is not None:
            found = scope._by_address.get(target)
            if found is not None:
                return found
            parts = target.split(".", 2)
            if len(parts) == 3 and parts[0] == "module" and parts[1] in scope.children:
                scope, target = scope.children[parts[1]], parts[2]
                continue
            return None
        return None

    def of_type(self, *types: str) -> list[ResourceView]:
        out: list[ResourceView] = []
        for resource_type in types:
            out.extend(self._by_type.get(resource_type, ()))
        return out

    def provider_for(self, view: ResourceView) -> ResourceView | None:
        """The provider block configuring a Terraform resource (``provider = aws.west`` aware)."""
        return self.provider_resolution(view)[0]

    def provider_resolution(self, view: ResourceView) -> tuple[ResourceView | None, bool]:
        """``(provider block, certain)`` for a Terraform resource.

        Child modules get their caller's providers: the default one implicitly, any through the
        call's ``providers = { aws.west = aws.eu }`` map, which renames it on the way up.  When the
        chain breaks (an aliased provider the caller does not pass, a map nhigate cannot read) the
        answer is not certain; no provider block anywhere up the chain is certain: the resource
        gets the provider's empty default configuration.
        """
        if not isinstance(view, TerraformView):
            return None, True
        prefix = view.type.split("_", 1)[0]
        explicit = view.block.body.attributes.get("provider")
        local = prefix
        if explicit is not None:
            name = _provider_name(explicit.value)
            if name is None:
                return None, False
            local = name
        scope: Scope | None = self
        while scope is not None:
            found = scope._by_address.get(f"provider.{local}")
            if found is not None:
                return found, True
            parent = scope.parent
            if parent is None:
                break
            passed = _passed_providers(parent, scope)
            if passed is None:
                return None, False
            if local in passed:
                local = passed[local]
            elif "." in local:
                return None, False  # an aliased provider must be passed explicitly
            scope = parent
        return None, True

    def effective_tags(self, view: ResourceView) -> dict[str, Any] | Unknown | None:
        """Tags or labels a resource gets, provider defaults included; None if it has none at all.

        Unknown when any contributing value is unknown: a check must not call an owner missing
        when it may come from a variable nhigate cannot resolve.
        """
        fmt = view.block.format
        if fmt == "cloudformation":
            return _cfn_tags(view.get("Tags"))
        prefix = view.type.split("_", 1)[0]
        attribute = _TAG_ATTRIBUTE.get(prefix, "tags")
        if fmt == "plan":
            for name in (f"{attribute}_all", "effective_labels", attribute):
                value = view.get(name)
                if value is not MISSING and value is not None:
                    return value if isinstance(value, dict) else Unknown(f"{name} is not a map")
            return None
        own = view.get(attribute)
        merged: dict[str, Any] = {}
        provider, certain = self.provider_resolution(view)
        if not certain and prefix in _DEFAULT_TAGS:
            return Unknown("the provider configuration (and its default tags) is not known")
        if provider is not None and prefix in _DEFAULT_TAGS:
            defaults = provider.get(*_DEFAULT_TAGS[prefix])
            if isinstance(defaults, (Unknown, Ref)):
                return Unknown("provider default tags are not known")
            if isinstance(defaults, dict):
                merged.update(defaults)
        if isinstance(own, (Unknown, Ref)):
            return Unknown(f"{attribute} is not known")
        if isinstance(own, dict):
            merged.update(own)
        elif own is not MISSING and own is not None:
            return Unknown(f"{attribute} is not a map")
        if own is MISSING and not merged:
            return None
        return merged


def _cfn_tags(value: Any) -> dict[str, Any] | Unknown | None:
    if value is MISSING or value is None:
        return None
    if isinstance(value, (Unknown, Ref)):
        return Unknown("Tags are not known")
    if isinstance(value, dict):  # some resource types (SSM, SageMaker) take a plain map
        return value
    if not isinstance(value, list):
        return Unknown("Tags is not a list")
    tags: dict[str, Any] = {}
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("Key"), str):
            return Unknown("a tag key is not known")
        tags[item["Key"]] = item.get("Value")
    return tags


def _provider_name(expr: Any) -> str | None:
    """``aws.west`` from the expression ``aws.west`` (a provider reference as written)."""
    from nhigate.parsers import hclast as ast

    if isinstance(expr, ast.Variable):
        return expr.name
    if isinstance(expr, ast.Literal) and isinstance(expr.value, str):
        return expr.value  # an object key written as a bare word may arrive as a string
    if isinstance(expr, ast.Traversal) and isinstance(expr.source, ast.Variable):
        steps = [step for step in expr.steps if isinstance(step, str)]
        if len(steps) == len(expr.steps):
            return ".".join([expr.source.name, *steps])
    return None


def _passed_providers(parent: Scope, child: Scope) -> dict[str, str] | None:
    """The ``providers`` map of the module call that instantiated ``child`` (child name -> caller
    name); empty when the call has none; None when it cannot be read."""
    call = next((name for name, each in parent.children.items() if each is child), None)
    if call is None:
        return None
    block = parent._by_address.get(f"module.{call}")
    if block is None:
        return None
    written = block.block.body.attributes.get("providers")
    if written is None:
        return {}
    from nhigate.parsers import hclast as ast

    if not isinstance(written.value, ast.ObjectExpr):
        return None
    mapping: dict[str, str] = {}
    for item in written.value.items:
        key, value = _provider_name(item.key), _provider_name(item.value)
        if key is None or value is None:
            return None
        mapping[key] = value
    return mapping
