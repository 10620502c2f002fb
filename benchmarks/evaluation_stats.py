"""How much of an estate nhigate can evaluate, and why the rest stays Unknown.

Parses every file (in parallel), builds the scopes a deployment would see (root modules, tfvars
contexts, module instances, templates, plans), then forces evaluation of every top-level
attribute of every resource, data source and module block, and prints: blocks evaluated,
attribute values, how many stayed Unknown grouped by reason, references kept typed, and the time
spent in evaluation (parsing excluded).  Usage::

    python benchmarks/evaluation_stats.py ../shared/corpus [--jobs N]
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

from nhigate.discover import discover
from nhigate.engine import build_scopes, default_jobs, parse_all
from nhigate.model import Ref, Unknown
from nhigate.view import MISSING, TerraformView

_META_ARGUMENTS = frozenset({"provider", "depends_on", "count", "for_each", "lifecycle", "provisioner", "connection"})
_NAMES = re.compile(r"\b(variable|local|function|module output|key|parameter|dynamic block)\s+\S+")


def reason_class(reason: str) -> str:
    """``variable env has no default`` -> ``variable <name> has no default``."""
    text = _NAMES.sub(lambda m: f"{m.group(1)} <name>", reason)
    text = re.sub(r"depends on \S+", "depends on <reference>", text)
    text = re.sub(r"interpolates \S+", "interpolates <reference>", text)
    text = re.sub(r"(each|count|self|path|terraform)\.\S+", r"\1.<attr>", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "<value>", text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    args = parser.parse_args()

    started = time.perf_counter()
    candidates, _ = discover(args.paths)
    parsed = [p for p in parse_all(candidates, args.jobs, 10 * 1024 * 1024) if p is not None and p.error is None]
    parse_seconds = time.perf_counter() - started

    started = time.perf_counter()
    scopes, problems = build_scopes(parsed)
    blocks = values = unknown = refs = 0
    reasons: Counter[str] = Counter()
    formats: Counter[str] = Counter()
    for scope in scopes:
        for view in scope:
            if view.block.kind not in ("resource", "data", "module"):
                continue
            blocks += 1
            formats[view.block.format] += 1
            if isinstance(view, TerraformView):
                instances = view.instances()  # what checks see: the first known instance
                if not instances:
                    continue
                view = instances[0]
                names = list(view.block.body.attributes) + [b.type for b in view.block.body.blocks]
                names = [n for n in names if n not in _META_ARGUMENTS]
            elif view.block.format == "cloudformation":
                props = view.block.body.get("Properties") if isinstance(view.block.body, dict) else None
                names = list(props) if isinstance(props, dict) else []
            else:
                names = list(view.block.body.get("values", {}) or {})
            for name in dict.fromkeys(names):
                value = view.get(name)
                if value is MISSING:
                    continue
                values += 1
                if isinstance(value, Unknown):
                    unknown += 1
                    reasons[reason_class(value.reason)] += 1
                elif isinstance(value, Ref):
                    refs += 1
    evaluate_seconds = time.perf_counter() - started

    print(f"files parsed: {len(parsed)}  (parse: {parse_seconds:.1f} s with {args.jobs} jobs)")
    print(f"scopes: {len(scopes)}  module problems: {len(problems)}")
    print(f"blocks evaluated: {blocks}  by format: {dict(sorted(formats.items()))}")
    print(
        f"attribute values: {values}  known or partly known: {values - unknown - refs}  "
        f"references: {refs}  unknown: {unknown} ({100 * unknown / max(values, 1):.1f}%)"
    )
    print(f"evaluation time: {evaluate_seconds:.2f} s ({1000 * evaluate_seconds / max(blocks, 1):.3f} ms per block)")
    print("\nUnknown by reason (top 25):")
    for reason, count in reasons.most_common(25):
        print(f"  {count:7d}  {reason}")


if __name__ == "__main__":
    main()
