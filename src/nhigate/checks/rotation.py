"""Family ``missing-rotation``: secrets, keys and tokens with no rotation or TTL, or one longer
than policy.

Every predicate here follows the same rule as the rest of nhigate: a value that cannot be known
before deployment (a variable without a default, a computed attribute in a plan, an intrinsic
CloudFormation cannot resolve statically) is *cannot tell*, never *missing*.  A rotation that may
exist but cannot be tied to a secret with certainty silences the finding.

In plan JSON, ``terraform show -json`` omits unknown values from ``planned_values``: an absent
attribute there is unknown, and only an explicit ``null`` (or empty string/list) counts as unset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nhigate.checks.base import CheckContext, is_unknown
from nhigate.checks.long_lived import date_of, duration_days
from nhigate.findings import Violation
from nhigate.model import AttrPath, Ref, Unknown
from nhigate.parsers import hclast as ast
from nhigate.parsers.located import Intrinsic
from nhigate.policy import policy_statements, statements_from_policy_document_data
from nhigate.view import MISSING, ResourceView, TerraformView

if TYPE_CHECKING:
    from nhigate.scope import Scope


# -- value helpers -------------------------------------------------------------------------------


def _is_plan(view: ResourceView) -> bool:
    return view.block.format == "plan"


def _cfn(view: ResourceView) -> bool:
    return view.block.format == "cloudformation"


def _unset(view: ResourceView, value: Any) -> bool:
    """Not written (HCL/CFN) or explicitly empty; in a plan an absent key is unknown, not unset."""
    if value is MISSING:
        return not _is_plan(view)
    return value is None or (isinstance(value, (str, list)) and len(value) == 0)


def _unknown(view: ResourceView, value: Any) -> bool:
    """Unknown, an unresolved reference, or (plan only) an attribute the plan left out."""
    return is_unknown(value) or (value is MISSING and _is_plan(view))


def _number(value: Any) -> float | None:
    """A number, or a string holding one (CloudFormation and tfvars often quote numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _flag(value: Any) -> bool | None:
    """True/False for a boolean or its string spelling (CloudFormation accepts ``"true"``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _block(value: Any) -> dict[str, Any] | None:
    """The first (only) object of a nested block written as a list, or an object itself."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    if isinstance(value, dict):
        return value
    return None


def _days_text(days: float) -> str:
    return str(int(days)) if float(days).is_integer() else f"{days:.1f}"


_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def _google_seconds(text: str) -> float | None:
    """``"7776000s"`` (a protobuf Duration as the Google provider writes it) -> seconds."""
    match = _SECONDS.match(text)
    return float(match.group(1)) if match else None


_ISO = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def _iso_days(text: str) -> float | None:
    """An ISO 8601 duration (``P90D``, ``P1Y``, ``P2M``, ``PT720H``) in days; months count 30."""
    match = _ISO.match(text.strip().upper())
    if not match or text.strip().upper() in ("P", "PT"):
        return None
    years, months, weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return years * 365 + months * 30 + weeks * 7 + days + hours / 24 + minutes / 1440 + seconds / 86400


_VAULT_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(d|h|m|s)$")


def _vault_seconds(value: Any) -> float | None:
    """A Vault TTL: seconds as a number or string, or a duration such as ``"24h"`` or ``"1h30m"``."""
    number = _number(value)
    if number is not None:
        return number
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    simple = _VAULT_DURATION.match(text)
    if simple and simple.group(2) == "d":
        return float(simple.group(1)) * 86400
    days = duration_days(text)
    return days * 86400 if days is not None else None


def _references_instance(body: ast.Body) -> bool:
    """Whether a block body (attributes and nested blocks) reads ``each`` or ``count``."""
    for attribute in body.attributes.values():
        if any(r.split(".")[0] in ("each", "count") for r in _hcl_references(attribute.value)):
            return True
    return any(_references_instance(nested.body) for nested in body.blocks)


def _get(view: ResourceView, *path: str | int) -> Any:
    """``view.get`` that stays Unknown where the evaluator cannot be trusted to: an attribute of a
    ``for_each``/``count`` block whose instances are not known, written from ``each``/``count``
    (``try(each.value.ttl, null)`` would otherwise look like an explicit null)."""
    value = view.get(*path)
    if not isinstance(view, TerraformView) or view.instance_key() is not None or not path:
        return value
    body = view.block.body
    if "for_each" not in body.attributes and "count" not in body.attributes:
        return value
    head = path[0]
    written = body.attributes.get(head) if isinstance(head, str) else None
    if written is not None:
        if any(r.split(".")[0] in ("each", "count") for r in _hcl_references(written.value)):
            return Unknown(f"{head} depends on for_each/count instances that are not known")
    elif any(b.type == head and _references_instance(b.body) for b in body.blocks):
        return Unknown(f"{head} depends on for_each/count instances that are not known")
    return value


# -- schedules (Secrets Manager rotation rules) ----------------------------------------------------

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(day|days|hour|hours|minute|minutes)\s*\)$", re.IGNORECASE)
_MONTHS = {
    name: i
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}


def _month(token: str) -> int | None:
    token = token.strip().upper()
    if token in _MONTHS:
        return _MONTHS[token]
    return int(token) if token.isdigit() and 1 <= int(token) <= 12 else None


def _month_set(field: str) -> set[int] | None:
    """The months a cron month field fires in: ``*``, ``3``, ``1-6``, ``1/3``, ``*/6``, ``JAN,JUL``."""
    months: set[int] = set()
    for item in field.split(","):
        part, step = item, 1
        if "/" in item:
            part, step_text = item.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                return None
            step = int(step_text)
        if part in ("*", "?"):
            low, high = 1, 12
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _month(a), _month(b)
            if first is None or last is None or first > last:
                return None
            low, high = first, last
        else:
            single = _month(part)
            if single is None:
                return None
            low, high = single, (12 if step > 1 else single)
        months.update(range(low, high + 1, step))
    return months or None


def _cron_gap_days(expression: str) -> tuple[float, float] | None:
    """(lower, upper) bound in days of the longest gap between runs of a Secrets Manager
    ``cron(min hour day-of-month month day-of-week year)``; None for forms not understood."""
    fields = expression.split()
    if len(fields) != 6 or fields[5] not in ("*", "?"):
        return None
    months = _month_set(fields[3])
    if months is None:
        return None
    ordered = sorted(months)
    gap = max(((b - a) % 12 or 12) for a, b in zip(ordered, ordered[1:] + ordered[:1], strict=True))
    single_day = fields[2].isdigit() and fields[4] == "?"
    lower = gap * 28.0 if single_day else (gap - 1) * 28.0 + 1
    return lower, gap * 31.0


def _schedule(rules: dict[str, Any], cfn: bool) -> tuple[float | None, float | None, str, str] | None:
    """(lower, upper, key, text) of a rotation schedule in days; None when nothing is set.

    Lower/upper are None when a value is set but not understood (Unknown, an odd cron): that is
    *cannot tell*, not a violation.
    """
    days_key, expr_key = (
        ("AutomaticallyAfterDays", "ScheduleExpression")
        if cfn
        else (
            "automatically_after_days",
            "schedule_expression",
        )
    )
    expression = rules.get(expr_key, MISSING)
    if isinstance(expression, str) and expression.strip():
        text = expression.strip()
        rate = _RATE.match(text)
        if rate:
            amount, unit = float(rate.group(1)), rate.group(2).lower()
            days = amount if unit.startswith("day") else amount / 24 if unit.startswith("hour") else amount / 1440
            return days, days, expr_key, text
        if text.lower().startswith("cron(") and text.endswith(")"):
            bounds = _cron_gap_days(text[5:-1])
            if bounds is not None:
                return bounds[0], bounds[1], expr_key, text
        return None, None, expr_key, text
    if is_unknown(expression):
        return None, None, expr_key, ""
    days_value = rules.get(days_key, MISSING)
    if is_unknown(days_value):
        return None, None, days_key, ""
    number = _number(days_value)
    if number is not None and number > 0:
        return number, number, days_key, f"{days_key} = {_days_text(number)}"
    return None


def _schedule_violation(view: ResourceView, prefix: AttrPath, rules: Any, limit: int) -> Iterator[Violation]:
    """A rotation schedule longer than ``limit`` days."""
    values = _block(rules)
    if values is None:
        return
    found = _schedule(values, _cfn(view))
    if found is None:
        return
    lower, upper, key, text = found
    if lower is None or upper is None or lower <= limit:
        return
    if text.lower().startswith("cron("):
        length = f"about {_days_text(round(upper))} days apart"
    else:
        length = f"every {_days_text(lower)} days"
    yield Violation(
        (*prefix, key),
        f"secret rotates {length} ({text}), less often than the {limit}-day maximum",
    )


# -- what is a credential, and what is configuration kept in a secret store -------------------------

_SECRET_WORDS = re.compile(
    r"pass|pwd|secret|token|private|credential|api_?key|apikey|access_?key|account_?key|auth|"
    r"cert|signing|sas|connection_?string|conn_?str|pem|pfx|p12",
    re.IGNORECASE,
)
_PLAIN_NAME = re.compile(
    r"(?:^|[_-])(?:name|names|id|ids|arn|fqdn|host|hostname|url|uri|endpoint|login|username|user|"
    r"user_principal_name|upn|location|region|port|database|database_name|bucket|account_id|"
    r"tenant_id|client_id|object_id|principal_id)$|^public_key",
    re.IGNORECASE,
)


def _words(name: str) -> str:
    """``sqlAdminUserName`` / ``sql-admin-user-name`` -> ``sql_admin_user_name``."""
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()).strip("_")


def _plain(name: str) -> bool:
    """A name that says its value is configuration (a name, an id, an FQDN, a public key)."""
    text = _words(name)
    return bool(text) and bool(_PLAIN_NAME.search(text)) and not _SECRET_WORDS.search(text.replace("public_key", ""))


def _only_plain_keys(keys: list[str]) -> bool:
    return bool(keys) and all(not _SECRET_WORDS.search(_words(k)) for k in keys)


# -- NHI301: Secrets Manager secret without rotation -----------------------------------------------

_SECRET_TYPES = frozenset({"aws_secretsmanager_secret", "AWS::SecretsManager::Secret"})
_SECRET_ROTATIONS = ("aws_secretsmanager_secret_rotation", "AWS::SecretsManager::RotationSchedule")
_NESTED_STACKS = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")
_MODULE_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


def _instances(view: ResourceView) -> list[ResourceView]:
    return list(view.instances()) if isinstance(view, TerraformView) else [view]


def _lineage(scope: Scope) -> list[Scope]:
    """The scope and every scope that calls it, innermost first."""
    out = [scope]
    while out[-1].parent is not None:
        parent = out[-1].parent
        assert parent is not None
        out.append(parent)
    return out


def _descendants(scope: Scope) -> Iterator[Scope]:
    yield scope
    for child in scope.children.values():
        yield from _descendants(child)


def _resolve_up(ref: Ref, scope: Scope) -> ResourceView | None:
    """A reference found in ``scope``: module inputs carry references written in the caller, so
    unresolved ones are tried in the calling scopes too."""
    for candidate in _lineage(scope):
        found = candidate.resolve(ref)
        if found is not None:
            return found
    return None


def _is_block_of(target: ResourceView, secret: ResourceView, secret_scope: Scope) -> bool:
    """``target`` is the (block-level) view of ``secret`` in the scope being checked."""
    return target.block is secret.block and any(v is target for v in secret_scope.views)


def _secret_names(secret: ResourceView) -> tuple[list[str], Any]:
    """Known identifiers of a secret (name, ARN, id) and its name value (maybe Unknown/MISSING)."""
    name = _get(secret, "Name") if _cfn(secret) else _get(secret, "name")
    known = [v for v in (name, _get(secret, "arn"), _get(secret, "id")) if isinstance(v, str) and v]
    return known, name


def _literal_match(text: str, secret: ResourceView) -> str:
    """Does a literal ``secret_id`` (a name or an ARN) name this secret?"""
    known, name = _secret_names(secret)
    if text in known:
        return "yes"
    if isinstance(name, str) and name:
        return "yes" if text.endswith(f":secret:{name}") or f":secret:{name}-" in text else "no"
    if is_unknown(name):
        return "unknown"
    return "no"  # name_prefix or a generated name: a literal written in advance cannot name it


def _target_match(target: ResourceView, secret: ResourceView, secret_scope: Scope) -> str:
    if _is_block_of(target, secret, secret_scope):
        return "yes"
    if target.block.kind == "data" and target.type == "aws_secretsmanager_secret":
        # data "aws_secretsmanager_secret" looks a secret up by name or ARN: the same one?
        for attribute in ("name", "arn"):
            value = _get(target, attribute)
            if is_unknown(value):
                return "unknown"
            if isinstance(value, str) and value:
                return _literal_match(value, secret)
    return "no"


def _secret_id_match(rotation: ResourceView, scope: Scope, secret: ResourceView, secret_scope: Scope) -> str:
    """Whether one rotation (instance) targets the secret: ``yes``, ``no`` or ``unknown``."""
    value = _get(rotation, "SecretId") if _cfn(rotation) else _get(rotation, "secret_id")
    if isinstance(value, Ref):
        target = _resolve_up(value, scope)
        return "unknown" if target is None else _target_match(target, secret, secret_scope)
    if isinstance(value, str) and value:
        return _literal_match(value, secret)
    if isinstance(value, Unknown) and isinstance(rotation, TerraformView):
        # for_each = aws_secretsmanager_secret.all; secret_id = each.value.id
        collection = _get(rotation, "for_each")
        if isinstance(collection, Ref):
            target = _resolve_up(collection, scope)
            if target is not None and target.type in _SECRET_TYPES:
                return _target_match(target, secret, secret_scope)
        return "unknown"
    if value is MISSING and not _is_plan(rotation):
        return "no"
    return "unknown"  # Unknown, or left out of a plan because it is computed at apply


def _refers_to(value: Any, scope: Scope, secret: ResourceView, secret_scope: Scope, depth: int = 0) -> bool:
    if depth > 8:
        return False
    if isinstance(value, Ref):
        target = _resolve_up(value, scope)
        return target is not None and _is_block_of(target, secret, secret_scope)
    if isinstance(value, dict):
        return any(_refers_to(v, scope, secret, secret_scope, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_refers_to(v, scope, secret, secret_scope, depth + 1) for v in value)
    return False


def _handed_to_unseen_code(secret: ResourceView, secret_scope: Scope) -> bool:
    """The secret is passed to code nhigate cannot read (a module that is not installed, a nested
    stack), which may well rotate it."""
    for scope in _lineage(secret_scope):
        for view in scope.views:
            if isinstance(view, TerraformView) and view.block.kind == "module":
                if view.block.name in scope.children:
                    continue
                for name in view.block.body.attributes:
                    if name not in _MODULE_META and _refers_to(_get(view, name), scope, secret, secret_scope):
                        return True
            elif view.type in _NESTED_STACKS and _refers_to(_get(view, "Parameters"), scope, secret, secret_scope):
                return True
    return False


def _rotation_status(secret: ResourceView, secret_scope: Scope | None) -> str:
    """``rotated``, ``none`` or ``unknown`` for a secret, looking at every rotation resource of its
    module tree (template, plan).  A rotation whose target cannot be known, in the secret's own
    scope, a caller or a callee, makes the answer ``unknown``."""
    if secret_scope is None:
        return "unknown"
    lineage = _lineage(secret_scope)
    related = {id(s) for s in lineage} | {id(s) for s in _descendants(secret_scope)}
    unknown = False
    for scope in _descendants(lineage[-1]):
        for rotation_block in scope.of_type(*_SECRET_ROTATIONS):
            for rotation in _instances(rotation_block):
                match = _secret_id_match(rotation, scope, secret, secret_scope)
                if match == "yes":
                    return "rotated"
                if match == "unknown" and id(scope) in related:
                    unknown = True
    if unknown or _handed_to_unseen_code(secret, secret_scope):
        return "unknown"
    return "none"


_JSON_KEY = re.compile(r'"([A-Za-z_][\w.-]*)"\s*:')


def _cfn_secret_is_configuration(secret: ResourceView) -> bool:
    """``SecretString: !Sub '{"BucketName": "${Bucket}"}'``: JSON with no credential-like key, and
    no generated password, is configuration shared through Secrets Manager, not a credential."""
    body = secret.block.body
    properties = body.get("Properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict) or "GenerateSecretString" in properties:
        return False
    texts = [t for t in _raw_strings(properties.get("SecretString")) if "{" in t]
    return bool(texts) and _only_plain_keys([k for t in texts for k in _JSON_KEY.findall(t)])


def _object_keys(expr: Any) -> list[str] | None:
    """Literal keys of ``jsonencode({...})``; None for anything else."""
    if isinstance(expr, ast.Call) and expr.name == "jsonencode" and len(expr.args) == 1:
        expr = expr.args[0]
    if not isinstance(expr, ast.ObjectExpr):
        return None
    keys: list[str] = []
    for item in expr.items:
        key = item.key
        if isinstance(key, ast.Literal) and isinstance(key.value, str):
            keys.append(key.value)
        elif isinstance(key, ast.Traversal) and isinstance(key.source, ast.Variable) and not key.steps:
            keys.append(key.source.name)  # a bare word key: { bucket = ... }
        elif isinstance(key, ast.Variable):
            keys.append(key.name)
        else:
            return None
    return keys


def _tf_secret_is_configuration(secret: ResourceView, secret_scope: Scope | None) -> bool:
    """Every version written for the secret in its module is ``jsonencode({...})`` with no
    credential-like key (a bucket name, a key ARN shared with other accounts)."""
    if secret_scope is None:
        return False
    versions = [
        v
        for v in secret_scope.of_type("aws_secretsmanager_secret_version")
        if isinstance(v, TerraformView)
        and isinstance(v.get("secret_id"), Ref)
        and (target := secret_scope.resolve(v.get("secret_id"))) is not None
        and _is_block_of(target, secret, secret_scope)
    ]
    if not versions:
        return False
    for version in versions:
        written = version.block.body.attributes.get("secret_string")
        keys = _object_keys(written.value) if written is not None else None
        if keys is None or not _only_plain_keys(keys):
            return False
    return True


def secretsmanager_secret_without_rotation(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A Secrets Manager secret that nothing rotates, or a rotation schedule longer than policy."""
    limit = int(ctx.param("max_days"))
    if view.type in _SECRET_ROTATIONS:
        prefix: AttrPath = ("RotationRules",) if _cfn(view) else ("rotation_rules", 0)
        yield from _schedule_violation(view, prefix, _get(view, prefix[0]), limit)
        return
    if not _cfn(view):
        # aws provider < 5 configured rotation on the secret itself (deprecated in 2.67, removed in 5.0).
        lambda_arn, rules, enabled = (
            _get(view, "rotation_lambda_arn"),
            _get(view, "rotation_rules"),
            _get(view, "rotation_enabled"),
        )
        if is_unknown(lambda_arn) or is_unknown(rules):
            return
        if (isinstance(lambda_arn, str) and lambda_arn) or _block(rules) is not None or enabled is True:
            yield from _schedule_violation(view, ("rotation_rules", 0), rules, limit)
            return
    status = _rotation_status(view, ctx.scope)
    if status != "none":
        return
    if _cfn_secret_is_configuration(view) if _cfn(view) else _tf_secret_is_configuration(view, ctx.scope):
        return
    rotation = "AWS::SecretsManager::RotationSchedule" if _cfn(view) else "aws_secretsmanager_secret_rotation"
    yield Violation(
        (),
        f"Secrets Manager secret without automatic rotation: no {rotation} targets it, so a leaked "
        f"value stays valid until someone changes it by hand (policy: rotate at least every {limit} days)",
    )


# -- NHI302: AWS KMS key without rotation ------------------------------------------------------

_KMS_DEFAULT_PERIOD = 365


def kms_key_without_rotation(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A customer-managed symmetric KMS key whose key material never rotates, or rotates less
    often than policy.  Asymmetric, HMAC, imported and custom-key-store keys cannot rotate."""
    limit = int(ctx.param("max_days"))
    cfn = _cfn(view)
    names = (
        ("KeySpec", "KeyUsage", "Enabled", "EnableKeyRotation", "RotationPeriodInDays")
        if cfn
        else ("customer_master_key_spec", "key_usage", "is_enabled", "enable_key_rotation", "rotation_period_in_days")
    )
    spec_key, usage_key, enabled_key, rotation_key, period_key = names
    spec, usage, enabled = _get(view, spec_key), _get(view, usage_key), _get(view, enabled_key)
    if any(_unknown(view, v) for v in (spec, usage)) or is_unknown(enabled):
        return
    if not (_unset(view, spec) or spec == "SYMMETRIC_DEFAULT"):
        return  # asymmetric or HMAC: automatic rotation is not supported
    if not (_unset(view, usage) or usage == "ENCRYPT_DECRYPT"):
        return
    if _flag(enabled) is False:
        return  # a disabled key cannot be used
    if cfn:
        origin = _get(view, "Origin")
        if is_unknown(origin) or not (origin is MISSING or origin in ("AWS_KMS", None, "")):
            return  # imported key material or an external key store: cannot rotate automatically
    else:
        for external in ("custom_key_store_id", "xks_key_id"):
            value = _get(view, external)
            if _unknown(view, value) or not _unset(view, value):
                return  # CloudHSM or external key store: cannot rotate automatically
    rotation = _get(view, rotation_key)
    if _unknown(view, rotation):
        return
    if _flag(rotation) is not True:
        if not _unset(view, rotation) and _flag(rotation) is None:
            return  # a value nhigate does not understand
        state = f"{rotation_key} is not set" if _unset(view, rotation) else f"{rotation_key} = false"
        yield Violation(
            (rotation_key,),
            f"symmetric KMS key without automatic rotation ({state}): the same key material "
            "protects data for as long as the key exists",
        )
        return
    period = _get(view, period_key)
    if is_unknown(period):
        return
    number = _number(period)
    if number is None or number <= 0:
        if period is MISSING and _is_plan(view):
            return  # computed at apply
        number = float(_KMS_DEFAULT_PERIOD)
    if number > limit:
        yield Violation(
            (period_key,),
            f"KMS key material rotates every {_days_text(number)} days, less often than the {limit}-day maximum",
        )


# -- NHI303: long role session duration ------------------------------------------------------------


_POLICY_DATA = "data.aws_iam_policy_document."


def _only_services_assume(view: ResourceView, ctx: CheckContext) -> bool:
    """Every statement that allows assuming the role names AWS service principals only."""
    attribute = "AssumeRolePolicyDocument" if _cfn(view) else "assume_role_policy"
    statements = policy_statements(view, attribute, ctx.scope)
    if isinstance(statements, Unknown) and isinstance(view, TerraformView) and ctx.scope is not None:
        # join("", data.aws_iam_policy_document.trust[*].json): one document behind a function.
        written = view.block.body.attributes.get(attribute)
        documents = {
            r for r in (_hcl_references(written.value) if written is not None else ()) if r.startswith(_POLICY_DATA)
        }
        target = ctx.scope.resolve(Ref(documents.pop())) if len(documents) == 1 else None
        if target is not None:
            statements = statements_from_policy_document_data(target)
    if isinstance(statements, Unknown):
        return False
    allowing = [st for st in statements if st.effect == "Allow"]
    return bool(allowing) and all(
        not st.not_principals and st.principals and set(st.principals) == {"Service"} for st in allowing
    )


def role_session_too_long(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """An IAM role whose sessions may last longer than policy (AWS default: one hour)."""
    limit = int(ctx.param("max_session_seconds"))
    key = "MaxSessionDuration" if _cfn(view) else "max_session_duration"
    seconds = _number(_get(view, key))
    if seconds is None or seconds <= limit:
        return
    if _only_services_assume(view, ctx):
        return  # the setting does not limit sessions that AWS services obtain for themselves
    yield Violation(
        (key,),
        f"role sessions may last {_days_text(seconds / 3600)} hours ({key} = {int(seconds)}), longer "
        f"than the {int(limit)}-second maximum: stolen session credentials stay valid that long",
    )


# -- NHI304: database master password set by hand ----------------------------------------------

_RDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type -> (password attributes, attributes that mean "this one does not set its own password")
    "aws_db_instance": (("password", "password_wo"), ("replicate_source_db",)),
    "aws_rds_cluster": (
        ("master_password", "master_password_wo"),
        ("replication_source_identifier", "global_cluster_identifier"),
    ),
    "AWS::RDS::DBInstance": (("MasterUserPassword",), ("SourceDBInstanceIdentifier", "SourceDBClusterIdentifier")),
    "AWS::RDS::DBCluster": (("MasterUserPassword",), ("ReplicationSourceIdentifier", "GlobalClusterIdentifier")),
}
_SECRETS_MANAGER_SOURCES = ("aws_secretsmanager_secret_version", "aws_secretsmanager_secret")
_DYNAMIC_SECRETS_MANAGER = "{{resolve:secretsmanager:"


def _hcl_references(expr: Any, depth: int = 0) -> Iterator[str]:
    """``type.name`` / ``data.type.name`` of every reference inside an HCL expression."""
    if depth > 16 or expr is None:
        return
    if isinstance(expr, ast.Traversal):
        source = expr.source
        if isinstance(source, ast.Variable):
            steps = [s for s in expr.steps if isinstance(s, str)]
            yield ".".join([source.name, *steps[:2]])
        else:
            yield from _hcl_references(source, depth + 1)
        for step in expr.steps:
            if not isinstance(step, (str, ast.Splat)):
                yield from _hcl_references(step, depth + 1)
        return
    if isinstance(expr, ast.Variable):
        yield expr.name
        return
    children: list[Any] = []
    if isinstance(expr, ast.Template):
        children = [p for p in expr.parts if not isinstance(p, str)]
    elif isinstance(expr, ast.Call):
        children = list(expr.args)
    elif isinstance(expr, ast.ObjectExpr):
        children = [i.value for i in expr.items]
    elif isinstance(expr, ast.TupleExpr):
        children = list(expr.items)
    elif isinstance(expr, ast.Conditional):
        children = [expr.condition, expr.true, expr.false]
    elif isinstance(expr, ast.BinaryOp):
        children = [expr.left, expr.right]
    elif isinstance(expr, ast.UnaryOp):
        children = [expr.operand]
    for child in children:
        yield from _hcl_references(child, depth + 1)


def _raw_strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string inside a CloudFormation value, intrinsic arguments included."""
    if depth > 12:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Intrinsic):
        yield from _raw_strings(value.args, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _raw_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _raw_strings(item, depth + 1)


def _locals_of(scope: Scope | None) -> dict[str, Any]:
    """``name -> expression`` of every local value of a Terraform module."""
    out: dict[str, Any] = {}
    for view in scope.views if scope is not None else ():
        if isinstance(view, TerraformView) and view.block.kind == "locals":
            out.update({name: a.value for name, a in view.block.body.attributes.items()})
    return out


def _reads_secrets_manager(expr: Any, local_values: dict[str, Any], seen: set[str]) -> bool:
    for reference in _hcl_references(expr):
        if any(source in reference for source in _SECRETS_MANAGER_SOURCES):
            return True
        name = reference.split(".")[1] if reference.startswith("local.") and "." in reference else ""
        if name and name not in seen and name in local_values:
            seen.add(name)
            if _reads_secrets_manager(local_values[name], local_values, seen):
                return True
    return False


def _from_secrets_manager(view: ResourceView, attribute: str, value: Any, scope: Scope | None) -> bool:
    """The password is read from Secrets Manager (where it can be rotated), not set by hand."""
    if isinstance(value, Ref) and any(s in value.target for s in _SECRETS_MANAGER_SOURCES):
        return True
    if isinstance(value, str) and _DYNAMIC_SECRETS_MANAGER in value:
        return True
    if isinstance(view, TerraformView):
        written = view.block.body.attributes.get(attribute)
        return written is not None and _reads_secrets_manager(written.value, _locals_of(scope), set())
    if _cfn(view):
        body = view.block.body
        properties = body.get("Properties") if isinstance(body, dict) else None
        raw = properties.get(attribute) if isinstance(properties, dict) else None
        return any(_DYNAMIC_SECRETS_MANAGER in text for text in _raw_strings(raw))
    return False


def database_master_password_unmanaged(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """An RDS instance or Aurora cluster whose master password is written into the code (or a
    variable) instead of being generated and rotated by RDS in Secrets Manager."""
    passwords, exempt = _RDS[view.type]
    managed_key = "ManageMasterUserPassword" if _cfn(view) else "manage_master_user_password"
    managed = _get(view, managed_key)
    if is_unknown(managed) or _flag(managed) is True:
        return
    for attribute in exempt:
        value = _get(view, attribute)
        if _unknown(view, value) or not _unset(view, value):
            return  # a read replica or a global-cluster member does not own its password
    if _get(view, "EngineMode" if _cfn(view) else "engine_mode") == "serverless":
        return  # Aurora Serverless v1 cannot use RDS-managed passwords
    for attribute in passwords:
        value = _get(view, attribute)
        if value is MISSING or value is None or value == "":
            continue  # not set (in a plan, also: computed at apply, so nothing to say)
        if _from_secrets_manager(view, attribute, value, ctx.scope):
            return
        stored = (
            "and whoever set it knows it"  # write-only: kept out of state, but still never rotated
            if attribute.endswith("_wo")
            else "and it sits in Terraform state or the template's inputs"
        )
        yield Violation(
            (attribute,),
            f"database master password set through {attribute} instead of {managed_key} = true: "
            f"nothing rotates it, {stored}",
        )
        return


# -- NHI305: Cloud KMS key without rotation ----------------------------------------------------


def gcp_kms_key_without_rotation(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A symmetric Cloud KMS key with no rotation period, or one longer than policy."""
    limit = int(ctx.param("max_days"))
    purpose = _get(view, "purpose")
    if _unknown(view, purpose) or not (_unset(view, purpose) or purpose == "ENCRYPT_DECRYPT"):
        return  # asymmetric and MAC keys cannot rotate automatically
    import_only = _get(view, "import_only")
    if is_unknown(import_only) or _flag(import_only) is True:
        return  # imported key material: Cloud KMS cannot generate new versions
    template = _get(view, "version_template")
    if is_unknown(template):
        return
    level = (_block(template) or {}).get("protection_level")
    if is_unknown(level) or (isinstance(level, str) and level.upper().startswith("EXTERNAL")):
        return  # Cloud EKM keys are rotated in the external key manager
    period = _get(view, "rotation_period")
    if _unknown(view, period):
        return
    if _unset(view, period):
        yield Violation(
            ("rotation_period",),
            f"Cloud KMS key without rotation_period: its key material never rotates (policy: at most {limit} days)",
        )
        return
    seconds = _google_seconds(period) if isinstance(period, str) else None
    if seconds is not None and seconds / 86400 > limit:
        yield Violation(
            ("rotation_period",),
            f"Cloud KMS key rotates every {_days_text(seconds / 86400)} days, less often than the {limit}-day maximum",
        )


# -- NHI306: Secret Manager secret without rotation or expiry ------------------------------------


def gcp_secret_without_rotation(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A Secret Manager secret with neither a rotation schedule nor an expiry (ttl/expire_time)."""
    limit = int(ctx.param("max_days"))
    rotation, ttl, expire = _get(view, "rotation"), _get(view, "ttl"), _get(view, "expire_time")
    if any(_unknown(view, v) for v in (rotation, ttl, expire)):
        return
    schedule = _block(rotation)
    if schedule is not None:
        period = schedule.get("rotation_period", MISSING)
        seconds = _google_seconds(period) if isinstance(period, str) else None
        if seconds is not None and seconds / 86400 > limit:
            yield Violation(
                ("rotation", 0, "rotation_period"),
                f"secret rotation is scheduled every {_days_text(seconds / 86400)} days, less often "
                f"than the {limit}-day maximum",
            )
        return
    if not _unset(view, ttl) or not _unset(view, expire):
        return
    yield Violation(
        ("rotation",),
        "Secret Manager secret with no rotation schedule and no ttl or expire_time: nothing ever "
        "prompts anyone to replace its value",
    )


# -- NHI307: Key Vault secret or key without expiry ---------------------------------------------

_KV_EXPIRE_AFTER = {
    "azurerm_key_vault_key": "expire_after",
    "azurerm_key_vault_managed_hardware_security_module_key": "expire_after_duration",
}


_GENERATED_SECRETS = frozenset({"random_password", "tls_private_key", "ephemeral"})


def _kv_value_is_configuration(view: ResourceView) -> bool:
    """A Key Vault secret that stores a name, FQDN, login or public key (a common way to share
    configuration), judged by the attribute its value reads or by the secret's own name."""
    if not isinstance(view, TerraformView):
        return False
    attributes = view.block.body.attributes
    value = attributes.get("value")
    if value is not None:
        expr = value.value
        if isinstance(expr, ast.Traversal):
            steps = [st for st in expr.steps if isinstance(st, str)]
            source = expr.source.name if isinstance(expr.source, ast.Variable) else ""
            last = steps[-1] if steps else source
            if source in _GENERATED_SECRETS and not last.startswith("public_key"):
                return False  # random_password.x.result, tls_private_key.x.private_key_pem
            if last and _SECRET_WORDS.search(_words(last).replace("public_key", "")):
                return False
            if last and _plain(last):
                return True
    name = attributes.get("name")
    if name is None:
        return False
    literals = [str(n.value) for n in _literals(name.value)]
    return bool(literals) and _plain(literals[-1].rstrip("-_ "))


def _literals(expr: Any, depth: int = 0) -> Iterator[ast.Literal]:
    """String literals inside an expression, in order (``format("%s-fqdn", x)`` -> ``%s-fqdn``)."""
    if depth > 8:
        return
    if isinstance(expr, ast.Literal) and isinstance(expr.value, str):
        yield expr
    elif isinstance(expr, ast.Template):
        for part in expr.parts:
            if isinstance(part, str):
                yield ast.Literal(part, expr.span)
    elif isinstance(expr, ast.Call):
        for argument in expr.args[:1] if expr.name == "format" else expr.args:
            yield from _literals(argument, depth + 1)


def keyvault_item_without_expiry(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A Key Vault secret or key with no expiration date, or one further away than policy."""
    limit = int(ctx.param("max_days"))
    kind = "secret" if view.type == "azurerm_key_vault_secret" else "key"
    expiration = _get(view, "expiration_date")
    if _unknown(view, expiration):
        return
    policy_key = _KV_EXPIRE_AFTER.get(view.type)
    if _unset(view, expiration) and policy_key is not None:
        policy = _get(view, "rotation_policy")
        if is_unknown(policy):
            return
        after = (_block(policy) or {}).get(policy_key, MISSING)
        if is_unknown(after):
            return
        if isinstance(after, str) and after:
            days = _iso_days(after)
            if days is not None and days > limit:
                yield Violation(
                    ("rotation_policy", 0, policy_key),
                    f"Key Vault key versions expire {_days_text(days)} days after creation, later "
                    f"than the {limit}-day maximum",
                )
            return
    if _unset(view, expiration):
        if kind == "secret" and _kv_value_is_configuration(view):
            return  # a name, FQDN, login or public key kept in Key Vault is not a credential
        yield Violation(
            ("expiration_date",),
            f"Key Vault {kind} without expiration_date: it stays valid until someone deletes it "
            f"(policy: at most {limit} days)",
        )
        return
    end = date_of(expiration) if isinstance(expiration, str) else None
    if end is None:
        return
    days = (end - ctx.today).days
    if days > limit:
        yield Violation(
            ("expiration_date",),
            f"Key Vault {kind} expires on {end.isoformat()}, {days} days from now: later than the {limit}-day maximum",
        )


# -- NHI308: Key Vault key without automatic rotation ---------------------------------------------

_KV_AUTOMATIC = {
    "azurerm_key_vault_key": ("time_after_creation", "time_before_expiry"),
    "azurerm_key_vault_managed_hardware_security_module_key": ("duration_after_creation", "duration_before_expiry"),
}


def keyvault_key_without_rotation(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """A Key Vault key with no rotation policy that rotates it automatically."""
    limit = int(ctx.param("max_days"))
    after_creation, before_expiry = _KV_AUTOMATIC[view.type]
    policy = _get(view, "rotation_policy")
    if _unknown(view, policy):
        return
    values = _block(policy)
    if values is None:
        yield Violation(
            ("rotation_policy",),
            "Key Vault key without a rotation_policy: its key material is never rotated automatically",
        )
        return
    automatic = values.get("automatic", MISSING)
    if is_unknown(automatic):
        return
    rule = _block(automatic)
    if rule is None:
        yield Violation(
            ("rotation_policy", 0),
            "Key Vault key rotation_policy without an automatic block: it only notifies, nothing rotates the key",
        )
        return
    if any(is_unknown(rule.get(k)) for k in (after_creation, before_expiry)):
        return
    text = rule.get(after_creation)
    days = _iso_days(text) if isinstance(text, str) and text else None
    if days is not None and days > limit:
        yield Violation(
            ("rotation_policy", 0, "automatic", 0, after_creation),
            f"Key Vault key rotates {_days_text(days)} days after creation, less often than the {limit}-day maximum",
        )


# -- NHI309 / NHI310: Vault ------------------------------------------------------------------------


def _seconds_of(view: ResourceView, names: tuple[str, ...]) -> tuple[float | None, str, bool]:
    """(seconds, attribute, known) of the first of ``names`` that is set; seconds None = not set."""
    for name in names:
        value = _get(view, name)
        if _unknown(view, value) and value is not MISSING:
            return None, name, False
        if value is MISSING or value is None or value == "":
            continue
        seconds = _vault_seconds(value)
        if seconds is None:
            return None, name, False
        if seconds > 0:
            return seconds, name, True
    return None, names[0], True


def _human(seconds: float) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            amount = _days_text(seconds / size)
            return f"{amount} {unit}" if amount == "1" else f"{amount} {unit}s"
    return f"{int(seconds)} seconds"


def vault_approle_secret_id_without_ttl(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """An AppRole whose SecretIDs never expire (``secret_id_ttl`` 0 or unset), or live too long."""
    limit = float(ctx.param("max_ttl_seconds"))
    bind = _get(view, "bind_secret_id")
    if is_unknown(bind) or _flag(bind) is False:
        return  # no SecretID is required to log in: nothing to expire
    seconds, _, known = _seconds_of(view, ("secret_id_ttl",))
    if not known:
        return
    if seconds is None:
        if _get(view, "secret_id_ttl") is MISSING and _is_plan(view):
            return
        yield Violation(
            ("secret_id_ttl",),
            "AppRole SecretIDs never expire (secret_id_ttl is 0 or not set): a SecretID that leaks "
            "keeps logging in until someone destroys it",
        )
    elif seconds > limit:
        yield Violation(
            ("secret_id_ttl",),
            f"AppRole SecretIDs live {_human(seconds)}, longer than the {_human(limit)} maximum",
        )


_ROLE_TTL = {
    "explicit": ("token_explicit_max_ttl", "explicit_max_ttl"),
    "period": ("token_period", "period"),
    "max": ("token_max_ttl", "max_ttl"),
}


def vault_token_without_ttl(view: ResourceView, ctx: CheckContext) -> Iterator[Violation]:
    """Vault tokens (issued by an auth role, or created by ``vault_token``) with no bounded
    lifetime, or one longer than policy."""
    limit = float(ctx.param("max_ttl_seconds"))
    if view.type == "vault_token":
        role = _get(view, "role_name")
        legacy_role = _get(view, "role")
        if any(_unknown(view, v) or not _unset(view, v) for v in (role, legacy_role) if v is not MISSING):
            return  # the token role decides the TTLs
        order: list[tuple[str, ...]] = [("explicit_max_ttl",), ("period",), ("ttl",)]
        missing_path: AttrPath = ("ttl",)
        missing = (
            "Vault token without ttl, period or explicit_max_ttl: it gets the default TTL of its mount "
            "(32 days unless tuned) and can be renewed"
        )
    else:
        if view.type == "vault_jwt_auth_backend_role" and _get(view, "role_type") != "jwt":
            return  # OIDC roles log people in; JWT roles are the machine (CI) logins
        order = [_ROLE_TTL["explicit"], _ROLE_TTL["period"], _ROLE_TTL["max"]]
        missing_path = ("token_max_ttl",)
        missing = (
            "auth role issues tokens without token_max_ttl or token_explicit_max_ttl: they can be "
            "renewed up to the mount's maximum TTL (32 days unless tuned)"
        )
    for names in order:
        seconds, name, known = _seconds_of(view, names)
        if not known:
            return
        if seconds is None:
            continue
        if seconds > limit:
            yield Violation(
                (name,),
                f"Vault tokens live up to {_human(seconds)} ({name}), longer than the {_human(limit)} maximum",
            )
        return
    if _is_plan(view) and any(_get(view, n) is MISSING for names in order for n in names[:1]):
        return  # computed at apply: the plan cannot say
    yield Violation(missing_path, missing)


__all__ = [
    "database_master_password_unmanaged",
    "gcp_kms_key_without_rotation",
    "gcp_secret_without_rotation",
    "keyvault_item_without_expiry",
    "keyvault_key_without_rotation",
    "kms_key_without_rotation",
    "role_session_too_long",
    "secretsmanager_secret_without_rotation",
    "vault_approle_secret_id_without_ttl",
    "vault_token_without_ttl",
]
