"""Secret detection for the ``hardcoded-secret`` family: is this literal a secret, and of what kind?

Pure functions, standard library only.  Nothing here ever returns, logs or raises with a secret
value: a :class:`SecretMatch` carries a kind, a fixed description, a confidence and a short
``sha256:`` fingerprint, so two occurrences of one secret can be matched without showing it.
Every ``kind`` and ``description`` comes from the fixed catalogue in this module
(:data:`SECRET_KINDS`, :data:`SECRET_DESCRIPTIONS`); none is built from the scanned text.

Three layers, cheapest first:

1. :func:`find_token_shapes` - credentials with a recognisable shape (``AKIA...``, ``ghp_...``,
   PEM private keys, Azure connection strings, JWTs, ...) anywhere inside a string.  Each rule
   has literal *anchors* (``"ghp_"``); one combined anchor regex rejects ordinary strings before
   any rule regex runs, which keeps the common path (short non-secret strings) cheap.
2. :func:`is_secret_name` + :func:`is_placeholder` + a strength test - a literal under a name that
   says it holds a secret (``password``, ``client_secret``, ``DB_PASSWORD``) that is neither a
   placeholder nor a reference, and looks like a password or a random key.
3. ``key=value`` assignments inside text (connection strings, user-data scripts, env files, JSON
   documents such as ECS container definitions), judged with the same name and strength rules.

:func:`literal_secret` combines them.  Thresholds and the reasons for them are documented next to
:func:`_strength`.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "SECRET_DESCRIPTIONS",
    "SECRET_KINDS",
    "SecretMatch",
    "find_token_shapes",
    "fingerprint",
    "is_placeholder",
    "is_secret_name",
    "literal_secret",
    "shannon_entropy",
]

Confidence = Literal["high", "medium"]


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """A secret found in a literal.  Never holds the value, a prefix of it, or any part of it."""

    kind: str
    description: str
    confidence: Confidence
    fingerprint: str
    model_api: bool


def fingerprint(value: str) -> str:
    """``"sha256:"`` + the first 12 hex digits of SHA-256(value): matches two occurrences of one
    secret without revealing it (48 bits; not reversible for any secret worth flagging)."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return "sha256:" + digest[:12]


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character (0.0 for the empty string)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum((c / n) * math.log2(c / n) for c in Counter(value).values())


# ------------------------------------------------------------------------------------------------
# Catalogue of kinds
# ------------------------------------------------------------------------------------------------

_KIND_TABLE: Final[dict[str, str]] = {
    "aws-access-key-id": "AWS access key ID",
    "aws-secret-access-key": "AWS secret access key",
    "aws-bedrock-api-key": "Amazon Bedrock API key",
    "github-token": "GitHub token",
    "gitlab-token": "GitLab token",
    "slack-token": "Slack token",
    "slack-webhook": "Slack incoming webhook URL",
    "openai-api-key": "OpenAI API key",
    "anthropic-api-key": "Anthropic API key",
    "google-api-key": "Google API key",
    "huggingface-token": "Hugging Face access token",
    "groq-api-key": "Groq API key",
    "replicate-api-token": "Replicate API token",
    "perplexity-api-key": "Perplexity API key",
    "xai-api-key": "xAI API key",
    "openrouter-api-key": "OpenRouter API key",
    "private-key": "Private key (PEM block)",
    "gcp-service-account-key": "Google Cloud service account key (JSON with private key)",
    "azure-storage-connection-string": "Azure storage account key in a connection string",
    "azure-shared-access-key": "Azure Service Bus / Event Hubs / IoT Hub shared access key",
    "azure-sas-token": "Azure shared access signature (SAS) token",
    "azure-ad-client-secret": "Microsoft Entra ID (Azure AD) client secret",
    "stripe-key": "Stripe secret or restricted key",
    "jwt": "JSON Web Token",
    "terraform-cloud-token": "HCP Terraform / Terraform Enterprise API token",
    "vault-token": "HashiCorp Vault token",
    "databricks-token": "Databricks personal access token",
    "digitalocean-token": "DigitalOcean token",
    "npm-token": "npm access token",
    "pypi-token": "PyPI upload token",
    "sendgrid-api-key": "SendGrid API key",
    "grafana-token": "Grafana service account or Cloud token",
    "pulumi-token": "Pulumi access token",
    "age-secret-key": "age secret key (used by SOPS)",
    "credentials-in-url": "Password embedded in a URL",
    "password": "Hard-coded password",
    "generic-secret": "Hard-coded secret value",
}

#: kind -> default human description.
SECRET_KINDS: Final[Mapping[str, str]] = MappingProxyType(dict(_KIND_TABLE))

_DESCRIPTIONS: set[str] = set(_KIND_TABLE.values())


def _desc(text: str) -> str:
    _DESCRIPTIONS.add(text)
    return text


# ------------------------------------------------------------------------------------------------
# Token-shape rules
# ------------------------------------------------------------------------------------------------

_Validator = Callable[[str, str], bool]  # (token, whole text) -> accept?


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    description: str
    anchors: tuple[str, ...]
    pattern: re.Pattern[str]
    group: str = "s"  # named group holding the secret
    confidence: Confidence = "high"
    model_api: bool = False
    min_entropy: float = 1.5  # on the secret: rejects fillers such as ``XXXX`` and ``0000``
    validate: _Validator | None = None
    priority: int = 10  # lower wins when two matches overlap


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    priority: int
    secret: str  # the text fingerprinted (kept private, never leaves this module)
    match: SecretMatch


def _alnum_boundary(body: str, extra: str = "") -> str:
    """Wrap ``body`` so it cannot start or end inside a longer alphanumeric run."""
    after = "A-Za-z0-9" + "".join(re.escape(c) for c in extra)
    before = "A-Za-z0-9" + "".join(re.escape(c) for c in extra if c != "=")  # ``key=<token>`` is fine
    return rf"(?<![{before}])(?P<s>{body})(?![{after}])"


def _rule(
    kind: str,
    description: str,
    anchors: tuple[str, ...],
    pattern: str,
    **kw: Any,
) -> _Rule:
    return _Rule(kind, _desc(description), anchors, re.compile(pattern), **kw)


def _jwt_header_ok(token: str, _text: str) -> bool:
    header = token.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        obj = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(obj, dict) and isinstance(obj.get("alg"), str)


_SAS_CONTEXT = re.compile(r"(?:^|[?&;\s\"'])(?:sv|se|skn|sr)=")


def _sas_context(_token: str, text: str) -> bool:
    return _SAS_CONTEXT.search(text) is not None


def _slack_token_ok(token: str, _text: str) -> bool:
    # Real Slack tokens carry long numeric team/user ids; prose such as "xoxb-token-here" does not.
    return re.search(r"\d{6,}", token) is not None or (len(token) >= 40 and any(c.isdigit() for c in token))


def _has_upper_lower_digit(token: str, _text: str) -> bool:
    return any(c.isupper() for c in token) and any(c.islower() for c in token) and any(c.isdigit() for c in token)


_GH = "[A-Za-z0-9]"
_B64 = "[A-Za-z0-9+/]"

_RULES: Final[tuple[_Rule, ...]] = (
    _rule(
        "private-key",
        "Private key (PEM block)",
        ("-----BEGIN",),
        r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----",
        priority=0,
    ),
    _rule(
        "aws-access-key-id",
        "AWS access key ID",
        ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
        _alnum_boundary(r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}"),
    ),
    _rule(
        "aws-bedrock-api-key",
        "Amazon Bedrock API key",
        ("ABSK",),
        _alnum_boundary(r"ABSK[A-Za-z0-9+/]{109,269}={0,2}", "+/="),
        model_api=True,
    ),
    _rule(
        "aws-bedrock-api-key",
        "Amazon Bedrock short-term API key",
        ("bedrock-api-key-",),
        _alnum_boundary(r"bedrock-api-key-[A-Za-z0-9+/]{40,2000}={0,2}", "+/=-"),
        model_api=True,
    ),
    _rule(
        "github-token",
        "GitHub personal access token (classic)",
        ("ghp_",),
        _alnum_boundary(rf"ghp_{_GH}{{36,251}}", "_"),
    ),
    _rule("github-token", "GitHub OAuth access token", ("gho_",), _alnum_boundary(rf"gho_{_GH}{{36,251}}", "_")),
    _rule("github-token", "GitHub user-to-server token", ("ghu_",), _alnum_boundary(rf"ghu_{_GH}{{36,251}}", "_")),
    _rule("github-token", "GitHub App installation token", ("ghs_",), _alnum_boundary(rf"ghs_{_GH}{{36,251}}", "_")),
    _rule("github-token", "GitHub refresh token", ("ghr_",), _alnum_boundary(rf"ghr_{_GH}{{36,251}}", "_")),
    _rule(
        "github-token",
        "GitHub fine-grained personal access token",
        ("github_pat_",),
        _alnum_boundary(r"github_pat_[A-Za-z0-9_]{82}", "_"),
    ),
    _rule(
        "gitlab-token",
        "GitLab personal access token",
        ("glpat-",),
        _alnum_boundary(r"glpat-[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{9,12})?", "_-"),
    ),
    _rule("gitlab-token", "GitLab pipeline trigger token", ("glptt-",), _alnum_boundary(r"glptt-[0-9a-f]{40}", "_-")),
    _rule(
        "gitlab-token",
        "GitLab runner authentication token",
        ("glrt-",),
        _alnum_boundary(r"glrt-[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{9,12})?", "_-"),
    ),
    _rule("gitlab-token", "GitLab deploy token", ("gldt-",), _alnum_boundary(r"gldt-[A-Za-z0-9_-]{20,300}", "_-")),
    _rule(
        "gitlab-token",
        "GitLab runner registration token",
        ("GR1348941",),
        _alnum_boundary(r"GR1348941[A-Za-z0-9_-]{20}", "_-"),
    ),
    _rule(
        "slack-webhook",
        "Slack incoming webhook URL",
        ("hooks.slack.com",),
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9+/_-]{43,120})",
        validate=lambda t, _x: shannon_entropy(t.rsplit("/", 1)[-1]) >= 3.0,  # not .../XXXXXXXX
        priority=5,
    ),
    _rule(
        "slack-token",
        "Slack token",
        ("xox",),
        _alnum_boundary(r"xox(?:[abeoprs]|e\.xox[bp])-[0-9A-Za-z-]{10,250}", "-"),
        validate=_slack_token_ok,
    ),
    _rule(
        "slack-token",
        "Slack app-level token",
        ("xapp-",),
        _alnum_boundary(r"xapp-\d-[A-Z0-9]{6,}-\d{6,}-[a-z0-9]{20,}", "-"),
    ),
    _rule(
        "anthropic-api-key",
        "Anthropic API key",
        ("sk-ant-",),
        _alnum_boundary(r"sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA", "_-"),
        model_api=True,
        priority=5,
    ),
    _rule(
        "openrouter-api-key",
        "OpenRouter API key",
        ("sk-or-v1-",),
        _alnum_boundary(r"sk-or-v1-[0-9a-f]{64}", "_-"),
        model_api=True,
        priority=5,
    ),
    _rule(
        "openai-api-key",
        "OpenAI project, service-account or admin API key",
        ("sk-proj-", "sk-svcacct-", "sk-admin-"),
        _alnum_boundary(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250}", "_-"),
        model_api=True,
        validate=_has_upper_lower_digit,
    ),
    _rule(
        "openai-api-key",
        "OpenAI API key",
        ("T3BlbkFJ",),
        _alnum_boundary(r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}", "_-"),
        model_api=True,
    ),
    _rule("google-api-key", "Google API key", ("AIza",), _alnum_boundary(r"AIza[0-9A-Za-z_-]{35}", "_-")),
    _rule(
        "huggingface-token",
        "Hugging Face access token",
        ("hf_",),
        _alnum_boundary(r"hf_[A-Za-z]{34}", "_"),
        model_api=True,
    ),
    _rule(
        "huggingface-token",
        "Hugging Face organization API token",
        ("api_org_",),
        _alnum_boundary(r"api_org_[A-Za-z]{34}", "_"),
        model_api=True,
    ),
    _rule("groq-api-key", "Groq API key", ("gsk_",), _alnum_boundary(r"gsk_[A-Za-z0-9]{52}", "_"), model_api=True),
    _rule(
        "replicate-api-token",
        "Replicate API token",
        ("r8_",),
        _alnum_boundary(r"r8_[A-Za-z0-9]{37}", "_"),
        model_api=True,
    ),
    _rule(
        "perplexity-api-key",
        "Perplexity API key",
        ("pplx-",),
        _alnum_boundary(r"pplx-[A-Za-z0-9]{48}", "_-"),
        model_api=True,
    ),
    _rule("xai-api-key", "xAI API key", ("xai-",), _alnum_boundary(r"xai-[A-Za-z0-9]{80}", "_-"), model_api=True),
    _rule(
        "azure-storage-connection-string",
        "Azure storage account key in a connection string",
        ("AccountKey=",),
        rf"AccountKey=(?P<s>{_B64}{{40,120}}={{0,2}})",
        min_entropy=3.5,
    ),
    _rule(
        "azure-shared-access-key",
        "Azure Service Bus / Event Hubs / IoT Hub shared access key",
        ("SharedAccessKey=",),
        rf"SharedAccessKey=(?P<s>{_B64}{{40,60}}={{0,2}})",
        min_entropy=3.5,
    ),
    _rule(
        "azure-sas-token",
        "Azure shared access signature (SAS) token",
        ("sig=",),
        r"(?:^|[?&;\s\"'])sig=(?P<s>[A-Za-z0-9%+/=_-]{20,200})",
        min_entropy=3.0,
        validate=_sas_context,
    ),
    _rule(
        "azure-ad-client-secret",
        "Microsoft Entra ID (Azure AD) client secret",
        ("Q~",),
        r"(?<![A-Za-z0-9_~.-])(?P<s>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])",
        min_entropy=3.0,
    ),
    _rule(
        "stripe-key",
        "Stripe live secret or restricted key",
        ("sk_live_", "rk_live_", "sk_prod_", "rk_prod_"),
        _alnum_boundary(r"[sr]k_(?:live|prod)_[A-Za-z0-9]{20,247}", "_"),
    ),
    _rule(
        "stripe-key",
        "Stripe test-mode secret or restricted key",
        ("sk_test_", "rk_test_"),
        _alnum_boundary(r"[sr]k_test_[A-Za-z0-9]{20,247}", "_"),
        confidence="medium",
    ),
    _rule(
        "terraform-cloud-token",
        "HCP Terraform / Terraform Enterprise API token",
        (".atlasv1.",),
        _alnum_boundary(r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}", "_=-"),
    ),
    _rule(
        "vault-token", "HashiCorp Vault service token", ("hvs.",), _alnum_boundary(r"hvs\.[A-Za-z0-9_-]{24,300}", "_-.")
    ),
    _rule(
        "vault-token", "HashiCorp Vault batch token", ("hvb.",), _alnum_boundary(r"hvb\.[A-Za-z0-9_-]{24,300}", "_-.")
    ),
    _rule(
        "databricks-token",
        "Databricks personal access token",
        ("dapi",),
        _alnum_boundary(r"dapi[0-9a-f]{32}(?:-\d)?", "_-"),
        validate=lambda t, _x: any(c.isalpha() for c in t[4:36]) and any(c.isdigit() for c in t[4:36]),
    ),
    _rule(
        "digitalocean-token",
        "DigitalOcean token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        _alnum_boundary(r"do[opr]_v1_[0-9a-f]{64}", "_"),
    ),
    _rule("npm-token", "npm access token", ("npm_",), _alnum_boundary(r"npm_[A-Za-z0-9]{36}", "_")),
    _rule(
        "pypi-token",
        "PyPI upload token",
        ("pypi-AgEI",),
        _alnum_boundary(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}", "_-"),
    ),
    _rule(
        "sendgrid-api-key",
        "SendGrid API key",
        ("SG.",),
        _alnum_boundary(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", "_-."),
    ),
    _rule(
        "grafana-token",
        "Grafana service account token",
        ("glsa_",),
        _alnum_boundary(r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", "_"),
    ),
    _rule(
        "grafana-token", "Grafana Cloud token", ("glc_",), _alnum_boundary(r"glc_[A-Za-z0-9+/]{32,400}={0,3}", "_+/=")
    ),
    _rule("pulumi-token", "Pulumi access token", ("pul-",), _alnum_boundary(r"pul-[0-9a-f]{40}", "_-")),
    _rule(
        "age-secret-key",
        "age secret key (used by SOPS)",
        ("AGE-SECRET-KEY-1",),
        _alnum_boundary(r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", "-"),
    ),
    _rule(
        "jwt",
        "JSON Web Token",
        ("eyJ",),
        _alnum_boundary(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}", "_-."),
        confidence="medium",
        validate=_jwt_header_ok,
        priority=20,
    ),
    _rule(
        "credentials-in-url",
        "Password embedded in a URL",
        ("://",),
        r"://(?P<user>[^\s:/?#@\"'<>\\]{0,128}):(?P<s>[^\s/?#@\"'<>\\]{1,256})@(?=[A-Za-z0-9\[])",
        confidence="medium",
        min_entropy=0.0,
        validate=lambda t, _x: not _is_ref_fragment(t) and not is_placeholder(t),
        priority=30,
    ),
)

_RULE_DESCRIPTIONS: Final[frozenset[str]] = frozenset(r.description for r in _RULES)

_ANCHOR_RE: Final[re.Pattern[str]] = re.compile(
    "|".join(re.escape(a) for a in sorted({a for r in _RULES for a in r.anchors}, key=len, reverse=True))
)

# Shortest text any rule can match (a URL holding a 6-character password); shorter strings skip everything.
_MIN_SCAN_LEN: Final[int] = 14

# Documentation example credentials (AWS docs, Azurite and Cosmos DB emulator well-known keys),
# stored as fingerprints so this file does not itself contain them.
_KNOWN_EXAMPLES: Final[frozenset[str]] = frozenset(
    {
        "sha256:1a5d44a2dca1",  # AWS docs access key ID
        "sha256:78314b11be2e",  # AWS docs secret access key
        "sha256:c6ea27c534f9",  # AWS docs access key ID (second example)
        "sha256:e21b597ba6b9",  # AWS docs secret access key (second example)
        "sha256:0011cc25eb43",  # Azurite storage emulator account key
        "sha256:aa6547439583",  # Cosmos DB emulator key
    }
)

_GEMINI_CONTEXT: Final[re.Pattern[str]] = re.compile(r"(?i)generativelanguage|gemini|genai")

# AWS secret access key: 40 base64 characters, only near a key ID or an obvious name.
_AWS_SECRET_RE: Final[re.Pattern[str]] = re.compile(
    r"(?<![A-Za-z0-9/+._-])(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=._-])"
)
_AWS_SECRET_NAME_RE: Final[re.Pattern[str]] = re.compile(
    r"(?i)(?:secret[ _.-]?(?:access[ _.-]?)?key|aws[ _.-]?secret[a-z_ .-]*)[\"']?\s*(?:[:=]>?|\s)\s*[\"']?$"
)
_AWS_SECRET_DESC: Final[str] = _desc("AWS secret access key")

# PEM body characters (base64, header fields, whitespace and escaped newlines from JSON/HCL).
# The body never crosses a "-----" marker, so each header costs at most one body (linear overall).
_PEM_BODY_RE: Final[re.Pattern[str]] = re.compile(r"(?:[A-Za-z0-9+/=:,\s]|-(?!----)|\\[nrt])*")
_PEM_MAX_BODY: Final[int] = 65536
_PEM_END_RE: Final[re.Pattern[str]] = re.compile(r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_HEADER_LINE_RE: Final[re.Pattern[str]] = re.compile(r"(?:Proc-Type|DEK-Info|Comment|Version)\s*:[^\\\n]*")
_PEM_STRIP_RE: Final[re.Pattern[str]] = re.compile(r"\\[nrt]|[^A-Za-z0-9+/=]")
_GCP_SA_DESC: Final[str] = _desc("Google Cloud service account key (JSON with private key)")
_ENCRYPTED_PEM_DESC: Final[str] = _desc("Encrypted private key (PEM block)")
_PGP_PEM_DESC: Final[str] = _desc("PGP private key block")
_OPENSSH_PEM_DESC: Final[str] = _desc("OpenSSH private key")


def _low_entropy(secret: str, threshold: float) -> bool:
    return threshold > 0 and shannon_entropy(secret) < threshold


def _pem_hits(text: str, rule: _Rule) -> list[_Hit]:
    hits: list[_Hit] = []
    for m in rule.pattern.finditer(text):
        header = m.group(0)
        body_m = _PEM_BODY_RE.match(text, m.end(), min(len(text), m.end() + _PEM_MAX_BODY))
        body_end = body_m.end() if body_m else m.end()
        end_m = _PEM_END_RE.match(text, body_end)
        stop = end_m.start() if end_m else body_end
        body = _PEM_HEADER_LINE_RE.sub("", text[m.end() : stop])
        core = _PEM_STRIP_RE.sub("", body)
        if len(core) < 64 or shannon_entropy(core) < 3.0:
            continue  # a header with "..." or "<key here>" is documentation, not a key
        kind, description, confidence = rule.kind, rule.description, rule.confidence
        if "ENCRYPTED" in header or "Proc-Type: 4,ENCRYPTED" in text[m.end() : stop]:
            description, confidence = _ENCRYPTED_PEM_DESC, "medium"
        elif "PGP" in header:
            description = _PGP_PEM_DESC
        elif "OPENSSH" in header:
            description = _OPENSSH_PEM_DESC
        if "private_key_id" in text and "service_account" in text:
            kind, description, confidence = "gcp-service-account-key", _GCP_SA_DESC, "high"
        fp = fingerprint(core)
        hits.append(
            _Hit(
                m.start(),
                end_m.end() if end_m else stop,
                rule.priority,
                core,
                SecretMatch(kind, description, confidence, fp, False),
            )
        )
    return hits


def _aws_secret_hits(text: str, name_hint: str | None, have_key_id: bool) -> list[_Hit]:
    hits: list[_Hit] = []
    named = name_hint is not None and _aws_secret_name(name_hint)
    for m in _AWS_SECRET_RE.finditer(text):
        secret = m.group("s")
        if not (have_key_id or named or _AWS_SECRET_NAME_RE.search(text, max(0, m.start() - 48), m.start())):
            continue
        if not _has_upper_lower_digit(secret, text) or shannon_entropy(secret) < 4.0:
            continue  # SHA-1 hex, paths and words are not AWS secret keys
        fp = fingerprint(secret)
        if fp in _KNOWN_EXAMPLES:
            continue
        match = SecretMatch("aws-secret-access-key", _AWS_SECRET_DESC, "high", fp, False)
        hits.append(_Hit(m.start("s"), m.end("s"), 25, secret, match))  # any specific token wins
    return hits


def _scan(text: str, name_hint: str | None = None) -> list[_Hit]:
    if len(text) < _MIN_SCAN_LEN:
        return []
    anchor = _ANCHOR_RE.search(text)
    named_aws = name_hint is not None and len(text) == 40 and _aws_secret_name(name_hint)
    maybe_aws_secret = len(text) >= 40 and ("ecret" in text or "ECRET" in text)
    if anchor is None and not named_aws and not maybe_aws_secret:
        return []
    hits: list[_Hit] = []
    have_key_id = False
    if anchor is not None:
        for rule in _RULES:
            if not any(a in text for a in rule.anchors):
                continue
            if rule.kind == "private-key":
                hits.extend(_pem_hits(text, rule))
                continue
            for m in rule.pattern.finditer(text):
                secret = m.group(rule.group)
                if _low_entropy(secret, rule.min_entropy):
                    continue
                if rule.validate is not None and not rule.validate(secret, text):
                    continue
                fp = fingerprint(secret)
                if fp in _KNOWN_EXAMPLES:
                    continue
                model_api = rule.model_api
                if rule.kind == "google-api-key":
                    model_api = _GEMINI_CONTEXT.search(text) is not None
                elif rule.kind == "aws-access-key-id":
                    have_key_id = True
                match = SecretMatch(rule.kind, rule.description, rule.confidence, fp, model_api)
                hits.append(_Hit(m.start(rule.group), m.end(rule.group), rule.priority, secret, match))
    if have_key_id or named_aws or maybe_aws_secret:
        hits.extend(_aws_secret_hits(text, name_hint, have_key_id))
    return _resolve(hits)


def _resolve(hits: list[_Hit]) -> list[_Hit]:
    """Drop overlapping lower-priority hits and repeats of one secret; order by position."""
    if len(hits) <= 1:
        return hits
    starts: list[int] = []  # accepted, non-overlapping intervals kept sorted by start
    accepted: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.priority, h.start, -h.end)):
        i = bisect.bisect_right(starts, hit.start)
        if i > 0 and accepted[i - 1].end > hit.start:
            continue  # overlaps the accepted interval starting at or before it
        if i < len(accepted) and accepted[i].start < hit.end:
            continue  # overlaps the next accepted interval
        starts.insert(i, hit.start)
        accepted.insert(i, hit)
    seen: set[str] = set()
    out: list[_Hit] = []
    for hit in accepted:
        if hit.match.fingerprint in seen:
            continue
        seen.add(hit.match.fingerprint)
        out.append(hit)
    return out


def find_token_shapes(text: str) -> list[SecretMatch]:
    """Credentials with a recognisable shape anywhere in ``text``: one match per distinct token,
    in order of appearance.  Never raises on arbitrary text."""
    return [h.match for h in _scan(text)]


# ------------------------------------------------------------------------------------------------
# Names
# ------------------------------------------------------------------------------------------------


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _wordtuple(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_CAMEL_ACRONYM: Final[re.Pattern[str]] = re.compile(r"([A-Z])([A-Z][a-z])")
_CAMEL: Final[re.Pattern[str]] = re.compile(r"([a-z0-9])([A-Z])")
_NON_ALNUM: Final[re.Pattern[str]] = re.compile(r"[^A-Za-z0-9]+")

# One word that, as the head of a name, says "this holds a secret".
_PASSWORD_HEADS: Final[frozenset[str]] = frozenset(
    {"password", "passwords", "passwd", "pwd", "pass", "passphrase", "passcode"}
)
_SECRET_HEADS: Final[frozenset[str]] = _PASSWORD_HEADS | _wordset(
    """
    secret secrets token tokens apikey apikeys credential credentials creds sas bearer connectionstring
    connstr privatekey secretkey accesskey authtoken webhookurl clientsecret
    """
)
# Lower-case concatenations ("dbpassword", "openaiapikey") end with one of these.
_CONCAT_TERMS: Final[tuple[str, ...]] = _wordtuple(
    """
    password passwd passphrase secret token apikey secretkey privatekey accesskey connectionstring
    credentials
    """
)
# "<qualifier> key" pairs that name a secret key (``api_key``, ``private_key``, ``account_key``).
_KEY_QUALIFIERS: Final[frozenset[str]] = _wordset(
    """
    api access secret private signing sign encryption encrypt master account shared hmac client app
    application auth authentication subscription raw session storage admin service sas jwt webhook
    """
)
# Words after the head that keep the meaning "the secret itself" (``secret_string``, ``password_wo``).
_NOISE_SUFFIXES: Final[frozenset[str]] = _wordset(
    """
    value values string str data text plain plaintext raw b64 base64 pem openssh pkcs8 der json wo
    content contents blob binary literal prod production dev development stage staging test qa uat
    preprod sandbox local primary secondary new old current previous
    """
)
# Words before the head that turn the name into a setting about secrets (``enable_token``,
# ``manage_master_user_password``, ``min_password_length``, ``generate_secret``).
_NEGATING_PREFIXES: Final[frozenset[str]] = _wordset(
    """
    enable enabled disable disabled manage managed min minimum max maximum require required requires use
    is has allow allowed create generate generated rotate rotation skip include no num number show
    reveal ignore auto force reset validate should can must expire expiry expires expiration length
    count last lifetime hide mask store send retrieve fetch get read
    """
)
# ``<qualifier> token`` that is an identifier, not a credential (AWS idempotency tokens, paging).
_NONSECRET_TOKEN_QUALIFIERS: Final[frozenset[str]] = _wordset(
    """
    next page pagination continuation creation client idempotency request resume sync cancellation
    change lock marker cursor csrf service http result
    """
)
_NONSECRET_SECRET_QUALIFIERS: Final[frozenset[str]] = frozenset({"pull"})  # image_pull_secret(s) names a k8s secret

_MODEL_WORDS: Final[frozenset[str]] = _wordset(
    """
    openai anthropic claude gemini huggingface hf cohere mistral groq replicate perplexity pplx xai grok
    deepseek together fireworks voyage ai21 openrouter bedrock llm gpt aoai genai
    """
)
_MODEL_SUBSTRINGS: Final[tuple[str, ...]] = _wordtuple(
    """
    openai anthropic huggingface gemini mistral cohere perplexity openrouter deepseek
    """
)


_MAX_NAME: Final[int] = 256


def _words(name: str) -> tuple[str, ...]:
    spaced = _CAMEL.sub(r"\1_\2", _CAMEL_ACRONYM.sub(r"\1_\2", name))
    return tuple(w for w in _NON_ALNUM.split(spaced.lower()) if w)


def _strip_digits(word: str) -> str:
    stripped = word.rstrip("0123456789")
    return stripped or word


def _head(words: tuple[str, ...]) -> tuple[int, int] | None:
    """(start, end) word indexes of the last secret head in ``words``, else None."""
    for i in range(len(words) - 1, -1, -1):
        w = _strip_digits(words[i])
        prev = words[i - 1] if i > 0 else ""
        if w == "key" and prev in _KEY_QUALIFIERS:
            return i - 1, i
        if w in ("string", "str") and prev in ("connection", "conn"):
            return i - 1, i
        if w in ("url", "uri") and prev in ("webhook", "hook"):
            return i - 1, i
        if w in _SECRET_HEADS:
            return i, i
        if any(w.endswith(t) and len(w) > len(t) for t in _CONCAT_TERMS):
            return i, i
    return None


@lru_cache(maxsize=8192)
def _secret_name_kind(name: str) -> str | None:
    """``"password"``, ``"secret"`` or None for an attribute/variable/key name."""
    if len(name) > _MAX_NAME:
        return None  # not a name
    words = _words(name)
    found = _head(words)
    if found is None:
        return None
    start, end = found
    if not all(w in _NOISE_SUFFIXES or w.isdigit() for w in words[end + 1 :]):
        return None  # token_ttl, secret_arn, password_policy, private_key_algorithm, ...
    if any(w in _NEGATING_PREFIXES for w in words[:start]):
        return None  # enable_token, manage_master_user_password, min_password_length, ...
    head = _strip_digits(words[end])
    prev = words[start - 1] if start > 0 else ""
    if head in ("token", "tokens") and prev in _NONSECRET_TOKEN_QUALIFIERS:
        return None
    if head in ("secret", "secrets") and prev in _NONSECRET_SECRET_QUALIFIERS:
        return None
    if head in _PASSWORD_HEADS or any(head.endswith(t) for t in ("password", "passwd", "passphrase")):
        return "password"
    return "secret"


def is_secret_name(name: str) -> bool:
    """Does an attribute/variable/key ``name`` say it holds a secret value?

    Names are split on camelCase, PascalCase, ``-``, ``_``, ``.`` and spaces.  The *last* secret
    word (password, secret, token, api key, private key, client secret, connection string, ...)
    must be the head of the name, followed only by words that keep its meaning (``_string``,
    ``_value``, ``_wo``, ``_pem``, an environment name); anything else after it makes the name
    *about* the secret (``secret_arn``, ``token_ttl``, ``password_policy``).  Setting words before it
    (``enable_``, ``min_``, ``manage_``, ``generate_``) also make it a setting, not a value.
    """
    return _secret_name_kind(name) is not None


def _aws_secret_name(name: str) -> bool:
    words = _words(name)
    return ("secret" in words and "key" in words) or words[-2:] == ("secret", "accesskey") or "secretaccesskey" in words


def _model_name(name: str) -> bool:
    words = _words(name)
    if any(w in _MODEL_WORDS for w in words):
        return True
    flat = "".join(words)
    return any(s in flat for s in _MODEL_SUBSTRINGS)


# ------------------------------------------------------------------------------------------------
# Placeholders and references
# ------------------------------------------------------------------------------------------------

_PLACEHOLDER_WORDS: Final[frozenset[str]] = _wordset(
    """
    changeme changeit changethis replaceme password passwd secret secrets token apikey secretkey
    accesskey privatekey example examples dummy test testing none null nil na undefined empty default
    todo tbd fixme placeholder sample redacted removed hidden masked notset unset notsecret notasecret
    fake foobar foobarbaz mypassword mysecret mytoken myapikey yourpassword yoursecret yourtoken
    yourapikey yourkey secretpassword supersecret sensitive generated autogenerated random
    """
)
_PLACEHOLDER_SUBSTRINGS: Final[tuple[str, ...]] = (
    "changeme",
    "change_me",
    "change-me",
    "change me",
    "replace",
    "placeholder",
    "example",
    "dummy",
    "redacted",
    "notreal",
    "not_real",
    "not-real",
    "not a real",
    "fillme",
    "fill_me",
    "fill-me",
    "fill in",
    "insert",
    "your_",
    "your-",
    "your ",
)
_PLACEHOLDER_RES: Final[tuple[re.Pattern[str], ...]] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^<[^<>]*>$",  # <password>
        r"<[A-Za-z_][\w .-]{0,40}>",  # projects/<project_id>/..., dev-<ORG_ID>
        r"^\[[^\[\]]*\]$",  # [REDACTED]
        r"^\(\s*[^()]*\)$",  # (sensitive value)
        r"^\$[A-Za-z_][\w.-]*(?::[\w./-]*)?$",  # $DB_PASSWORD, $slack-token (Argo CD), $networks:my-net
        r"^\$\(.*\)$",  # $(command)
        r"^%[A-Za-z_][A-Za-z0-9_]*%$",  # %WINDOWS_VAR%
        r"^#\{.*\}#?$",  # #{Octopus/AzDO token}
        r"^__[A-Za-z0-9_]+__$",  # __REPLACE_TOKEN__
        r"^@[A-Za-z0-9_]+@$",  # @AUTOCONF@
        r"^(?:todo|tbd|fixme|xxx)\b",
        r"^(?:your|my|the|enter|insert|put|add|set|provide|fill)[-_ ]?.*[-_ ]?here$",
        r"^(?:enter|insert|put|add|set|provide|fill)[-_ ](?:your|the|a|in)\b",
        r"^[x*#.?•_-]+$",  # xxxxxxxx, ********, ####
    )
)
# References to a secret stored elsewhere (and ciphertexts): never the secret itself.
_REFERENCE_RES: Final[tuple[re.Pattern[str], ...]] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^arn:[^:\s]*:",  # any ARN (also arn:${partition}:...): secretsmanager, ssm parameter, kms key, ...
        r"^(?:projects|organizations)/[^/\s]+/secrets/",  # GCP Secret Manager
        r"^(?:https://)?[a-z0-9-]+\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net)/(?:secrets|keys|certificates)/",
        r"^(?:vault|ssm|secretsmanager|sm|gcpsm|azkv|akv|keyvault|awssm|awsssm|op|doppler|infisical|bws)://",
        r"^vault:(?!v\d+:)[\w/.-]+(?:#\w+)?$",  # vault:secret/data/app#password
        r"^vault:v\d+:",  # Vault transit ciphertext
        r"^ref\+[a-z0-9]+://",  # vals-style references
        r"^ENC\[[A-Z0-9_]+,data:",  # SOPS ciphertext
        r"^\$ANSIBLE_VAULT;",
        r"^AQ[IE]CAH[A-Za-z0-9+/]{40,}={0,2}$",  # AWS KMS ciphertext blob
        r"^(?:var|local|module|data|each|count|path|terraform|self)\.[\w.\[\]\"*-]+$",  # HCL expression text
        r"^!(?:Ref|GetAtt|Sub|ImportValue|Join|Select|FindInMap|If|Base64|GetAZs)\b",
        r"^Fn::",
        r"^/subscriptions/[0-9a-fx-]{36}/",  # Azure resource ID
        r"^(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-[a-z0-9]+|sk-ssh-ed25519@openssh\.com) AAAA",  # public key
        r"^(?:secretsmanager|ssm|ssm-secure):",
    )
)
_PATH_RE: Final[re.Pattern[str]] = re.compile(r"^(?:~|\.{1,2})?/(?:[\w.@+-]+/)*[\w.@+-]*$|^[A-Za-z]:\\")
_FILE_NAME_RE: Final[re.Pattern[str]] = re.compile(
    r"^[\w./-]*\.(?:json|pem|key|crt|cer|csr|p12|pfx|jks|keystore|ppk|pub|asc|gpg|txt|ya?ml|env|cfg|conf|ini|tfvars)$",
    re.IGNORECASE,
)
_URL_RE: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{1,20}://\S+$")
_URL_SECRET_PARAMS: Final[frozenset[str]] = frozenset(
    {
        "sig",
        "signature",
        "x-amz-signature",
        "key",
        "token",
        "code",
        "secret",
        "password",
        "pwd",
        "auth",
        "apikey",
        "api_key",
    }
)


def _strip_interpolations(value: str) -> str:
    """``value`` with every ``${...}`` / ``%{...}`` (nested braces allowed) removed."""
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        if value[i] in "$%" and i + 1 < n and value[i + 1] == "{":
            depth, j = 1, i + 2
            while j < n and depth:
                if value[j] == "{":
                    depth += 1
                elif value[j] == "}":
                    depth -= 1
                j += 1
            i = j
            out.append(" ")
            continue
        out.append(value[i])
        i += 1
    return "".join(out)


def _is_ref_fragment(value: str) -> bool:
    """Starts like a variable, template or intrinsic rather than a literal."""
    return value[:1] in "$%{<!@" or "${" in value or "{{" in value or "%24%7B" in value.upper()


def _looks_like_path(value: str) -> bool:
    if _FILE_NAME_RE.match(value):
        return True
    if not _PATH_RE.match(value):
        return False
    if value[1:2] == ":":  # C:\...
        return True
    segments = [s for s in value.split("/") if s and s not in (".", "..", "~")]
    if not segments:
        return True
    if "." in segments[-1][1:]:
        return True  # /etc/ssl/key.pem
    # /var/run/secrets vs. a base64 blob that happens to start with "/": paths are lower-case words
    return all(s == s.lower() for s in segments) or (len(segments) >= 3 and all(len(s) <= 24 for s in segments))


def _url_has_credentials(value: str) -> bool:
    try:
        parts = urlsplit(value)
        password = parts.password
        query = parse_qsl(parts.query, keep_blank_values=False)
    except ValueError:
        return False
    if password and not _is_ref_fragment(password) and not is_placeholder(password):
        return True
    for key, val in query:
        secret_param = key.lower() in _URL_SECRET_PARAMS or is_secret_name(key)
        if secret_param and len(val) >= 8 and not _is_ref_fragment(val) and not is_placeholder(val):
            return True
    for segment in parts.path.split("/"):
        if len(segment) >= 24 and shannon_entropy(segment) >= 3.7 and any(c.isdigit() for c in segment):
            return True  # webhook URLs carry their secret in the path
    return False


def is_placeholder(value: str) -> bool:
    """Is ``value`` something other than a real secret?

    True for empty or short (< 6 characters) values; obvious placeholders (``changeme``,
    ``<password>``, ``xxxx``, ``***``, ``{{...}}``, ``REPLACE_ME``, ``your-token-here``, ``TODO``,
    ``example``, ``dummy``, ``test``, ``none``, ``null``, ``n/a``...); references and interpolations
    (``${...}``, ``{{resolve:...}}``, ARNs, GCP ``projects/.../secrets/...``, Key Vault secret URLs,
    ``vault:`` paths, ``$VAR``); ciphertexts (SOPS, Ansible Vault, Vault transit, KMS blobs); file
    paths; URLs without credentials.  A real password such as ``P@ssw0rd-2024!`` is not.
    """
    s = value.strip().strip("\"'`")
    if len(s) < 6:
        return True
    if "${" in s or "%{" in s:
        # a literal around an interpolation is a secret only if the literal part is one on its own
        rest = _strip_interpolations(s).strip(" \t\"'`:;,=/-_.")
        if len(rest) < 6 or is_placeholder(rest) or _strength(rest) is None:
            return True
    lower = s.lower()
    norm = _NON_ALNUM.sub("", lower)
    if norm in _PLACEHOLDER_WORDS or len(set(norm)) <= 2:
        return True
    if any(p in lower for p in _PLACEHOLDER_SUBSTRINGS):
        return True
    opening = s.find("{{")
    if opening >= 0 and "}}" in s[opening + 2 :]:
        return True  # {{ templating }}, {{resolve:...}}
    if any(p.search(s) for p in _PLACEHOLDER_RES):
        return True
    if any(p.search(s) for p in _REFERENCE_RES):
        return True
    if _URL_RE.match(s):
        return not _url_has_credentials(s)
    return _looks_like_path(s)


# ------------------------------------------------------------------------------------------------
# Strength of a literal under a secret name
# ------------------------------------------------------------------------------------------------

_UUID_RE: Final[re.Pattern[str]] = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_UPPER_IDENT_RE: Final[re.Pattern[str]] = re.compile(r"^[A-Z][A-Z0-9]*(?:[-_.][A-Z0-9]+)*$")
_SEGMENT_SPLIT_RE: Final[re.Pattern[str]] = re.compile(r"[^A-Za-z0-9]+")
# Symbols passwords use but names, paths, URLs, format strings and wildcards do not.
_PASSWORD_SYMBOL_RE: Final[re.Pattern[str]] = re.compile(r"[!#$^&+~|\\<>'\"`]|%(?![sdvfq%])")
_RUNS_RE: Final[re.Pattern[str]] = re.compile(r"[A-Za-z]+|[0-9]+")
_CONSONANT_RUN_RE: Final[re.Pattern[str]] = re.compile(r"[bcdfghjklmnpqrstvwxz]{6,}")
# Vowel-less abbreviations common in IaC names, ignored by the consonant tests.
_ABBREVIATIONS_RE: Final[re.Pattern[str]] = re.compile(r"https?|sql|vmss|svpc|sftp|smtp|mgmt|ctrl|bckp|pvt|tcp|dns|ssh")
_VOWEL_RE: Final[re.Pattern[str]] = re.compile(r"[aeiouy]")
_STRUCTURED_RE: Final[tuple[re.Pattern[str], ...]] = (
    re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$"),  # e-mail
    re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?::\d+)?$"),  # IPv4 / CIDR
    re.compile(r"^[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:/\d{1,3})?$"),  # IPv6 / CIDR
    re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?$", re.IGNORECASE),  # host name
    re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?$"),  # date / timestamp
    re.compile(r"^v?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?$"),  # version
    re.compile(r"^[\d\s,._:/+-]+$"),  # numbers, phone numbers, ports
)
_PROSE_WORD_RE: Final[re.Pattern[str]] = re.compile(r"^\(?[A-Za-z][A-Za-z]*[.,:;!?)]?$")


def _looks_like_words(value: str) -> bool:
    """Made of words: ``prod-db-credentials``, ``MyDatabaseSecret``, ``gcr.io/team/app:v1.0``.

    Split on anything but letters and digits, then on camel-case humps.  Words have:

    * no password symbols (``! # $ ^ & + ~ |``...);
    * at most three letter runs and two digit runs per segment (``elbv2``, ``v1beta1``,
      ``Standard_D2s_v3``), and not both several letter and digit runs in a long segment;
    * at most a third of the humps short - one or two letters in a camel-case run, or a capitalised
      two-letter run (``aBcDeF``, ``x9Fq2-LmT7w``); abbreviations such as ``rg``, ``DB`` do not count;
    * a vowel in every hump of five letters or more and no six consonants in a row (common
      abbreviations such as ``https``, ``mssql`` aside).

    Random tokens break one of these almost always once they are 16 characters or longer (see the
    calibration notes on :func:`_strength`).
    """
    if _PASSWORD_SYMBOL_RE.search(value):
        return False  # names are joined with - _ . / : @ and spaces; passwords use ! # $ ^ & + ~ ...
    humps_total = short = 0
    for segment in _SEGMENT_SPLIT_RE.split(value):
        runs = _RUNS_RE.findall(segment)
        letter_runs = [r for r in runs if r[0].isalpha()]
        digit_runs = len(runs) - len(letter_runs)
        if len(letter_runs) > 3 or digit_runs > 2:
            return False
        if len(segment) > 8 and len(letter_runs) >= 2 and digit_runs >= 2:
            return False
        for run in letter_runs:
            humps = _words(run)
            mixed_case = run[0].isupper() and run[1:].islower()
            for hump in humps:
                humps_total += 1
                if len(hump) <= 2 and (len(humps) > 1 or mixed_case):
                    short += 1  # "aBcD" humps, or a "Fq" word: random text, not a name
                plain = _ABBREVIATIONS_RE.sub("", hump)
                if _CONSONANT_RUN_RE.search(plain) or (len(plain) >= 5 and not _VOWEL_RE.search(plain)):
                    return False
    return short <= max(1, humps_total // 3)


def _char_classes(value: str) -> int:
    lower = upper = digit = symbol = False
    for c in value:
        if c.islower():
            lower = True
        elif c.isupper():
            upper = True
        elif c.isdigit():
            digit = True
        else:
            symbol = True
    return lower + upper + digit + symbol


def _strength(value: str, password: bool = False) -> Confidence | None:
    """Does a literal under a secret name look like a real secret, and how sure are we?

    ``entropy`` is Shannon entropy in bits per character; ``classes`` counts lower-case,
    upper-case, digits and symbols present.  Filters first, then thresholds:

    * not a secret: fewer than 8 characters; prose (3+ words, or 2 plain words); e-mail
      addresses, IPs, host names, dates, versions, numbers; upper-case enum values
      (``AWS_MANAGED``); and, for non-password names, values made of words
      (:func:`_looks_like_words`: ``prod-db-credentials``, ``MyDatabaseSecret``,
      ``gcr.io/team/app:v1``).  That is what secret-named attributes hold when they do not hold a
      secret (a name, a mode, a path), and what peers report as false positives.  Password names
      skip the word filter: ``UberSecretPassword`` in a ``password`` attribute *is* the password.
    * **high**: ``len >= 16 and entropy >= 3.5 and classes >= 2`` (random keys: on 3,000 samples
      of 16 random base64 characters the 5th percentile is 3.5 bits, 32 hex characters 3.4) or
      ``len >= 12 and classes >= 3 and entropy >= 3.0`` (a composed password: ``P@ssw0rd-2024!``).
    * **medium**: ``classes >= 3`` (short passwords such as ``Zx9!kQ2#``), ``classes == 2`` with
      ``entropy >= 3.0`` or ``len >= 16`` (a 16-character hex key can score 2.9), or
      ``entropy >= 3.5`` on one class.  UUIDs are medium: several vendors' API keys are UUIDs.
    * deliberately not flagged: two-class values under 16 characters with entropy below 3.0
      (``hunter2hunter2`` 2.8, ``myDbPass`` 2.75) and short all-lower-case strings.

    Calibration (``/work/shared/corpus``, 19,050 distinct Terraform values under non-secret
    names, i.e. what a secret-named attribute would hold if it held a name): 0.4% pass these
    rules, mostly UUIDs, hashes and base64 blobs.  Random tokens missed: 2-3% at 16 characters
    (hex, base64, alphanumeric, printable), 9% for letters-only, none at 24+ except pure
    lower-case letters.
    """
    if "${" in value or "%{" in value:
        value = _strip_interpolations(value).strip()  # judge only the literal part
    n = len(value)
    if n < 8:
        return None
    sample = value[:4096]
    if _UUID_RE.match(value):
        return "medium"
    words = value.split()
    if len(words) >= 3 or (len(words) == 2 and all(_PROSE_WORD_RE.match(w) for w in words)):
        return None
    if any(p.match(value) for p in _STRUCTURED_RE):
        return None
    entropy = shannon_entropy(sample)
    if _UPPER_IDENT_RE.match(value) and _looks_like_words(value):
        return None  # AWS_MANAGED, SECURE_STRING: a mode, not a secret
    if not password and _looks_like_words(value):
        return None  # a name or a path under a secret-named attribute, not a random key
    classes = _char_classes(sample)
    if (n >= 16 and entropy >= 3.5 and classes >= 2) or (n >= 12 and classes >= 3 and entropy >= 3.0):
        return "high"
    if classes >= 3 or (classes == 2 and (entropy >= 3.0 or n >= 16)) or entropy >= 3.5:
        return "medium"
    return None


# ------------------------------------------------------------------------------------------------
# key=value assignments inside text, JSON documents, base64
# ------------------------------------------------------------------------------------------------

_ASSIGN_HINT_RE: Final[re.Pattern[str]] = re.compile(r"(?i)pass|pwd|secret|token|key|cred|sas|bearer|conn")
_ASSIGN_RE: Final[re.Pattern[str]] = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,63})[\"']?[ \t]*(?:=|:)(?!//)[ \t]*"
    r"(?:(?P<q>[\"'])(?P<qv>[^\"'\r\n]{1,256})(?P=q)|(?P<v>[^\s\"';,&<>{}()\[\]]{1,256}))"
)
_KV_STRUCTURE_RE: Final[re.Pattern[str]] = re.compile(r"^(?:\s*[\w .-]+=[^;]*;){2,}")
_B64_BLOB_RE: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9+/\r\n]{64,}={0,2}$")

_PASSWORD_DESC: Final[str] = _desc("Hard-coded password")
_SECRET_DESC: Final[str] = _desc("Hard-coded secret value")
_ASSIGNED_PASSWORD_DESC: Final[str] = _desc("Password assigned inside a string (connection string, script or config)")
_ASSIGNED_SECRET_DESC: Final[str] = _desc("Secret assigned inside a string (connection string, script or config)")
_URL_SECRET_DESC: Final[str] = _desc("Secret embedded in a URL")

_MAX_DEPTH: Final[int] = 8


def _is_script_expression(text: str, m: re.Match[str]) -> bool:
    """``$DaSecret = Get-SecretInfo -Domain ...``: in a script, an unquoted right-hand side of a
    ``$variable`` assignment, or a value followed by arguments or a call, is code, not a literal."""
    start = m.start("key")
    if start > 0 and text[start - 1] == "$":
        return True
    following = text[m.end() : m.end() + 2]
    return following.startswith(("(", " -", "\t-"))


def _assignment_secret(text: str) -> SecretMatch | None:
    if _ASSIGN_HINT_RE.search(text) is None:
        return None
    best: SecretMatch | None = None
    for m in _ASSIGN_RE.finditer(text):
        kind = _secret_name_kind(m.group("key"))
        if kind is None:
            continue
        val = m.group("qv") if m.group("qv") is not None else m.group("v")
        if val is None or _is_ref_fragment(val) or is_placeholder(val):
            continue
        if m.group("v") is not None and _is_script_expression(text, m):
            continue
        is_pw = kind == "password"
        conf = _strength(val, password=is_pw)
        if conf is None:
            continue
        match = SecretMatch(
            "password" if is_pw else "generic-secret",
            _ASSIGNED_PASSWORD_DESC if is_pw else _ASSIGNED_SECRET_DESC,
            conf,
            fingerprint(val),
            not is_pw and _model_name(m.group("key")),
        )
        if conf == "high":
            return match
        best = best or match
    return best


def _json_secret(obj: object, outer: str, depth: int) -> SecretMatch | None:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(obj, dict):
        pair_name = next((obj[k] for k in ("name", "Name", "key", "Key") if isinstance(obj.get(k), str)), None)
        pair_value = next((obj[k] for k in ("value", "Value") if isinstance(obj.get(k), str)), None)
        if pair_name is not None and pair_value is not None:
            found = _literal(pair_name, pair_value, depth + 1)
            if found is not None:
                return found
        for key, val in obj.items():
            if isinstance(val, str):
                found = _literal(str(key), val, depth + 1)
            else:
                found = _json_secret(val, str(key), depth + 1)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for item in obj:
            found = _literal(outer, item, depth + 1) if isinstance(item, str) else _json_secret(item, outer, depth + 1)
            if found is not None:
                return found
    return None


def _decode_b64(value: str) -> str | None:
    compact = value.replace("\n", "").replace("\r", "")
    if len(compact) % 4:
        return None
    try:
        raw = base64.b64decode(compact, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    printable = sum(c.isprintable() or c in "\r\n\t" for c in text)
    return text if text and printable >= 0.95 * len(text) else None


def _best(hits: list[_Hit]) -> SecretMatch:
    return min(hits, key=lambda h: (h.match.confidence != "high", h.start)).match


def _literal(name: str, value: str, depth: int) -> SecretMatch | None:
    if not value or value.isspace() or depth > _MAX_DEPTH:
        return None
    hits = _scan(value, name)
    if hits:
        match = _best(hits)
        if match.kind == "google-api-key" and not match.model_api and _model_name(name):
            match = SecretMatch(match.kind, match.description, match.confidence, match.fingerprint, True)
        return match
    stripped = value.strip()
    if stripped[:1] in "{[":
        try:
            doc = json.loads(stripped)
        except (ValueError, RecursionError):
            doc = None
        if isinstance(doc, (dict, list)):
            return _json_secret(doc, name, depth + 1)
    if len(stripped) >= 64 and _B64_BLOB_RE.match(stripped):
        decoded = _decode_b64(stripped)
        if decoded is not None:
            inner = _scan(decoded)
            if inner:
                return _best(inner)
    kind = _secret_name_kind(name)
    if len(value) >= 10 and ("=" in value or ":" in value):
        assigned = _assignment_secret(value)
        if assigned is not None:
            return assigned
        if _KV_STRUCTURE_RE.match(stripped):
            return None  # a connection string without a password or key in it
    if kind is None or is_placeholder(stripped):
        return None
    model_api = _model_name(name)
    if _URL_RE.match(stripped):  # a URL that is not a placeholder carries credentials
        return SecretMatch("generic-secret", _URL_SECRET_DESC, "medium", fingerprint(stripped), model_api)
    conf = _strength(stripped, password=kind == "password")
    if conf is None:
        return None
    if kind == "password":
        return SecretMatch("password", _PASSWORD_DESC, conf, fingerprint(stripped), False)
    return SecretMatch("generic-secret", _SECRET_DESC, conf, fingerprint(stripped), model_api)


def literal_secret(name: str, value: str) -> SecretMatch | None:
    """Is the literal ``value`` of an attribute/variable/key called ``name`` a secret?

    In order: a token shape anywhere in the value (its confidence; a high one preferred); a JSON
    document's secret-named members (ECS ``{"name": ..., "value": ...}`` pairs too); a base64 blob
    hiding a token shape (e.g. a PEM key in user data); a secret assigned inside the text
    (``Password=...;``, ``export DB_PASSWORD=...``); finally, under a secret name, a value that is
    not a placeholder and passes :func:`_strength` -> ``password`` for password-like names,
    ``generic-secret`` otherwise.  The fingerprint is of the secret itself (the token, the assigned
    value, or the stripped literal).  Never raises on arbitrary text.
    """
    return _literal(name, value, 0)


#: every description a SecretMatch can carry (all fixed text, none derived from the scanned value).
SECRET_DESCRIPTIONS: Final[frozenset[str]] = frozenset(_DESCRIPTIONS | _RULE_DESCRIPTIONS)
