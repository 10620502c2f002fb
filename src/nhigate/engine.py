"""The scan pipeline: discover -> parse (in parallel) -> evaluate -> checks -> findings.

Parsing is the expensive step and is spread over processes, one file at a time, results kept in
discovery order so output does not depend on ``--jobs``.  Everything after parsing works on the
merged model in one process: checks need whole modules and templates (a variable's default lives
in another file than the resource using it).  Any failure while reading, parsing or checking one
file is contained to that file and reported; the scan always completes.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from nhigate.catalog import Check, load_catalog
from nhigate.checks.base import AI_RESOURCE_TYPES, CheckContext
from nhigate.config import Config
from nhigate.discover import Candidate, discover
from nhigate.findings import Finding, Location, ProjectViolation, Violation, fingerprint
from nhigate.model import AttrPath, ParsedFile, Span
from nhigate.scope import Scope
from nhigate.view import ResourceView, TerraformView

PARALLEL_THRESHOLD = 16
"""Below this many files a process pool costs more than it saves (pre-commit runs)."""


@dataclass
class ScanOptions:
    """What to scan and how; ``config`` supplies excludes, ignores, parameters and limits."""

    paths: list[Path]
    jobs: int | None = None
    only_checks: frozenset[str] | None = None
    skip_checks: frozenset[str] = frozenset()
    config: Config = field(default_factory=Config)
    today: dt.date | None = None
    use_cache: bool = True
    """Reuse parsed files from the user cache (``--no-cache`` turns it off)."""
    shard: tuple[int, int] | None = None
    """(K, N): parse only the K-th of N deterministic parts of the estate (split by directory)."""
    build_graph: bool = False
    """Build the NHI graph even without project-wide checks (``nhigate inventory``)."""
    cwd: Path | None = None
    """Display paths are relative to this (default: the working directory); --diff-base scans a
    copy of the base commit with the copy's matching folder as cwd so paths compare equal."""


@dataclass
class FileRecord:
    """One file nhigate read: ``status`` is ``scanned``, ``failed`` or ``not-iac``."""

    path: str
    format: str | None
    status: str
    lines: int = 0
    error: str | None = None


@dataclass
class Notification:
    """An engine-level event for SARIF ``toolExecutionNotifications``."""

    level: str
    message: str
    file: str | None = None
    line: int | None = None
    rule_id: str | None = None


@dataclass
class ScanResult:
    files: list[FileRecord]
    findings: list[Finding]
    notifications: list[Notification]
    catalog: dict[str, Check]
    problems: list[str] = field(default_factory=list)
    resources_checked: int = 0
    fixed: list[dict[str, Any]] = field(default_factory=list)
    """Baseline (or base-ref) findings that no longer occur."""
    graph: Any = None
    """The :class:`nhigate.nhi.graph.NhiGraph`, when project checks ran or it was asked for."""
    suppressions: list[Any] = field(default_factory=list)
    """Every exception found (:class:`nhigate.suppress.Suppression`), for the exception register."""
    evaluated: set[tuple[str, str]] = field(default_factory=set)
    """(check ID, file) pairs where a check ran on at least one block: the JUnit test cases."""
    baseline_guid: str | None = None

    @property
    def engine_errors(self) -> int:
        """Faults inside nhigate itself (a check that crashed), as opposed to unparsable input."""
        return sum(1 for n in self.notifications if n.level == "error" and n.rule_id != "NHI001")


def _changed_files(paths: list[Path], candidates: list[Candidate]) -> set[str] | None:
    """Changed-files mode (what pre-commit runs): only file arguments, no folders.

    Returns the display paths to report on, or None for a normal scan.
    """
    if not paths or any(p.is_dir() for p in paths):
        return None
    return {c.display for c in candidates}


def _module_context(candidates: list[Candidate], excludes: tuple[str, ...], cwd: Path) -> list[Candidate]:
    """The other Terraform files in each changed Terraform file's directory (its root module and
    tfvars), so a cross-file rule answers as it would in a full scan."""
    from nhigate.discover import display_path, is_excluded
    from nhigate.parsers import classify

    terraform = ("hcl", "tfvars", "tfjson", "tfvarsjson")
    directories = {c.path.parent for c in candidates if classify(c.display) in terraform}
    extra: list[Candidate] = []
    for directory in sorted(directories):
        for file in sorted(p for p in directory.iterdir() if p.is_file()):
            display = display_path(file, cwd)
            if classify(display) in terraform and not is_excluded(display, excludes):
                extra.append(Candidate(display, file))
    return extra


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _parse_candidate(args: tuple[Candidate, int, bool]) -> ParsedFile | None:
    from nhigate.parsers import parse_file

    candidate, max_bytes, use_cache = args
    cache = None
    if use_cache:
        from nhigate.parsecache import ParseCache

        cache = ParseCache()
    return parse_file(candidate.path, candidate.display, max_bytes, cache)


def parse_all(
    candidates: list[Candidate], jobs: int, max_bytes: int, use_cache: bool = False
) -> list[ParsedFile | None]:
    """Parse every candidate, in parallel when it pays; results in candidate order.

    Cached files are loaded here, in this process: handing a cached result through a worker
    costs more (pickled twice, sent through a pipe) than loading it, so only the files the cache
    does not know go to the worker processes.
    """
    results: list[ParsedFile | None] = [None] * len(candidates)
    missing = list(range(len(candidates)))
    if use_cache and jobs > 1 and len(candidates) >= PARALLEL_THRESHOLD:
        from nhigate.parsecache import ParseCache
        from nhigate.parsers import cached_parse

        cache = ParseCache()
        missing = []
        for index, candidate in enumerate(candidates):
            found, hit = cached_parse(candidate.path, candidate.display, max_bytes, cache)
            if hit:
                results[index] = found
            else:
                missing.append(index)
    work = [(candidates[i], max_bytes, use_cache) for i in missing]
    if jobs <= 1 or len(work) < PARALLEL_THRESHOLD:
        parsed = [_parse_candidate(w) for w in work]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        chunk = max(1, min(64, len(work) // (jobs * 8)))
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            parsed = list(pool.map(_parse_candidate, work, chunksize=chunk))
    for index, result in zip(missing, parsed, strict=True):
        results[index] = result
    return results


def enabled(check_id: str, options: ScanOptions) -> bool:
    """Command line first (``--check``/``--skip-check``), then the configuration."""
    only = options.only_checks if options.only_checks is not None else options.config.only
    if only is not None and check_id not in only:
        return False
    return check_id not in options.skip_checks and check_id not in options.config.skip


def selected_checks(catalog: dict[str, Check], options: ScanOptions) -> list[Check]:
    return [c for c in catalog.values() if c.predicate and enabled(c.id, options)]


def _suppress(
    findings: list[Finding],
    parsed: list[ParsedFile],
    config: Config,
    catalog: dict[str, Check],
    options: ScanOptions,
    today: dt.date,
    notifications: list[Notification],
) -> list[Any]:
    """Apply inline suppressions and configured ignores; report invalid and unused ones."""
    from nhigate import suppress

    blocks = [block for item in parsed for block in item.blocks]
    index = suppress.collect(blocks, config, set(catalog))
    suppress.apply(findings, index, today)
    findings.extend(f for f in suppress.problem_findings(index) if enabled(f.rule_id, options))
    for message in suppress.unused_configured(index):
        notifications.append(Notification("warning", message, config.source))
    return index.all()


@dataclass
class Parsed:
    """What the parse phase produced: every candidate (display path) with its parse result.

    A shard result is this, written to a file, so ``nhigate merge`` can analyse the union.
    """

    displays: list[str]
    results: list[ParsedFile | None]
    problems: list[str]
    focus: set[str] | None = None


def shard_of(display: str, count: int) -> int:
    """The shard (1..count) of a file: by its directory, so a root module stays together."""
    directory = str(PurePosixPath(display).parent)
    return zlib.crc32(directory.encode("utf-8")) % count + 1


@contextmanager
def few_collections() -> Iterator[None]:
    """Raise the cyclic collector's thresholds for the duration of a scan phase.

    A scan builds millions of long-lived objects (syntax trees, views, evaluated values) and frees
    almost none of them until it ends; with CPython's default thresholds the collector rescans
    that growing heap again and again, which measured as more than half of a cached scan of the
    corpus (6.4 s -> 2.9 s of analysis).  mypy does the same for the same reason.
    """
    previous = gc.get_threshold()
    gc.set_threshold(200_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def parse_phase(options: ScanOptions) -> Parsed:
    with few_collections():
        return _parse_phase(options)


def _parse_phase(options: ScanOptions) -> Parsed:
    config = options.config
    base = Path(os.path.abspath(options.cwd or Path.cwd()))
    candidates, problems = discover(options.paths, config.exclude, base)
    focus = _changed_files(options.paths, candidates)
    if focus is not None:
        candidates = sorted({*candidates, *_module_context(candidates, config.exclude, base)})
    if options.shard is not None:
        number, count = options.shard
        candidates = [c for c in candidates if shard_of(c.display, count) == number]
    jobs = options.jobs or default_jobs()
    parsed = parse_all(candidates, jobs, config.max_file_bytes, options.use_cache)
    if options.use_cache and len(candidates) >= PARALLEL_THRESHOLD:
        from nhigate.parsecache import ParseCache

        ParseCache().prune()
    return Parsed([c.display for c in candidates], parsed, problems, focus)


def scan(options: ScanOptions) -> ScanResult:
    return analyze(parse_phase(options), options)


def analyze(phase: Parsed, options: ScanOptions) -> ScanResult:
    """Everything after parsing: scopes, checks, project-wide checks, suppressions."""
    with few_collections():
        return _analyze(phase, options)


def _analyze(phase: Parsed, options: ScanOptions) -> ScanResult:
    catalog = load_catalog()
    config = options.config
    base = Path(os.path.abspath(options.cwd or Path.cwd()))
    problems, focus = list(phase.problems), phase.focus
    files: list[FileRecord] = []
    findings: list[Finding] = []
    notifications: list[Notification] = []
    good: list[ParsedFile] = []
    for display, result in zip(phase.displays, phase.results, strict=True):
        if focus is not None and display not in focus:
            if result is not None and result.error is None:  # context for evaluation, not reported
                files.append(FileRecord(result.path, result.format, "context", result.lines))
                good.append(result)
            elif result is not None and result.error is not None:
                notifications.append(
                    Notification(
                        "warning",
                        f"could not parse {result.path}, which the changed files depend on: {result.error.message}",
                        result.path,
                        result.error.line,
                    )
                )
            continue
        if result is None:
            files.append(FileRecord(display, None, "not-iac"))
        elif result.error is not None:
            files.append(FileRecord(result.path, result.format, "failed", result.lines, result.error.message))
            findings.append(_unparsable(result))
            notifications.append(
                Notification(
                    "error", f"could not parse: {result.error.message}", result.path, result.error.line, "NHI001"
                )
            )
        else:
            files.append(FileRecord(result.path, result.format, "scanned", result.lines))
            good.append(result)

    checks = selected_checks(catalog, options)
    scan_date = options.today or today()
    base_contexts = {
        check.id: CheckContext(
            params={**{n: p.default for n, p in check.parameters.items()}, **config.parameters.get(check.id, {})},
            today=scan_date,
            owners=config.owners,
        )
        for check in checks
    }
    scopes, project_problems = build_scopes(good, config.max_file_bytes, base)
    for file, message in project_problems:
        notifications.append(Notification("warning", message, file))
    own_accounts = _estate_accounts(scopes) | set(config.environments.get("accounts", {}))
    base_contexts = {cid: replace(ctx, known_accounts=frozenset(own_accounts)) for cid, ctx in base_contexts.items()}
    unique: dict[str, Finding] = {}
    checked: set[tuple[str, str]] = set()
    evaluated: set[tuple[str, str]] = set()
    for scope in scopes:
        _run_checks(scope, checks, base_contexts, unique, notifications, checked, evaluated)
    graph = None
    project_checks = [c for c in checks if c.scope == "project"]
    if project_checks or options.build_graph:
        from nhigate.nhi.graph import build_graph

        graph = build_graph(scopes, config.environments)
        for check in project_checks:
            _run_project_check(check, graph, base_contexts[check.id], unique, notifications, evaluated)
    findings.extend(unique.values())
    register = _suppress(findings, good, config, catalog, options, scan_date, notifications)
    if focus is not None:
        findings[:] = [f for f in findings if f.file in focus]
    findings.sort(key=Finding.sort_key)
    return ScanResult(
        files,
        findings,
        notifications,
        catalog,
        problems,
        len(checked),
        graph=graph,
        suppressions=register,
        evaluated=evaluated,
    )


def _applies(check: Check, view: ResourceView) -> bool:
    return (
        check.scope == "resource"
        and view.block.kind in check.block_kinds
        and ("terraform" if view.block.format == "tfvars" else view.block.format) in check.formats
        and (view.type in check.resource_types or "*" in check.resource_types)
    )


def _instances(view: ResourceView) -> list[ResourceView]:
    if isinstance(view, TerraformView):
        return list(view.instances())
    return [] if view.exists() is False else [view]


def _run_project_check(
    check: Check,
    graph: Any,
    context: CheckContext,
    unique: dict[str, Finding],
    notifications: list[Notification],
    evaluated: set[tuple[str, str]],
) -> None:
    """Run one project-wide check over the NHI graph; findings land on the view it names."""
    from nhigate.checks.registry import PROJECT_PREDICATES

    try:
        violations = list(PROJECT_PREDICATES[check.predicate or ""](graph, context))
    except Exception as exc:  # a check fault is reported, never fatal
        notifications.append(
            Notification("error", f"check {check.id} failed: {type(exc).__name__}", None, None, check.id)
        )
        return
    for violation in violations:
        evaluated.add((check.id, violation.view.block.file))
        _record(unique, check, violation.view, violation, violation.message, list(violation.related))


def _record(
    unique: dict[str, Finding],
    check: Check,
    view: ResourceView,
    violation: Violation | ProjectViolation,
    message: str,
    related: list[Location],
) -> None:
    """Turn a violation into a finding located by the view; the first one per fingerprint wins."""
    key = fingerprint(check.id, view.block.file, view.block.address, violation.path)
    if key in unique:
        unique[key].instances.add(view.address)
        return
    unique[key] = Finding(
        fingerprint=key,
        local_address=view.block.address,
        rule_id=check.id,
        severity=violation.severity or check.severity,
        message=message,
        file=view.block.file,
        span=view.span(violation.path),
        address=view.address,
        path=violation.path,
        resource_type=view.type,
        agentic=violation.agentic
        or check.agentic == "always"
        or (check.agentic == "ai-resources" and view.type in AI_RESOURCE_TYPES),
        related=related,
    )


def _context_note(scope: Scope, view: ResourceView) -> str:
    """Which evaluation produced a finding: the tfvars file, the for_each/count instance."""
    notes = []
    instance = view.instance_key() if isinstance(view, TerraformView) else None
    if instance is not None:
        notes.append(f"instance [{instance}]")
    if scope.context:
        notes.append(f"with {scope.context}")
    return f" ({', '.join(notes)})" if notes else ""


def _run_checks(
    scope: Scope,
    checks: list[Check],
    base_contexts: dict[str, CheckContext],
    unique: dict[str, Finding],
    notifications: list[Notification],
    checked: set[tuple[str, str]],
    evaluated: set[tuple[str, str]],
) -> None:
    """Run every applicable check on every block (and known instance) of one scope.

    Findings are keyed by fingerprint, so a block reported by several tfvars contexts, module
    instances or for_each instances is reported once (the first, in scope order).
    """
    from nhigate.checks.registry import PREDICATES, SECRET_SCANNING

    contexts: dict[str, CheckContext] = {}  # per check, made when a check first applies here
    by_shape: dict[tuple[str, str, str], list[Check]] = {}
    for block_view in scope:
        shape = (block_view.block.kind, block_view.block.format, block_view.type)
        applicable = by_shape.get(shape)
        if applicable is None:
            applicable = by_shape[shape] = [c for c in checks if _applies(c, block_view)]
        if not applicable:
            continue
        checked.add((block_view.block.file, block_view.block.address))
        evaluated.update((check.id, block_view.block.file) for check in applicable)
        literal = [c for c in applicable if c.predicate in SECRET_SCANNING]
        valued = [c for c in applicable if c.predicate not in SECRET_SCANNING]
        known = block_view.block.literal_secrets
        if known is not None:
            for check in literal:
                _record_literal_secrets(unique, check, scope, block_view, known)
            literal = []
        runs = [(block_view, c) for c in literal if block_view.block.secret_hint]
        if valued:
            runs += [(v, c) for v in _instances(block_view) for c in valued]
        for view, check in runs:
            predicate = PREDICATES[check.predicate or ""]
            context = contexts.get(check.id)
            if context is None:
                context = contexts[check.id] = replace(base_contexts[check.id], scope=scope)
            try:
                violations = list(predicate(view, context))
            except Exception as exc:  # a check fault is reported, never fatal
                notifications.append(
                    Notification(
                        "error",
                        f"check {check.id} failed on {view.address}: {type(exc).__name__}",
                        view.block.file,
                        view.block.span.line,
                        check.id,
                    )
                )
                continue
            for violation in violations:
                _record(unique, check, view, violation, violation.message + _context_note(scope, view), [])


def _estate_accounts(scopes: list[Scope]) -> set[str]:
    """AWS accounts the scanned code deploys into (providers' ``allowed_account_ids`` and
    ``assume_role`` ARNs): trusting one of them is trusting the estate itself."""
    from nhigate.environments import account_ids

    found: set[str] = set()
    for scope in scopes:
        for view in scope:
            if view.block.kind != "provider" or view.type != "aws":
                continue
            allowed = view.get("allowed_account_ids")
            for item in allowed if isinstance(allowed, list) else []:
                if isinstance(item, (str, int)):
                    found.update(account_ids(str(item)))
            role = view.get("assume_role", 0, "role_arn")
            if isinstance(role, str):
                found.update(account_ids(role))
    return found


def _record_literal_secrets(
    unique: dict[str, Finding],
    check: Check,
    scope: Scope,
    view: ResourceView,
    known: tuple[tuple[AttrPath, str, str | None, bool], ...],
) -> None:
    """Findings of a secret check from what the parser already found in the block.

    Provider blocks are the provider check's; every other block is the hard-coded-secret check's.
    """
    if (check.predicate == "provider_credentials") != (view.block.kind == "provider"):
        return
    for path, message, severity, agentic in known:
        violation = Violation(path, message, severity, agentic)
        _record(unique, check, view, violation, message + _context_note(scope, view), [])


def today() -> dt.date:
    """The scan date; ``NHIGATE_TODAY=YYYY-MM-DD`` pins it (reproducible lifetime checks)."""
    pinned = os.environ.get("NHIGATE_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


def _unparsable(parsed: ParsedFile) -> Finding:
    error = parsed.error
    assert error is not None
    line = error.line or 1
    column = error.column or 1
    return Finding(
        rule_id="NHI001",
        severity="high",
        message=f"file could not be parsed, so it was not checked: {error.message}",
        file=parsed.path,
        span=Span(line, column, line, column),
        address="",
        path=(),
        resource_type="",
    )


def build_scopes(
    parsed: list[ParsedFile], max_bytes: int = 10 * 1024 * 1024, cwd: Path | None = None
) -> tuple[list[Scope], list[tuple[str, str]]]:
    """Scopes in a stable order (Terraform roots and their module instances per context, then
    templates and plans), and (file, message) problems met while assembling them."""
    from nhigate.evaluate.project import TerraformProject
    from nhigate.view import CloudFormationView, PlanView

    root = Path(os.path.abspath(cwd or Path.cwd()))
    project = TerraformProject(loader=lambda directory: _load_directory(directory, max_bytes, root), root=root)
    others: list[Scope] = []
    for item in parsed:
        if item.format in ("terraform", "tfvars"):
            project.add(item)
        elif item.format == "plan":
            others.append(Scope("plan", item.path, [PlanView(b) for b in item.blocks]))
        elif item.format == "cloudformation":
            parameters = {b.name: b for b in item.blocks if b.kind == "parameter"}
            template = next((b for b in item.blocks if b.kind == "template"), None)
            views: list[ResourceView] = [
                CloudFormationView(b, parameters, template)
                for b in item.blocks
                if b.kind in ("resource", "parameter")
            ]
            others.append(Scope("cloudformation", item.path, views))
    return project.scopes() + others, project.problems


def _load_directory(directory: str, max_bytes: int, cwd: Path) -> list[ParsedFile]:
    """Parse the ``.tf`` files of a called module that was not among the scanned paths."""
    from nhigate.parsers import parse_file

    path = cwd / directory
    if not path.is_dir():
        return []
    out = []
    for file in sorted(path.glob("*.tf")):
        parsed = parse_file(file, f"{directory}/{file.name}", max_bytes)
        if parsed is not None and parsed.error is None:
            out.append(parsed)
    return out
