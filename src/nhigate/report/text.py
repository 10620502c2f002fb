"""Human-readable check documentation, shared by ``nhigate explain``, SARIF help and Markdown."""

from __future__ import annotations

from nhigate.catalog import Check


def _framework_lines(check: Check) -> list[str]:
    from nhigate.frameworks import control

    lines = []
    for framework, control_id in check.framework_pairs(agentic=False):
        lines.append(f"- {framework} {control_id}: {control(framework, control_id).title}")
    agentic = [(f, c) for f, ids in check.agentic_frameworks.items() for c in ids]
    if agentic and check.agentic != "never":
        when = "always" if check.agentic == "always" else "on AI-agent resources and model-API credentials"
        lines.append(f"- agentic mappings ({when}):")
        lines.extend(f"  - {f} {c}: {control(f, c).title}" for f, c in agentic)
    return lines


def help_markdown(check: Check) -> str:
    docs = check.docs
    sections = [
        f"# {check.id} {check.name}: {check.title}",
        f"Family: `{check.family}` · severity: **{check.severity}** · formats: {', '.join(check.formats) or 'all'}",
        "## What it flags\n\n" + str(docs["what_it_flags"]).strip(),
        "## Why it matters\n\n" + str(docs["why_it_matters"]).strip(),
        "## How to fix\n\n" + str(docs["how_to_fix"]).strip(),
    ]
    if check.parameters:
        lines = [f"- `{p.name}` (default `{p.default}`): {p.description}" for p in check.parameters.values()]
        sections.append("## Parameters\n\n" + "\n".join(lines))
    sections.append("## Framework mappings\n\n" + "\n".join(_framework_lines(check)))
    references = [f"- [{r['title']}]({r['url']})" for r in docs["references"]]
    sections.append("## References\n\n" + "\n".join(references))
    return "\n\n".join(sections) + "\n"


def help_text(check: Check) -> str:
    """Plain text for SARIF ``help.text``: the fix first, since that is what a reader wants."""
    fix = str(check.docs["how_to_fix"]).strip()
    return f"{check.title}. {' '.join(str(check.docs['what_it_flags']).split())}\n\nHow to fix:\n{fix}\n"


def one_line_fix(check: Check) -> str:
    """The first sentence of the fix, for the console table."""
    fix = " ".join(str(check.docs["how_to_fix"]).split())
    return fix.split(". ")[0].split(" Before")[0].rstrip(".:")
