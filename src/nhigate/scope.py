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
        if not isinstance(view, TerraformView):
            return None
        prefix = view.type.split("_", 1)[0]
        explicit = view.block.body.attributes.get("provider")
        address = f"provider.{prefix}"
        if explicit is not None:
            from nhigate.parsers import hclast as ast

            expr = explicit.value
            if isinstance(expr, ast.Traversal) and isinstance(expr.source, ast.Variable):
                address = "provider." + ".".join([expr.source.name, *[s for s in expr.steps if isinstance(s, str)]])
        scope: Scope | None = self
        while scope is not None:  # child modules inherit their caller's providers
            found = scope._by_address.get(address)
            if found is not None:
                return found
            scope = scope.parent
        return None

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
        provider = self.provider_for(view)
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
