"""Read one file and turn it into model blocks, whatever its format; never raise.

Classification is by extension first and by content second (DESIGN.md, step 1): ``.tf`` and
``.tfvars`` are HCL, ``.tf.json``/``.tfvars.json`` Terraform JSON; other ``.json``/``.yaml``/
``.yml``/``.template`` files are CloudFormation templates or ``terraform show -json`` plans when
their content says so, and not IaC otherwise.  Every failure (unreadable, undecodable,
oversized, unparsable) comes back as ``ParsedFile.error`` so the engine reports it as NHI001;
messages name the cause without quoting file content, which may hold secrets.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nhigate.model import Block, Format, ParsedFile, ParseError

if TYPE_CHECKING:
    from nhigate.parsecache import ParseCache
    from nhigate.parsers.hclast import HclFile

DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024

_CFN_MARKER = re.compile(r"AWSTemplateFormatVersion|^[\"']?Resources[\"']?\s*:", re.MULTILINE)
_CFN_TYPE = re.compile(r"[\"']?Type[\"']?\s*:\s*[\"']?(AWS|Alexa|Custom)::")
_PLAN_MARKER = re.compile(r'"planned_values"\s*:')
_JSON_CFN_MARKER = re.compile(r'"AWSTemplateFormatVersion"|"Resources"\s*:')


def classify(path: str) -> str | None:
    """How a path will be read, from its name alone: ``hcl``, ``tfvars``, ``tfjson``,
    ``tfvarsjson``, ``json``, ``yaml`` or ``None`` (not a candidate)."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith(".tf"):
        return "hcl"
    if name.endswith(".tfvars"):
        return "tfvars"
    if name.endswith(".tf.json"):
        return "tfjson"
    if name.endswith(".tfvars.json"):
        return "tfvarsjson"
    if name.endswith(".json"):
        return "json"
    if name.endswith((".yaml", ".yml", ".template")):
        return "yaml"
    return None


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (BOM optional) or UTF-16 with a BOM; NUL bytes mean binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise ValueError("binary content (NUL bytes)")
    return data.decode("utf-8-sig")


def parse_file(
    path: Path, display: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES, cache: ParseCache | None = None
) -> ParsedFile | None:
    """Parse one file; ``None`` means the file is not Terraform or CloudFormation at all.

    With a ``cache``, a file whose bytes (and path, and parser versions) were parsed before is
    not parsed again.
    """
    how = classify(display)
    if how is None:
        return None
    data = _read(path, display, how, max_bytes)
    if isinstance(data, ParsedFile):
        return data
    if cache is None:
        return _parse_bytes(display, data, how)
    key = cache.key(display, data)
    cached = cache.get(key, display)
    if cached is not None:
        return None if cached.format is None and cached.error is None else cached
    parsed = _parse_bytes(display, data, how)
    cache.put(key, parsed if parsed is not None else ParsedFile(display, None))
    return parsed


def _read(path: Path, display: str, how: str, max_bytes: int) -> bytes | ParsedFile:
    """The file's bytes, or the NHI001 result for a file too large or unreadable."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return _failed(display, how, f"file is {size} bytes, over the {max_bytes}-byte limit")
        return path.read_bytes()
    except OSError as exc:
        return _failed(display, how, f"cannot read file: {exc.strerror or type(exc).__name__}")


def cached_parse(path: Path, display: str, max_bytes: int, cache: ParseCache) -> tuple[ParsedFile | None, bool]:
    """``(result, True)`` when no parsing is needed (the cache holds the file's result, or it is
    not infrastructure code), else ``(None, False)``."""
    how = classify(display)
    if how is None:
        return None, True
    data = _read(path, display, how, max_bytes)
    if isinstance(data, ParsedFile):
        return None, False  # the parser reports it
    cached = cache.get(cache.key(display, data), display)
    if cached is None:
        return None, False
    return (None if cached.format is None and cached.error is None else cached), True


def _parse_bytes(display: str, data: bytes, how: str) -> ParsedFile | None:
    try:
        text = decode(data)
    except (UnicodeDecodeError, ValueError) as exc:
        reason = "not valid UTF-8 or UTF-16 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
        return _failed(display, how, f"cannot decode file: {reason}")
    try:
        return parse_text(display, text, how)
    except RecursionError:
        return _failed(display, how, "nesting too deep to parse")
    except Exception as exc:  # an engine fault must not stop the scan (per-file isolation)
        return _failed(display, how, f"internal error while parsing ({type(exc).__name__})")


_FORMAT_OF: dict[str, Format] = {"hcl": "terraform", "tfjson": "terraform", "tfvars": "tfvars", "tfvarsjson": "tfvars"}


def _format_for(how: str) -> Format | None:
    return _FORMAT_OF.get(how)


def _failed(display: str, how: str, message: str, line: int | None = None, column: int | None = None) -> ParsedFile:
    return ParsedFile(path=display, format=_format_for(how), error=ParseError(message, line, column))


def _cfn_json_as_yaml(text: str) -> Any:
    """CloudFormation reads templates as YAML, a superset of JSON, so a JSON template with a
    trailing comma deploys; read it the same way instead of reporting it unparsable."""
    from nhigate.parsers.locdata import LoadError, load_yaml

    try:
        return load_yaml(text)
    except LoadError:
        return None


FAST_PARSE_MAX_CHARS = 512 * 1024
"""Above this, python-hcl2 parses: the tree-sitter path holds every node of the file at once and
peaked near 800 MB on a 4 MB file, where python-hcl2 stays near 130 MB.  Every corpus file (the
largest is 130 kB) is far below it."""


def _fast_parse(text: str) -> HclFile | None:
    """The tree-sitter backend when it is installed and sure of the result, else None.

    It produces exactly the tree python-hcl2 would (a differential test over the whole corpus
    proves it) about four times faster, and without python-hcl2's import and grammar load; on
    anything it cannot map exactly it refuses, and python-hcl2 — the reference — parses instead.
    """
    if len(text) > FAST_PARSE_MAX_CHARS:
        return None
    try:
        from nhigate.parsers.hcl_ts import TreeSitterRefusal, parse_hcl_ts
    except ImportError:
        return None
    try:
        return parse_hcl_ts(text)
    except TreeSitterRefusal:
        return None


def parse_text(display: str, text: str, how: str) -> ParsedFile | None:
    """Parse decoded text; raises only on engine faults (``parse_file`` isolates those)."""
    parsed = _parse_text(display, text, how)
    if parsed is not None and parsed.blocks:
        from nhigate.checks.hardcoded import precompute
        from nhigate.secret_hint import may_hold_secret, may_name_object

        lines = text.split("\n")
        for block in parsed.blocks:
            text_of_block = "\n".join(lines[block.span.line - 1 : block.span.end_line])
            block.secret_hint = may_hold_secret(text_of_block, block.type)
            written = _value_text(block, lines) if block.kind == "variable" else text_of_block
            block.object_hint = may_name_object(written)
            # The secret checks read only what is written: run them here, in the parser process,
            # so a cached scan never rebuilds syntax trees for them.
            found = precompute(block)
            block.literal_secrets = (
                None if found is None else tuple((v.path, v.message, v.severity, v.agentic) for v in found)
            )
    return parsed


def _value_text(block: Block, lines: list[str]) -> str:
    """A variable's default as written (its description names ARNs without holding one)."""
    from nhigate.parsers.hclast import Body

    body = block.body
    default = body.attributes.get("default") if isinstance(body, Body) else None
    if default is None:
        return ""
    return "\n".join(lines[default.span.line - 1 : default.span.end_line])


def _parse_text(display: str, text: str, how: str) -> ParsedFile | None:
    lines = text.count("\n") + 1
    if how in ("hcl", "tfvars"):
        from nhigate.parsers.hcl import HclSyntaxError, parse_hcl
        from nhigate.parsers.terraform import blocks_from_hcl

        fmt: Format = "terraform" if how == "hcl" else "tfvars"
        try:
            tree = _fast_parse(text) or parse_hcl(text)
        except HclSyntaxError as exc:
            return _failed(display, how, f"HCL syntax error: {exc.message}", exc.line, exc.column)
        return ParsedFile(display, fmt, blocks_from_hcl(display, tree, fmt), lines=lines)

    if how in ("tfjson", "tfvarsjson"):
        from nhigate.parsers.locdata import LoadError, load_json
        from nhigate.parsers.terraform import blocks_from_hcl, hcl_from_json, tfvars_from_json

        try:
            doc = load_json(text)
        except LoadError as exc:
            return _failed(display, how, f"JSON syntax error: {exc.message}", exc.line, exc.column)
        if how == "tfjson":
            return ParsedFile(
                display, "terraform", blocks_from_hcl(display, hcl_from_json(doc, lines), "terraform"), lines=lines
            )
        return ParsedFile(
            display, "tfvars", blocks_from_hcl(display, tfvars_from_json(doc, lines), "tfvars"), lines=lines
        )

    is_json = how == "json" or text.lstrip().startswith("{")
    if is_json:
        plan_like = bool(_PLAN_MARKER.search(text))
        cfn_like = bool(_JSON_CFN_MARKER.search(text)) and bool(_CFN_TYPE.search(text))
        if not plan_like and not cfn_like:
            return None
        from nhigate.parsers.locdata import LoadError, load_json

        try:
            doc = load_json(text)
        except LoadError as exc:
            doc = _cfn_json_as_yaml(text) if cfn_like and not plan_like else None
            if doc is None:
                what = "plan JSON" if plan_like else "CloudFormation JSON"
                return _failed(display, how, f"{what} syntax error: {exc.message}", exc.line, exc.column)
    else:
        if not (_CFN_MARKER.search(text) and ("AWSTemplateFormatVersion" in text or _CFN_TYPE.search(text))):
            return None
        from nhigate.parsers.locdata import LoadError, load_yaml

        try:
            doc = load_yaml(text)
        except LoadError as exc:
            return _failed(display, how, f"CloudFormation YAML error: {exc.message}", exc.line, exc.column)

    from nhigate.parsers.cfn import cfn_blocks, is_cfn
    from nhigate.parsers.plan import is_plan, plan_blocks

    if is_plan(doc):
        return ParsedFile(display, "plan", plan_blocks(display, doc), lines=lines)
    if is_cfn(doc):
        return ParsedFile(display, "cloudformation", cfn_blocks(display, doc, text), lines=lines)
    return None
