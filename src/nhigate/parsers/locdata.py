"""Located YAML and JSON loaders: plain scalars inside :class:`LocDict`/:class:`LocList` containers.

Checks name attribute paths and the engine turns them into lines, so every key and value keeps its
span.  Input is untrusted (pull requests, third-party modules), hence the bounds: nesting depth,
alias count and alias expansion are capped, nothing is ever constructed from a tag other than the
CloudFormation short forms, and error messages never quote the file (it may hold secrets).

YAML is read from the parser's *event* stream rather than from libyaml's composed node graph:
the C composer recurses once per nesting level and crashes the interpreter on ``[[[[...`` a few
ten thousand levels deep, whereas events let the depth cap apply before any recursion happens.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from nhigate.model import Span
from nhigate.parsers.located import Intrinsic, LocDict, LocList

MAX_DEPTH = 256
MAX_ALIASES = 1000
MAX_ALIAS_EXPANSION = 100_000
"""Extra nodes that aliases may add to a document (a "billion laughs" adds billions)."""

_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class LoadError(Exception):
    """Why a document could not be loaded; ``line``/``column`` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def split_lines(text: str) -> list[str]:
    """Lines as YAML counts them (CR, LF, CRLF, NEL, LS, PS), so that indexes match spans."""
    return _LINE_BREAK.split(text)


# --------------------------------------------------------------------------------------- YAML

_EventLoader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YAML_TAG = "tag:yaml.org,2002:"
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = re.compile(r"(?i:true|false)")
# YAML 1.1 numbers without the sexagesimal forms (``12:30`` stays a string, not 750).
_INT = re.compile(r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+|0|[1-9][0-9_]*)")
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_EXPLICIT_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "null": (type(None),),
}
_STANDARD_KINDS = frozenset(
    ("binary", "bool", "float", "int", "map", "merge", "null", "omap", "pairs", "seq", "set", "str", "timestamp")
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_TOKEN_NAME = re.compile(r"'<[a-z ]+>'|'\\?.'")


def load_yaml(text: str) -> Any:
    """One YAML document as located data; ``None`` for an empty stream."""
    with _no_gc():
        return _YamlBuilder(text).load()


def _int(value: str) -> int | None:
    digits = value.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    try:
        if digits.startswith("0b"):
            return sign * int(digits[2:], 2)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if len(digits) > 1 and digits.startswith("0"):
            return sign * int(digits, 8)
        return sign * int(digits)
    except ValueError:  # "0b_" and numbers past int_max_str_digits stay strings
        return None


def _float(value: str) -> float:
    lowered = value.replace("_", "").lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(lowered)


def _plain(value: str) -> Any:
    """Type a plain scalar as CloudFormation does: no timestamps, and only true/false are booleans."""
    if _NULL.fullmatch(value):
        return None
    if _BOOL.fullmatch(value):
        return value.lower() == "true"
    if _INT.fullmatch(value):
        number = _int(value)
        return value if number is None else number
    if _FLOAT.fullmatch(value):
        return _float(value)
    return value


def _explicit(tag: str, value: str) -> Any:
    kind = tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else None
    if kind == "str":
        return value
    expected = _EXPLICIT_TYPES.get(kind or "")
    if expected is None:
        raise ValueError("unsupported tag")
    typed = _plain(value)
    if type(typed) not in expected:  # type(), not isinstance(): True is not an !!int
        raise ValueError(f"invalid !!{kind} value")
    return float(typed) if kind == "float" else typed


def _intrinsic_name(tag: str) -> str | None:
    if not tag.startswith("!") or tag.startswith("!!") or len(tag) < 2:
        return None
    name = tag[1:]
    return name if name in ("Ref", "Condition") else f"Fn::{name}"


def getatt_args(value: Any, span: Span) -> Any:
    """``"Res.Attr.Sub"`` -> ``["Res", "Attr.Sub"]``, the list form CloudFormation documents."""
    if not isinstance(value, str):
        return value
    resource, _, attribute = value.partition(".")
    args = LocList(span)
    args.extend((resource, attribute))
    args.item_spans.extend((span, span))
    return args


def _safe_problem(text: str | None) -> str:
    """A parser message without quoted source snippets (PyYAML quotes handles, anchors, tokens)."""
    if not text:
        return ""
    return _QUOTED.sub(lambda m: m.group(0) if _TOKEN_NAME.fullmatch(m.group(0)) else "'...'", text)


class _Frame:
    __slots__ = ("anchor", "container", "end", "flow", "key", "key_span", "size", "start", "tag")

    def __init__(self, container: LocDict | LocList, event: Any, start: tuple[int, int]) -> None:
        self.container = container
        self.anchor: str | None = event.anchor
        self.tag: str | None = event.tag
        self.flow = bool(event.flow_style)
        self.start = start
        self.end = start
        self.size = 1
        self.key: str | None = None
        self.key_span: Span | None = None


class _YamlBuilder:
    """Builds located data from parser events with an explicit stack (no recursion at all)."""

    def __init__(self, text: str) -> None:
        self.text = text[1:] if text.startswith("\ufeff") else text
        self.lines: list[str] | None = None
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.aliases = 0
        self.expansion = 0

    def load(self) -> Any:
        parser: Any = None
        try:
            parser = _EventLoader(self.text)
            return self._stream(parser)
        except UnicodeEncodeError as exc:
            line, column = _position(self.text, exc.start)
            raise LoadError("text is not valid Unicode (unpaired surrogate)", line, column) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            parts = [p for p in (_safe_problem(exc.context), _safe_problem(exc.problem)) if p]
            message = "; ".join(parts) or "invalid YAML"
            if mark is None:
                raise LoadError(message) from None
            raise LoadError(message, mark.line + 1, mark.column + 1) from None
        except yaml.reader.ReaderError as exc:
            code = f" #x{exc.character:04x}" if isinstance(exc.character, int) else ""
            where = _byte_position(self.text, exc.position)
            raise LoadError(f"unacceptable character{code} ({exc.reason})", *where) from None
        except yaml.YAMLError as exc:
            raise LoadError(f"invalid YAML ({type(exc).__name__})") from None
        finally:
            if parser is not None:
                parser.dispose()

    def _stream(self, parser: Any) -> Any:
        parser.get_event()  # StreamStartEvent
        if parser.check_event(yaml.StreamEndEvent):
            return None
        parser.get_event()  # DocumentStartEvent
        value = self._document(parser)
        parser.get_event()  # DocumentEndEvent
        if not parser.check_event(yaml.StreamEndEvent):
            mark = parser.peek_event().start_mark
            raise LoadError("more than one YAML document in the file", mark.line + 1, mark.column + 1)
        return value

    def _document(self, parser: Any) -> Any:
        stack: list[_Frame] = []
        while True:
            event = parser.get_event()
            kind = type(event)
            start = (event.start_mark.line + 1, event.start_mark.column + 1)
            if kind is yaml.ScalarEvent:
                value, span, size = self._scalar(event, stack, start)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, size)
            elif kind is yaml.AliasEvent:
                value, size = self._alias(event, start)
                span = Span(start[0], start[1], event.end_mark.line + 1, event.end_mark.column + 1)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if stack and isinstance(stack[-1].container, LocDict) and stack[-1].key is None:
                    raise LoadError("mapping keys must be plain strings, not collections", *start)
                if len(stack) >= MAX_DEPTH:
                    raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", *start)
                container: LocDict | LocList = (LocDict if kind is yaml.MappingStartEvent else LocList)(
                    Span(*start, *start)
                )
                stack.append(_Frame(container, event, start))
                continue
            else:  # MappingEndEvent / SequenceEndEvent
                frame = stack.pop()
                value, span, size = self._close(frame, event)
            if not stack:
                return value
            self._attach(stack[-1], value, span, size)

    def _scalar(self, event: Any, stack: list[_Frame], start: tuple[int, int]) -> tuple[Any, Span, int]:
        end = (event.end_mark.line + 1, event.end_mark.column + 1)
        if event.style in ("|", ">"):
            end = self._block_scalar_end(start, end)
        span = Span(*start, *end)
        tag: str | None = event.tag
        raw: str = event.value
        top = stack[-1] if stack else None
        if top is not None and isinstance(top.container, LocDict) and top.key is None:
            if tag is not None and tag not in ("!", _YAML_TAG + "str"):
                raise LoadError("mapping keys must be plain strings, not tagged values", *start)
            if tag is None and event.implicit[0] and raw == "<<":
                raise LoadError("merge keys (<<) are not supported in CloudFormation templates", *start)
            return raw, span, 1
        if tag is None or tag == "!":
            return (_plain(raw) if tag is None and event.implicit[0] else raw), span, 1
        name = _intrinsic_name(tag)
        if name is not None:
            args = getatt_args(raw, span) if name == "Fn::GetAtt" else raw
            return Intrinsic(name, args, span), span, 1
        try:
            return _explicit(tag, raw), span, 1
        except ValueError as exc:
            raise LoadError(f"{exc} {_safe_tag(tag)}", *start) from None

    def _block_scalar_end(self, start: tuple[int, int], end: tuple[int, int]) -> tuple[int, int]:
        """libyaml ends ``|``/``>`` scalars at the next token; end them at their last text instead."""
        if self.lines is None:
            self.lines = split_lines(self.text)
        line = end[0]
        if line <= len(self.lines) and self.lines[line - 1][: end[1] - 1].strip():
            return end
        line -= 1
        while line > start[0] and not self.lines[line - 1].strip():
            line -= 1
        return line, len(self.lines[line - 1].rstrip()) + 1

    def _alias(self, event: Any, start: tuple[int, int]) -> tuple[Any, int]:
        if event.anchor not in self.anchors:
            raise LoadError("alias to an undefined or enclosing anchor", *start)
        value, size = self.anchors[event.anchor]
        self.aliases += 1
        self.expansion += size
        if self.aliases > MAX_ALIASES:
            raise LoadError(f"more than {MAX_ALIASES} aliases", *start)
        if self.expansion > MAX_ALIAS_EXPANSION:
            raise LoadError(f"aliases expand to more than {MAX_ALIAS_EXPANSION} nodes", *start)
        return value, size

    def _close(self, frame: _Frame, event: Any) -> tuple[Any, Span, int]:
        if frame.flow:
            frame.end = (event.end_mark.line + 1, event.end_mark.column + 1)
        span = Span(*frame.start, *frame.end)
        frame.container.span = span
        value: Any = frame.container
        tag = frame.tag
        if tag is not None and tag not in (_YAML_TAG + "map", _YAML_TAG + "seq", "!"):
            name = _intrinsic_name(tag)
            if name is None:
                raise LoadError(f"unsupported tag {_safe_tag(tag)}", *frame.start)
            value = Intrinsic(name, value, span)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (value, frame.size)
        return value, span, frame.size

    def _attach(self, frame: _Frame, value: Any, span: Span, size: int) -> None:
        frame.size += size
        frame.end = max(frame.end, (span.end_line, span.end_column))
        container = frame.container
        if isinstance(container, LocList):
            container.append(value)
            container.item_spans.append(span)
            return
        if frame.key is None:
            if not isinstance(value, str):  # an alias used as a key
                raise LoadError("mapping keys must be plain strings", span.line, span.column)
            if value in container:
                first = container.key_spans[value].line
                raise LoadError(
                    f"duplicate key {_short(value)} (first defined on line {first})", span.line, span.column
                )
            frame.key, frame.key_span = value, span
            return
        assert frame.key_span is not None
        container[frame.key] = value
        container.key_spans[frame.key] = frame.key_span
        container.value_spans[frame.key] = span
        frame.key = frame.key_span = None


def _safe_tag(tag: str) -> str:
    """Name a standard tag (``!!binary``); any other tag is source text and is not repeated."""
    kind = tag.removeprefix(_YAML_TAG)
    return f"!!{kind}" if tag.startswith(_YAML_TAG) and kind in _STANDARD_KINDS else "(tag not shown)"


def _short(key: str) -> str:
    return repr(key if len(key) <= 60 else key[:57] + "...")


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _byte_position(text: str, offset: int) -> tuple[int | None, int | None]:
    """libyaml reports reader errors as UTF-8 byte offsets (the C parser encodes str input)."""
    if _EventLoader is yaml.SafeLoader:
        return _position(text, offset) if 0 <= offset <= len(text) else (None, None)
    prefix = text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore")
    return _position(text, len(prefix))


# --------------------------------------------------------------------------------------- JSON

_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_WS = re.compile(r"[ \t\n\r]*")
_WS_CHARS = " \t\n\r"
_PLAIN_STRING = re.compile(r'"([^"\\\x00-\x1f]*)"')
_PLAIN_KEY = re.compile(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*')
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS = (("true", True), ("false", False), ("null", None))
_NO_SPAN = Span(0, 0, 0, 0)


def load_json(text: str) -> Any:
    """A JSON document (RFC 8259, no NaN/Infinity) as located data; duplicate keys are errors."""
    with _no_gc():
        return _JsonReader(text[1:] if text.startswith("\ufeff") else text).document()


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC while loading: loaders allocate millions of acyclic objects, which
    makes the collector rescan ever-growing generations (about 15% of the time on plan files)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _JsonReader:
    """An iterative scanner (explicit stack, so depth costs no recursion) tracking the line.

    JSON strings cannot hold raw line breaks, so only whitespace moves the line and every span is
    two subtractions.  Escaped strings go through ``json``'s own C ``scanstring`` and numbers
    through ``int``/``float``, giving exactly what ``json.loads`` gives.  Plan files run to tens of
    MB, hence the regex fast paths for strings and ``"key":`` without escapes; what remains is
    mostly the cost of creating a ``Span`` per key and value.
    """

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.line = 1
        self.line_start = 0

    def document(self) -> Any:
        s = self.s
        stack: list[list[Any]] = []  # [container, line, column, pending key, key span]
        pos = self._skip(0)
        while True:
            # A value starts at pos: read a scalar, or open a container and read up to its first value.
            char = s[pos : pos + 1]
            if char in ("{", "["):
                if len(stack) >= MAX_DEPTH:
                    raise self._error(f"nesting deeper than {MAX_DEPTH} levels", pos)
                container = LocDict(_NO_SPAN) if char == "{" else LocList(_NO_SPAN)
                frame: list[Any] = [container, self.line, pos - self.line_start + 1, None, None]
                stack.append(frame)
                pos = self._skip(pos + 1)
                if s[pos : pos + 1] != ("}" if char == "{" else "]"):
                    if char == "{":
                        pos = self._key(pos, frame)
                    continue
                value, end, span = self._close(stack.pop(), pos)
            else:
                line, column = self.line, pos - self.line_start + 1
                value, end = self._scalar(pos, char)
                span = Span(line, column, line, end - self.line_start + 1)
            # Attach the value to its parent, then close every container that ends right after it.
            while stack:
                frame = stack[-1]
                container = frame[0]
                if type(container) is LocList:
                    container.append(value)
                    container.item_spans.append(span)
                else:
                    container[frame[3]] = value
                    container.key_spans[frame[3]] = frame[4]
                    container.value_spans[frame[3]] = span
                pos = self._skip(end)
                char = s[pos : pos + 1]
                if char == ",":
                    pos = self._skip(pos + 1)
                    if type(container) is LocDict:
                        pos = self._key(pos, frame)
                    break
                closer = "]" if type(container) is LocList else "}"
                if char != closer:
                    raise self._error(f"expected ',' or '{closer}'", pos)
                value, end, span = self._close(stack.pop(), pos)
            else:
                pos = self._skip(end)
                if pos < self.n:
                    raise self._error("unexpected data after the JSON value", pos)
                return value

    def _close(self, frame: list[Any], pos: int) -> tuple[Any, int, Span]:
        container = frame[0]
        container.span = Span(frame[1], frame[2], self.line, pos + 2 - self.line_start)
        return container, pos + 1, container.span

    def _scalar(self, pos: int, char: str) -> tuple[Any, int]:
        s = self.s
        if char == '"':
            match = _PLAIN_STRING.match(s, pos)
            return (match.group(1), match.end()) if match else self._string(pos)
        number = _NUMBER.match(s, pos)
        if number is not None:
            integer, fraction, exponent = number.groups()
            try:
                if fraction or exponent:
                    return float(number.group(0)), number.end()
                return int(integer), number.end()
            except ValueError:  # more digits than int_max_str_digits
                raise self._error("number has too many digits", pos) from None
        for word, literal in _LITERALS:
            if s.startswith(word, pos):
                return literal, pos + len(word)
        raise self._error("expected a JSON value" if char else "unexpected end of input, expected a value", pos)

    def _string(self, pos: int) -> tuple[str, int]:
        try:
            return _scanstring(self.s, pos + 1, True)
        except json.JSONDecodeError as exc:
            message = exc.msg.removesuffix(" at").removesuffix(" starting")
            raise self._error(message[:1].lower() + message[1:], exc.pos) from None

    def _lines(self, start: int, end: int) -> None:
        """Move the line past whitespace ``s[start:end]`` that a regex consumed."""
        if "\n" in self.s[start:end]:
            self.line += self.s.count("\n", start, end)
            self.line_start = self.s.rindex("\n", start, end) + 1

    def _key(self, pos: int, frame: list[Any]) -> int:
        """Read ``"key":`` at pos into the frame; return where its value starts."""
        s = self.s
        start, line, line_start = pos, self.line, self.line_start
        match = _PLAIN_KEY.match(s, pos)
        if match is not None:
            key, key_end, pos = match.group(1), match.end(1) + 1, match.end()
            self._lines(key_end, pos)
        else:
            if s[pos : pos + 1] != '"':
                raise self._error("expected a string key in double quotes", pos)
            key, key_end = self._string(pos)
            pos = self._skip(key_end)
            if s[pos : pos + 1] != ":":
                raise self._error("expected ':' after an object key", pos)
            pos = self._skip(pos + 1)
        container: LocDict = frame[0]
        if key in container:
            first = container.key_spans[key].line
            message = f"duplicate key {_short(key)} (first defined on line {first})"
            raise LoadError(message, line, start - line_start + 1)
        frame[3], frame[4] = key, Span(line, start - line_start + 1, line, key_end - line_start + 1)
        return pos

    def _skip(self, pos: int) -> int:
        s = self.s
        if pos >= self.n or s[pos] not in _WS_CHARS:
            return pos
        match = _WS.match(s, pos)
        end = match.end() if match else pos
        newlines = s.count("\n", pos, end)
        if newlines:
            self.line += newlines
            self.line_start = s.rindex("\n", pos, end) + 1
        return end

    def _error(self, message: str, pos: int) -> LoadError:
        line, column = _position(self.s, min(pos, self.n))
        return LoadError(message, line, column)
