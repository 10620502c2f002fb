"""What every check predicate receives and returns.

A predicate is a plain function ``(view, ctx) -> Iterable[Violation]``: it reads values through
the format-neutral :class:`~nhigate.view.ResourceView` and says *what* is wrong; the engine says
*where*.  Predicates are listed in :mod:`nhigate.checks.registry`, never discovered by import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nhigate.findings import ProjectViolation, Violation
from nhigate.model import Ref, Unknown
from nhigate.owners import OwnerPolicy
from nhigate.view import MISSING, ResourceView

if TYPE_CHECKING:
    from nhigate.scope import Scope

# Resource types that are AI agents or model services: their findings carry agentic mappings.
AI_RESOURCE_TYPES = frozenset(
    {
        "azurerm_cognitive_account",
        "azurerm_ai_services",
        "azurerm_ai_foundry",
        "aws_bedrockagent_agent",
        "aws_bedrockagent_agent_action_group",
        "AWS::Bedrock::Agent",
        "google_vertex_ai_endpoint",
        "google_vertex_ai_index_endpoint",
        "aws_sagemaker_endpoint",
        "aws_sagemaker_notebook_instance",
        "AWS::SageMaker::Endpoint",
        "AWS::SageMaker::NotebookInstance",
    }
)


@dataclass(frozen=True)
class CheckContext:
    """Parameters (defaults merged with configuration), the scan date for lifetime checks, and the
    scope (module or template) of the resource being checked, for checks that look across blocks."""

    params: Mapping[str, Any] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)
    scope: Scope | None = None
    owners: OwnerPolicy = field(default_factory=OwnerPolicy)
    """What counts as an owner (configuration ``owners``), for the missing-owner checks."""
    known_accounts: frozenset[str] = frozenset()
    """The estate's own AWS accounts: those the configuration maps to environments and those the
    scanned providers deploy into."""

    def param(self, name: str) -> Any:
        return self.params[name]


Predicate = Callable[[ResourceView, CheckContext], Iterable[Violation]]
ProjectPredicate = Callable[[Any, CheckContext], Iterable[ProjectViolation]]
"""A project-wide check: ``(graph: nhigate.nhi.graph.NhiGraph, ctx) -> violations``."""


def is_set(value: Any) -> bool:
    """True when a value is present and not null/empty; Unknown and Ref count as set."""
    return value is not MISSING and value is not None and value != ""


def is_unknown(value: Any) -> bool:
    return isinstance(value, (Unknown, Ref))
