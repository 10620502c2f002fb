"""The exception register: every suppression and baselined finding, with who approved it and
until when — the list an auditor asks for, sorted so the next expiry comes first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nhigate.suppress import Suppression


def rows(
    suppressions: list[Suppression], baseline: list[dict[str, Any]], source: str, today: dt.date
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in suppressions:
        state = "invalid" if item.problem else ("expired" if item.expires and item.expires < today else "active")
        if state == "active" and not item.used:
            state = "unused"
        out.append(
            {
                "rules": list(item.rules),
                "kind": "inline" if item.kind == "inSource" else "config",
                "location": f"{item.file}:{item.line}"
                if item.kind == "inSource"
                else f"{item.file} ({item.path_glob})",
                "resource": item.address or item.resource_glob or "",
                "reason": item.reason or "",
                "approved_by": item.approved_by or "",
                "expires": item.expires.isoformat() if item.expires else None,
                "days_left": (item.expires - today).days if item.expires else None,
                "status": state if not item.problem else f"invalid: {item.problem}",
            }
        )
    for entry in baseline:
        expires = entry.get("expires")
        when = dt.date.fromisoformat(expires) if isinstance(expires, str) else None
        out.append(
            {
                "rules": [entry.get("rule_id", "")],
                "kind": "baseline",
                "location": f"{entry.get('file', '')} ({source})",
                "resource": entry.get("resource", ""),
                "reason": entry.get("justification", ""),
                "approved_by": entry.get("approved_by", "") or "",
                "expires": expires if when else None,
                "days_left": (when - today).days if when else None,
                "status": "expired" if when and when < today else "active",
            }
        )
    out.sort(key=lambda r: (r["expires"] is None, r["expires"] or "", r["location"], r["rules"]))
    return out


def markdown(table: list[dict[str, Any]]) -> str:
    lines = [
        "| Rules | Kind | Location | Resource | Reason | Approved by | Expires | Days left | Status |",
        "| --- | --- | --- | --- | --- | --- | --- | ---: | --- |",
    ]
    for row in table:
        cells = [
            ", ".join(row["rules"]),
            row["kind"],
            row["location"],
            row["resource"] or "-",
            row["reason"] or "-",
            row["approved_by"] or "-",
            row["expires"] or "never",
            "-" if row["days_left"] is None else str(row["days_left"]),
            row["status"],
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
