"""Tests for nhigate.secrets: token shapes, names, placeholders, literal decisions, no leaks.

Every credential-shaped fixture is synthetic (``FAKE`` filler) and assembled from parts at run
time, so this file never contains a contiguous token that push protection or a secret scanner
would flag; ``test_sources_contain_no_token_shapes`` checks exactly that.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nhigate.secrets import (
    SECRET_DESCRIPTIONS,
    SECRET_KINDS,
    SecretMatch,
    find_token_shapes,
    fingerprint,
    is_placeholder,
    is_secret_name,
    literal_secret,
    shannon_entropy,
)

# ------------------------------------------------------------------------------------------------
# Synthetic credentials, assembled from parts
# ------------------------------------------------------------------------------------------------

F10 = "FAKEfake01"  # 10 alphanumerics: upper, lower, digits
HEX16 = "0123456789abcdef"


def b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


AWS_KEY_ID = "AK" + "IA" + "FAKEEXAMPLEKEY23"
AWS_STS_KEY_ID = "AS" + "IA" + "FAKE2TESTKEY7QRS"
AWS_SECRET = "FaKe" + "0123456789" + "abcdefghij" + "ABCDEFGHIJ" + "/+Zz0z"
GH_BODY = "FAKE0" * 7 + "X"
GITHUB_PAT_FINE = "github" + "_pat_" + "FAKE0" * 4 + "XY" + "_" + "FAKE1" * 11 + "ABCD"
GITLAB_PAT = "gl" + "pat-" + "FAKEfake0123456789ab"
SLACK_BOT = "xo" + "xb-" + "1234567890" + "-" + "1234567890123" + "-" + "FAKEfakeFAKEfake1234AB"
SLACK_APP = "xa" + "pp-1-" + "A0FAKE1234" + "-" + "1234567890123" + "-" + "fakefake0123456789abcdef"
SLACK_WEBHOOK = "https://hooks.slack" + ".com/services/" + "T0FAKE123/B0FAKE456/" + "FAKEfakeFAKEfake12345678"
OPENAI_LEGACY = "sk-" + "FAKEfake0123456789AB" + "T3Blbk" + "FJ" + "FAKEfake0123456789CD"
OPENAI_PROJECT = "sk-" + "proj-" + F10 * 8
ANTHROPIC = "sk-" + "ant-api03-" + F10 * 9 + "xyz" + "AA"
GOOGLE_KEY = "AI" + "za" + F10 * 3 + "FAKE0"
HUGGINGFACE = "hf" + "_" + "FAKEfake" * 4 + "AB"
GROQ = "gs" + "k_" + F10 * 5 + "AB"
REPLICATE = "r8" + "_" + F10 * 3 + "FAKEfak"
PERPLEXITY = "pplx" + "-" + F10 * 4 + "FAKEfake"
XAI = "xai" + "-" + F10 * 8
OPENROUTER = "sk-or" + "-v1-" + HEX16 * 4
BEDROCK = "AB" + "SK" + base64.b64encode(b"FAKE bedrock api key material for tests, not real! " * 2).decode()[:120]
STRIPE_LIVE = "sk" + "_live_" + "FAKEfake0123456789FAKEfake"
STRIPE_TEST = "sk" + "_test_" + "FAKEfake0123456789FAKEfake"
TFC_TOKEN = "FAKEfake012345" + ".atlas" + "v1." + F10 * 6 + "ab"
VAULT_TOKEN = "hv" + "s." + "FAKEfake0123456789FAKEfake"
DATABRICKS = "da" + "pi" + HEX16 * 2
DIGITALOCEAN = "do" + "p_v1_" + HEX16 * 4
NPM = "np" + "m_" + F10 * 3 + "FAKEfa"
PYPI = "pypi-" + "AgEIcHlwaS5vcmc" + F10 * 6
SENDGRID = "SG" + "." + "FAKEfake0123456789ABCD" + "." + F10 * 4 + "xyz"
GRAFANA = "gl" + "sa_" + F10 * 3 + "XY" + "_" + "0123abcd"
PULUMI = "pu" + "l-" + HEX16 * 2 + "01234567"
AGE_KEY = "AGE-" + "SECRET-KEY-1" + ("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2)[:58]
AZURE_AD_SECRET = "abc1" + "Q~" + "FAKEfake0123456789FAKEfake0123456"
AZURE_ACCOUNT_KEY = base64.b64encode(b"FAKE-azure-storage-key-for-tests" * 2).decode()
AZURE_STORAGE_CS = "DefaultEndpointsProtocol=https;AccountName=fakeacct;Account" + "Key=" + AZURE_ACCOUNT_KEY
AZURE_SB_KEY = base64.b64encode(b"FAKE-service-bus-key-for-tests!!").decode()
AZURE_SB_CS = (
    "Endpoint=sb://fake.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
    + "SharedAccess"
    + "Key="
    + AZURE_SB_KEY
)
AZURE_SAS_SIG = "FAKEfake0123456789FAKEfake0123456789ab%2B%3D"
AZURE_SAS_URL = (
    "https://fakeacct.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&srt=sco&sp=rl"
    + "&se=2030-01-01T00:00:00Z&spr=https&s"
    + "ig="
    + AZURE_SAS_SIG
)
JWT = (
    b64url({"alg": "HS256", "typ": "JWT"})
    + "."
    + b64url({"sub": "fake-user", "iat": 0})
    + "."
    + "FAKEsignature0123456789_-abc"
)
PEM_BODY = "\n".join(
    base64.b64encode(bytes((i * 37 + 11) % 256 for i in range(j * 48, j * 48 + 48))).decode() for j in range(8)
)
PEM_RSA = "-----BEGIN " + "RSA PRIVATE KEY-----\n" + PEM_BODY + "\n-----END " + "RSA PRIVATE KEY-----\n"
PEM_OPENSSH = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\n" + PEM_BODY + "\n-----END " + "OPENSSH PRIVATE KEY-----"
PEM_ENCRYPTED = "-----BEGIN " + "ENCRYPTED PRIVATE KEY-----\n" + PEM_BODY + "\n-----END " + "ENCRYPTED PRIVATE KEY-----"
GCP_SA_JSON = json.dumps(
    {
        "type": "service_account",
        "project_id": "fake-project",
        "private_key_id": HEX16 * 2,
        "private_key": PEM_RSA,
        "client_email": "fake@fake-project.iam.gserviceaccount.com",
    }
)
URL_WITH_PASSWORD = "postgres://app_user:" + "S3cr3t!Pass" + "@db.internal:5432/app"
STRONG_PASSWORD = "Zx9!kQ2#" + "vL7@pR4m"
RANDOMISH = "x7Qp2Lm9" + "Zr4Tk8Wd"  # random-looking filler for generic secrets (word-like values are names)


# kind, token, expected confidence, expected model_api
TOKEN_CASES: list[tuple[str, str, str, bool]] = [
    ("aws-access-key-id", AWS_KEY_ID, "high", False),
    ("aws-access-key-id", AWS_STS_KEY_ID, "high", False),
    ("aws-bedrock-api-key", BEDROCK, "high", True),
    ("github-token", "gh" + "p_" + GH_BODY, "high", False),
    ("github-token", "gh" + "o_" + GH_BODY, "high", False),
    ("github-token", "gh" + "u_" + GH_BODY, "high", False),
    ("github-token", "gh" + "s_" + GH_BODY, "high", False),
    ("github-token", "gh" + "r_" + GH_BODY, "high", False),
    ("github-token", GITHUB_PAT_FINE, "high", False),
    ("gitlab-token", GITLAB_PAT, "high", False),
    ("gitlab-token", "gl" + "ptt-" + HEX16 * 2 + "01234567", "high", False),
    ("gitlab-token", "gl" + "rt-" + "FAKEfake0123456789ab", "high", False),
    ("slack-token", SLACK_BOT, "high", False),
    ("slack-token", SLACK_APP, "high", False),
    ("slack-webhook", SLACK_WEBHOOK, "high", False),
    ("openai-api-key", OPENAI_LEGACY, "high", True),
    ("openai-api-key", OPENAI_PROJECT, "high", True),
    ("anthropic-api-key", ANTHROPIC, "high", True),
    ("google-api-key", GOOGLE_KEY, "high", False),
    ("huggingface-token", HUGGINGFACE, "high", True),
    ("groq-api-key", GROQ, "high", True),
    ("replicate-api-token", REPLICATE, "high", True),
    ("perplexity-api-key", PERPLEXITY, "high", True),
    ("xai-api-key", XAI, "high", True),
    ("openrouter-api-key", OPENROUTER, "high", True),
    ("private-key", PEM_RSA, "high", False),
    ("private-key", PEM_OPENSSH, "high", False),
    ("private-key", PEM_ENCRYPTED, "medium", False),
    ("gcp-service-account-key", GCP_SA_JSON, "high", False),
    ("azure-storage-connection-string", AZURE_STORAGE_CS, "high", False),
    ("azure-shared-access-key", AZURE_SB_CS, "high", False),
    ("azure-sas-token", AZURE_SAS_URL, "high", False),
    ("azure-ad-client-secret", AZURE_AD_SECRET, "high", False),
    ("stripe-key", STRIPE_LIVE, "high", False),
    ("stripe-key", STRIPE_TEST, "medium", False),
    ("jwt", JWT, "medium", False),
    ("terraform-cloud-token", TFC_TOKEN, "high", False),
    ("vault-token", VAULT_TOKEN, "high", False),
    ("databricks-token", DATABRICKS, "high", False),
    ("digitalocean-token", DIGITALOCEAN, "high", False),
    ("npm-token", NPM, "high", False),
    ("pypi-token", PYPI, "high", False),
    ("sendgrid-api-key", SENDGRID, "high", False),
    ("grafana-token", GRAFANA, "high", False),
    ("pulumi-token", PULUMI, "high", False),
    ("age-secret-key", AGE_KEY, "high", False),
    ("credentials-in-url", URL_WITH_PASSWORD, "medium", False),
]

# Contexts a token appears in: bare, in a URL, in JSON, in a heredoc, in a connection string.
CONTEXTS = [
    "{}",
    "https://api.example.com/v1?key={}&x=1",
    '{{"config": {{"token": "{}"}}}}',
    "#!/bin/bash\nset -e\nexport SOME_VALUE='{}'\ncurl https://example.com\n",
    "Endpoint=https://example.com;Value={};Timeout=30",
]


def case_id(case: tuple[str, str, str, bool]) -> str:
    return case[0]


# ------------------------------------------------------------------------------------------------
# Leak checks
# ------------------------------------------------------------------------------------------------

STATIC_VOCABULARY = "\n".join([*SECRET_KINDS, *SECRET_KINDS.values(), *SECRET_DESCRIPTIONS, "sha256:", "True", "False"])
FINGERPRINT_RE = re.compile(r"^sha256:[0-9a-f]{12}$")


def assert_no_leak(match: SecretMatch, value: str) -> None:
    """No field of ``match`` contains ``value`` or any 6+ character substring of it (beyond fixed
    catalogue words and coincidental hex digits of the hash)."""
    assert match.kind in SECRET_KINDS
    assert match.description in SECRET_DESCRIPTIONS
    assert match.confidence in ("high", "medium")
    assert FINGERPRINT_RE.match(match.fingerprint)
    fields = [match.kind, match.description, match.confidence, match.fingerprint]
    if len(value) >= 6:
        for field in fields:
            assert value not in field
    for i in range(max(0, len(value) - 5)):
        piece = value[i : i + 6]
        if piece in STATIC_VOCABULARY or re.fullmatch(r"[0-9a-f]+", piece):
            continue  # words of the fixed catalogue, or hash digits matching by chance
        for field in fields:
            assert piece not in field, (piece, field)


# ------------------------------------------------------------------------------------------------
# Basics
# ------------------------------------------------------------------------------------------------


def test_fingerprint_format_and_stability() -> None:
    fp = fingerprint(STRONG_PASSWORD)
    assert FINGERPRINT_RE.match(fp)
    assert fp == fingerprint(STRONG_PASSWORD)
    assert fp != fingerprint(STRONG_PASSWORD + "x")
    assert fingerprint("") == "sha256:e3b0c44298fc"
    assert FINGERPRINT_RE.match(fingerprint("\ud800 lone surrogate"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", 0.0), ("aaaa", 0.0), ("ab", 1.0), ("abcd", 2.0), ("aabb", 1.0), ("01234567", 3.0)],
)
def test_shannon_entropy(value: str, expected: float) -> None:
    assert shannon_entropy(value) == pytest.approx(expected)


def test_shannon_entropy_orders_random_above_words() -> None:
    assert shannon_entropy(AWS_SECRET) > 4.5
    assert shannon_entropy("password") < 3.0


def test_secret_match_is_frozen_and_slotted() -> None:
    m = literal_secret("password", STRONG_PASSWORD)
    assert m is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.kind = "x"  # type: ignore[misc]
    assert not hasattr(m, "__dict__")


def test_catalogue_kinds_are_kebab_case_and_described() -> None:
    for kind, description in SECRET_KINDS.items():
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", kind)
        assert description in SECRET_DESCRIPTIONS
    for kind, _token, _conf, _model in TOKEN_CASES:
        assert kind in SECRET_KINDS
    for kind in ("password", "generic-secret", "aws-secret-access-key"):
        assert kind in SECRET_KINDS


def test_every_token_kind_has_a_test() -> None:
    tested = {case[0] for case in TOKEN_CASES} | {"aws-secret-access-key", "password", "generic-secret"}
    assert set(SECRET_KINDS) == tested


# ------------------------------------------------------------------------------------------------
# Token shapes: positives
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", TOKEN_CASES, ids=case_id)
def test_token_shape_detected_bare(case: tuple[str, str, str, bool]) -> None:
    kind, token, confidence, model_api = case
    matches = find_token_shapes(token)
    assert [m.kind for m in matches] == [kind]
    assert matches[0].confidence == confidence
    assert matches[0].model_api is model_api
    assert_no_leak(matches[0], token)


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("case", [c for c in TOKEN_CASES if "\n" not in c[1] and '"' not in c[1]], ids=case_id)
def test_token_shape_detected_in_context(case: tuple[str, str, str, bool], context: str) -> None:
    kind, token, _confidence, _model = case
    text = context.format(token)
    kinds = [m.kind for m in find_token_shapes(text)]
    assert kind in kinds


@pytest.mark.parametrize("case", TOKEN_CASES, ids=case_id)
def test_literal_secret_prefers_token_shape(case: tuple[str, str, str, bool]) -> None:
    kind, token, confidence, _model = case
    m = literal_secret("description", token)
    assert m is not None
    assert (m.kind, m.confidence) == (kind, confidence)
    assert_no_leak(m, token)


def test_pem_with_escaped_newlines_in_hcl_or_json() -> None:
    escaped = PEM_RSA.replace("\n", "\\n")
    assert [m.kind for m in find_token_shapes(escaped)] == ["private-key"]
    # the same key written two ways has the same fingerprint
    assert find_token_shapes(escaped)[0].fingerprint == find_token_shapes(PEM_RSA)[0].fingerprint


def test_pem_without_end_marker_still_detected() -> None:
    truncated = PEM_RSA.split("-----END")[0]
    assert [m.kind for m in find_token_shapes(truncated)] == ["private-key"]


def test_aws_secret_next_to_key_id() -> None:
    text = f"[default]\naws_access_key_id = {AWS_KEY_ID}\nsome_other = {AWS_SECRET}\n"
    assert [m.kind for m in find_token_shapes(text)] == ["aws-access-key-id", "aws-secret-access-key"]


@pytest.mark.parametrize(
    "template",
    [
        "aws_secret_access_key={}",
        'AWS_SECRET_ACCESS_KEY: "{}"',
        '"SecretAccessKey": "{}"',
        "secret_key = {}",
        "export AWS_SECRET_ACCESS_KEY='{}'",
    ],
)
def test_aws_secret_under_obvious_name(template: str) -> None:
    assert [m.kind for m in find_token_shapes(template.format(AWS_SECRET))] == ["aws-secret-access-key"]


def test_aws_secret_alone_is_not_a_token_shape() -> None:
    assert find_token_shapes(AWS_SECRET) == []
    assert find_token_shapes(f"checksum {AWS_SECRET}") == []


@pytest.mark.parametrize("name", ["secret_key", "aws_secret_access_key", "SecretAccessKey", "AWS_SECRET_ACCESS_KEY"])
def test_aws_secret_by_attribute_name(name: str) -> None:
    m = literal_secret(name, AWS_SECRET)
    assert m is not None
    assert (m.kind, m.confidence) == ("aws-secret-access-key", "high")


def test_multiple_tokens_in_order_and_deduplicated() -> None:
    gh = "gh" + "p_" + GH_BODY
    text = f"a={gh} b={SLACK_BOT} c={gh} d={AWS_KEY_ID}"
    matches = find_token_shapes(text)
    assert [m.kind for m in matches] == ["github-token", "slack-token", "aws-access-key-id"]
    assert len({m.fingerprint for m in matches}) == 3


def test_token_in_url_userinfo_reported_once_as_the_specific_kind() -> None:
    gh = "gh" + "p_" + GH_BODY
    matches = find_token_shapes(f"https://x-access-token:{gh}@github.com/org/repo.git")
    assert [m.kind for m in matches] == ["github-token"]


def test_anthropic_key_is_not_also_openai() -> None:
    assert [m.kind for m in find_token_shapes(ANTHROPIC)] == ["anthropic-api-key"]


def test_google_key_is_model_api_only_with_gemini_context() -> None:
    assert find_token_shapes(GOOGLE_KEY)[0].model_api is False
    url = f"https://generativelanguage.googleapis.com/v1beta/models/x:generateContent?key={GOOGLE_KEY}"
    assert find_token_shapes(url)[0].model_api is True
    by_name = literal_secret("gemini_api_key", GOOGLE_KEY)
    assert by_name is not None
    assert (by_name.kind, by_name.model_api) == ("google-api-key", True)
    assert literal_secret("maps_api_key", GOOGLE_KEY) == find_token_shapes(GOOGLE_KEY)[0]


def test_fingerprint_is_of_the_token_not_the_surrounding_text() -> None:
    gh = "gh" + "p_" + GH_BODY
    a = find_token_shapes(f"token={gh}")[0]
    b = find_token_shapes(f'{{"t": "{gh}"}}')[0]
    assert a.fingerprint == b.fingerprint == fingerprint(gh)


# ------------------------------------------------------------------------------------------------
# Token shapes: near misses
# ------------------------------------------------------------------------------------------------

NEAR_MISSES = [
    pytest.param("This is a task-list for sk-learn users; ask-me-anything", id="sk-word-in-prose"),
    pytest.param("sk-" + "proj-" + "lowercaseonlyletters" * 3, id="sk-proj-without-key-alphabet"),
    pytest.param("X" + AWS_KEY_ID, id="akia-inside-longer-word"),
    pytest.param(AWS_KEY_ID + "Q", id="akia-21-chars"),
    pytest.param("AK" + "IA" + "FAKEEXAMPLEKEY1", id="akia-15-chars"),
    pytest.param("AK" + "IA" + "fakeexamplekey23", id="akia-lowercase"),
    pytest.param("AK" + "IA" + "FAKEEXAMPLEKEY89", id="akia-non-base32-digits"),
    pytest.param("AK" + "IA" + "X" * 16, id="akia-filler"),
    pytest.param("AK" + "IA" + "IOSFODNN7" + "EXAMPLE", id="aws-docs-example-key-id"),
    pytest.param(
        "aws_access_key_id="
        + "AK"
        + "IA"
        + "IOSFODNN7"
        + "EXAMPLE\naws_secret_access_key="
        + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY"
        + "EXAMPLEKEY",
        id="aws-docs-example-pair",
    ),
    pytest.param(base64.b64encode(b"hello world, this is not a key at all, only words").decode(), id="base64-prose"),
    pytest.param("3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b", id="uuid"),
    pytest.param("e83c5163316f89bfbde7d9ab23ca2e25604af290", id="git-sha1"),
    pytest.param("aws_secret_access_key = e83c5163316f89bfbde7d9ab23ca2e25604af290", id="sha1-under-secret-name"),
    pytest.param("sha256:" + HEX16 * 4, id="sha256-digest"),
    pytest.param("arn:aws:iam::123456789012:role/github-token-reader", id="aws-arn"),
    pytest.param("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", id="kms-key-arn"),
    pytest.param("1234abcd-12ab-34cd-56ef-1234567890ab", id="kms-key-id"),
    pytest.param("github-token-rotation-lambda", id="resource-name-with-token"),
    pytest.param("${var.github_token}", id="tf-interpolation"),
    pytest.param("${aws_iam_access_key.ci.secret}", id="tf-attribute-reference"),
    pytest.param("{{resolve:secretsmanager:prod/db:SecretString:password}}", id="cfn-dynamic-reference"),
    pytest.param("https://hooks.slack" + ".com/services/T00000000/B00000000/" + "X" * 24, id="slack-docs-webhook"),
    pytest.param("xo" + "xb-your-token-here-please-replace", id="slack-placeholder"),
    pytest.param("gh" + "p_" + "x" * 36, id="github-filler"),
    pytest.param("gh" + "p_" + GH_BODY[:-1], id="github-35-chars"),
    pytest.param("AI" + "za" + F10 * 3 + "FAKE", id="google-34-chars"),
    pytest.param("pk" + "_live_" + "FAKEfake0123456789FAKEfake", id="stripe-publishable"),
    pytest.param("-----BEGIN " + "RSA PRIVATE KEY-----\n...\n-----END " + "RSA PRIVATE KEY-----", id="pem-docs"),
    pytest.param("-----BEGIN " + "PUBLIC KEY-----\n" + PEM_BODY + "\n-----END " + "PUBLIC KEY-----", id="public-key"),
    pytest.param(
        "-----BEGIN " + "CERTIFICATE-----\n" + PEM_BODY + "\n-----END " + "CERTIFICATE-----", id="certificate"
    ),
    pytest.param("eyJ" + "notjson" * 3 + ".eyJ" + "notjson" * 3 + "." + "signature0123456789", id="jwt-bad-header"),
    pytest.param("Account" + "Key=<storage-account-key>", id="azure-placeholder-key"),
    pytest.param("DefaultEndpointsProtocol=https;AccountName=x;Account" + "Key=" + "A" * 86 + "==", id="azure-filler"),
    pytest.param("https://example.com/file?s" + "ig=" + AZURE_SAS_SIG, id="sig-without-sas-params"),
    pytest.param("https://user@example.com/path", id="url-user-without-password"),
    pytest.param("https://example.com:8443/path?x=1", id="url-with-port"),
    pytest.param("postgres://user:${var.db_password}@db:5432/app", id="url-password-interpolated"),
    pytest.param("postgres://user:password@localhost:5432/app", id="url-placeholder-password"),
    pytest.param("mongodb://admin:%24%7Bpw%7D@mongo:27017", id="url-encoded-interpolation"),
    pytest.param("i-0123456789abcdef0 subnet-0a1b2c3d4e5f67890 sg-0123456789abcdef0", id="aws-resource-ids"),
    pytest.param("ami-0c55b159cbfafe1f0", id="ami-id"),
    pytest.param("projects/my-project/secrets/db-password/versions/latest", id="gcp-secret-path"),
    pytest.param("", id="empty"),
    pytest.param("t3.micro", id="instance-type"),
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_not_token_shapes(text: str) -> None:
    assert find_token_shapes(text) == []


# ------------------------------------------------------------------------------------------------
# Names
# ------------------------------------------------------------------------------------------------

SECRET_NAMES = [
    "password",
    "Password",
    "PASSWORD",
    "passwd",
    "pwd",
    "db_pass",
    "DB_PASSWORD",
    "db_password",
    "dbPassword",
    "DBPassword",
    "MasterUserPassword",
    "master_password",
    "admin_password",
    "administrator_login_password",
    "MYSQL_ROOT_PASSWORD",
    "password_wo",
    "password2",
    "dbpassword",
    "certificate_password",
    "passphrase",
    "key_passphrase",
    "secret",
    "client_secret",
    "clientSecret",
    "ClientSecret",
    "oauth2_client_secret",
    "webhook_secret",
    "shared_secret",
    "secret_string",
    "SecretString",
    "secret_string_wo",
    "secret_data",
    "secret_value",
    "secret_binary",
    "token",
    "auth_token",
    "authToken",
    "access_token",
    "refresh_token",
    "api_token",
    "github_token",
    "GITHUB_TOKEN",
    "HF_TOKEN",
    "bearer_token",
    "session_token",
    "registration_token",
    "api_key",
    "apiKey",
    "APIKey",
    "api-key",
    "apikey",
    "x_api_key",
    "OPENAI_API_KEY",
    "openaiApiKey",
    "private_key",
    "privateKey",
    "private_key_pem",
    "ssh_private_key",
    "tls_private_key",
    "access_key",
    "AccessKey",
    "aws_access_key",
    "secret_key",
    "secretKey",
    "secret_access_key",
    "SecretAccessKey",
    "aws_secret_access_key",
    "AWS_SECRET_ACCESS_KEY",
    "primary_access_key",
    "storage_account_access_key",
    "account_key",
    "shared_key",
    "master_key",
    "signing_key",
    "signing_secret",
    "encryption_key",
    "hmac_key",
    "subscription_key",
    "raw_key",
    "sas",
    "sas_token",
    "SasToken",
    "connection_string",
    "ConnectionString",
    "primary_connection_string",
    "JDBCConnectionString",
    "conn_str",
    "credentials",
    "google_credentials",
    "credentials_json",
    "creds",
    "bearer",
    "webhook_url",
    "slack_webhook_url",
    "WebhookUrl",
    "environment.variables.DB_PASSWORD",
    "spring.datasource.password",
    "token_prod",
    "password-staging",
]

NOT_SECRET_NAMES = [
    "",
    "___",
    "name",
    "description",
    "instance_type",
    "password_policy",
    "password_length",
    "min_password_length",
    "minimum_password_length",
    "password_reset_required",
    "manage_master_user_password",
    "master_user_secret_kms_key_id",
    "password_hash",
    "password_file",
    "POSTGRES_PASSWORD_FILE",
    "password_secret_arn",
    "require_uppercase_characters",
    "passwordless",
    "pass_through",
    "bypass",
    "secret_name",
    "secretName",
    "secret_arn",
    "SecretArn",
    "secret_id",
    "SecretId",
    "secret_version",
    "secret_version_id",
    "secret_version_stage",
    "secretsmanager_secret_id",
    "secrets_manager_arn",
    "secret_ref",
    "db_secret_ref",
    "secret_key_ref",
    "secret_string_wo_version",
    "secret_rotation_enabled",
    "secret_type",
    "secret_path",
    "vault_secret_path",
    "key_vault_secret_id",
    "client_secret_setting_name",
    "generate_secret",
    "image_pull_secret",
    "image_pull_secrets",
    "token_ttl",
    "token_max_ttl",
    "token_explicit_max_ttl",
    "token_type",
    "token_policies",
    "token_period",
    "token_num_uses",
    "token_bound_cidrs",
    "token_endpoint",
    "token_url",
    "token_uri",
    "tokens_uri",
    "token_name",
    "tokenizer",
    "enable_token",
    "auth_token_enabled",
    "auth_token_update_strategy",
    "client_token",
    "creation_token",
    "next_token",
    "ServiceToken",
    "http_tokens",
    "HttpTokens",
    "access_key_id",
    "AccessKeyId",
    "aws_access_key_id",
    "secret_key_id",
    "kms_key_id",
    "kms_key",
    "KmsKeyId",
    "key_vault_key_id",
    "key_name",
    "public_key",
    "ssh_public_key",
    "ssh_key",
    "deploy_key",
    "partition_key",
    "hash_key",
    "primary_key",
    "private_key_algorithm",
    "private_key_type",
    "encryption_key_arn",
    "signing_key_id",
    "api_key_source",
    "api_key_required",
    "api_key_id",
    "create_access_key",
    "credentials_file",
    "shared_credentials_files",
    "credential_source",
    "connection_string_name",
    "sas_policy",
    "sas_expiration_period",
    "webhook_url_name",
    "enable_password_auth",
    "use_secret_manager",
    "rotate_token",
    "password_enabled",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name), name


@pytest.mark.parametrize("name", NOT_SECRET_NAMES)
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name), name


# ------------------------------------------------------------------------------------------------
# Placeholders
# ------------------------------------------------------------------------------------------------

PLACEHOLDERS = [
    "",
    "   ",
    "abc",
    "12345",
    "changeme",
    "change-me",
    "CHANGE_ME",
    "ChangeMe123",
    "password",
    "Password",
    "secret",
    "xxx",
    "xxxxxxxxxxxx",
    "XXXX-XXXX-XXXX",
    "***",
    "**********",
    "<password>",
    "<YOUR_API_KEY>",
    "{{ db_password }}",
    "{{resolve:secretsmanager:prod/db:SecretString:password}}",
    "{{resolve:ssm-secure:/prod/db/password:1}}",
    "REPLACE_ME",
    "replace-with-real-token",
    "TODO",
    "TBD",
    "todo: set this",
    "your-api-key-here",
    "YOUR_TOKEN_HERE",
    "enter your password",
    "example",
    "example-password",
    "dummy",
    "dummy-secret-value",
    "test",
    "none",
    "None",
    "null",
    "n/a",
    "N/A",
    "undefined",
    "redacted",
    "[REDACTED]",
    "placeholder",
    "mypassword",
    "myPassword",
    "${var.db_password}",
    "${random_password.db.result}",
    "${data.aws_secretsmanager_secret_version.db.secret_string}",
    "Bearer ${var.token}",
    "${var.prefix}-${var.suffix}",
    "%{ if true }x%{ endif }",
    "$DB_PASSWORD",
    "$slack-token",
    "$(cat /run/secrets/db)",
    "%DB_PASSWORD%",
    "#{DbPassword}#",
    "__DB_PASSWORD__",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
    "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password",
    "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x",
    "projects/my-project/secrets/db-password/versions/latest",
    "https://myvault.vault.azure.net/secrets/db-password/0123456789abcdef0123456789abcdef",
    "vault:secret/data/app#password",
    "vault://secret/data/app",
    "op://vault/item/field",
    "ENC[AES256_GCM,data:abcd,iv:efgh,tag:ijkl,type:str]",
    "$ANSIBLE_VAULT;1.1;AES256",
    "vault:v1:8SDd3WHDOjf7mq69CyCqYjBXAiQQAVZRkFM13ok481zoCmHnSeDX9vyf7w==",
    "var.db_password",
    "local.secrets.db",
    "!Ref DBPassword",
    "/etc/ssl/private/server.key",
    "./secrets/db.pem",
    "~/.ssh/id_rsa",
    "/run/secrets/db_password",
    "C:\\secrets\\key.pem",
    "credentials.json",
    "https://example.com/path",
    "https://api.github.com/repos/org/repo",
    "s3://my-bucket/path/to/object",
]

NOT_PLACEHOLDERS = [
    "P@ssw0rd-2024!",
    STRONG_PASSWORD,
    "hunter2hunter2",
    "correct-horse-battery-staple-9",
    AWS_SECRET,
    "S3cr3t!Pass",
    "postgres://app:" + "S3cr3t!Pass" + "@db:5432/app",
    "https://ci.acme-corp.io/hook?token=" + "FAKEfake0123456789",
    "${var.prefix}" + STRONG_PASSWORD,
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_placeholders(value: str) -> None:
    assert is_placeholder(value), value


@pytest.mark.parametrize("value", NOT_PLACEHOLDERS)
def test_not_placeholders(value: str) -> None:
    assert not is_placeholder(value), value


# ------------------------------------------------------------------------------------------------
# literal_secret decisions
# ------------------------------------------------------------------------------------------------

# name, value, expected (kind, confidence) or None
LITERAL_CASES: list[tuple[str, str, tuple[str, str] | None]] = [
    # passwords under password names
    ("password", "P@ssw0rd-2024!", ("password", "high")),
    ("master_password", STRONG_PASSWORD, ("password", "high")),
    ("MasterUserPassword", "SuperSecretPassw0rd!", ("password", "high")),
    ("administrator_login_password", "@dm1nu53r", ("password", "medium")),
    ("db_password", "Zx9!kQ2#", ("password", "medium")),
    ("password_wo", "UberSecretPassword", ("password", "high")),
    ("DB_PASSWORD", "myDbPass2024", ("password", "high")),
    ("DB_PASSWORD", "myDbPa55", ("password", "medium")),
    ("DB_PASSWORD", "myDbPass", None),  # 8 characters, two classes, entropy 2.75
    # generic secrets
    ("client_secret", "FAKE_" + RANDOMISH + "_Nq3v", ("generic-secret", "high")),
    ("api_key", "0123456789abcdef0123456789abcdef", ("generic-secret", "high")),
    ("api_key", "3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b", ("generic-secret", "medium")),
    ("shared_key", "k9Tz!x2Q", ("generic-secret", "medium")),
    ("shared_key", "abc123456", None),  # a word and a number under a generic name reads as a name
    ("webhook_url", "https://ci.acme-corp.io/hooks/" + "FAKEfake0123456789FAKEfake", ("generic-secret", "medium")),
    ("webhook_url", "https://example.com/hooks/" + "FAKEfake0123456789FAKEfake", None),  # documentation domain
    ("auth_token", "FAKE" + RANDOMISH, ("generic-secret", "high")),
    ("auth_token", "FAKEfake0123456789", None),  # word-like: a name, not a random token
    ("API_SECRET", "x9Fq2-LmT7w" + "-Rz4Kp-Vb8Nc", ("generic-secret", "high")),  # random groups joined by dashes
    ("client_secret", "k7m2x9q4" + "z8w3n6p1", ("generic-secret", "high")),
    ("client_secret", "k7m2x9q4", ("generic-secret", "medium")),
    ("token", "gcr.io/team/app:v1", None),
    ("secret", "Standard_D2s_v3", None),
    ("api_key", "AmazonEKS_CNI_IPv6_Policy", None),
    ("api_key", "storage.k8s.io/v1", None),
    # model API by name
    ("COHERE_API_KEY", "FAKEfake0123456789FAKEfake0123456789ABCD", ("generic-secret", "high")),
    # secrets inside text
    (
        "connection_string",
        "Server=tcp:x.database.windows.net;Database=db;User ID=admin;Password=" + STRONG_PASSWORD + ";",
        ("password", "high"),
    ),
    ("user_data", "#!/bin/bash\nexport DB_PASSWORD='" + STRONG_PASSWORD + "'\n", ("password", "high")),
    ("user_data", "#!/bin/bash\nAPI_TOKEN=FAKE" + RANDOMISH + " ./run\n", ("generic-secret", "high")),
    ("config", "spring.datasource.password: " + STRONG_PASSWORD, ("password", "high")),
    (
        "container_definitions",
        json.dumps([{"name": "app", "environment": [{"name": "DB_PASSWORD", "value": STRONG_PASSWORD}]}]),
        ("password", "high"),
    ),
    ("secret_string", json.dumps({"username": "admin", "password": STRONG_PASSWORD}), ("password", "high")),
    ("user_data_base64", base64.b64encode(("#!/bin/bash\n" + PEM_RSA).encode()).decode(), ("private-key", "high")),
    ("database_url", URL_WITH_PASSWORD, ("credentials-in-url", "medium")),
    # not secrets
    ("password", "changeme", None),
    ("password", "", None),
    ("password", "   ", None),
    ("password", "short", None),
    ("password", "${var.db_password}", None),
    ("password", "{{resolve:secretsmanager:prod/db:SecretString:password}}", None),
    ("password", "12345678", None),
    ("password", "admin@example.com", None),
    ("password", "AWS_MANAGED", None),
    ("password", "Use the value from Secrets Manager", None),
    ("password", "secret information", None),
    ("db_password", "hunter22", None),
    ("password", "hunter2hunter2", None),  # two classes, entropy 2.8: deliberately below the bar
    ("secret", "MyDatabaseSecret", None),
    ("secret", "prod-db-credentials", None),
    ("token", "my-app-token", None),
    ("storage_account_key", "bootdiag_region1", None),
    ("secret_data", "my_secret2", None),
    ("access_token", "minutes", None),
    ("github_oauth_token", "NO_TOKEN", None),
    ("webhook_url", "https://sample-webhook-url.example.com", None),
    ("webhook_url", "https://example.com/hooks/build", None),
    ("api_key", "2024-01-01", None),
    ("api_key", "10.0.0.0/16", None),
    ("client_secret", "v1.2.3", None),
    ("credentials", "credentials.json", None),
    ("connection_string", "Server=test;Database=test;Integrated Security=true;", None),
    ("connection_string", "Server=test;Port=3306;Database=test;User=test;Password=test", None),
    ("secret_string", json.dumps({"host": "db.internal", "port": 5432}), None),
    ("password_policy", STRONG_PASSWORD, None),
    ("secret_arn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x", None),
    ("kms_key_id", "1234abcd-12ab-34cd-56ef-1234567890ab", None),
    ("name", STRONG_PASSWORD, None),
    ("description", "The password for the database, stored in Secrets Manager.", None),
    ("user_data", "#!/bin/bash\nexport DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db)\n", None),
    ("user_data", "#!/bin/bash\npassword=${db_password}\n", None),
    ("policy", json.dumps({"Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue"}]}), None),
    ("token", "$slack-token", None),
    ("instance_type", "t3.micro", None),
]


@pytest.mark.parametrize(("name", "value", "expected"), LITERAL_CASES)
def test_literal_secret(name: str, value: str, expected: tuple[str, str] | None) -> None:
    m = literal_secret(name, value)
    if expected is None:
        assert m is None, (name, m)
    else:
        assert m is not None, name
        assert (m.kind, m.confidence) == expected
        assert_no_leak(m, value)


def test_literal_secret_fingerprint_is_of_the_secret() -> None:
    m = literal_secret("password", "  " + STRONG_PASSWORD + "  ")
    assert m is not None
    assert m.fingerprint == fingerprint(STRONG_PASSWORD)
    # the same password assigned inside a connection string matches the bare literal
    cs = literal_secret("connection_string", "Server=x;Password=" + STRONG_PASSWORD + ";")
    assert cs is not None
    assert cs.fingerprint == m.fingerprint


def test_literal_secret_model_api() -> None:
    by_name = literal_secret("OPENAI_API_KEY", "FAKEfake0123456789FAKEfake0123")
    assert by_name is not None
    assert by_name.model_api is True
    plain = literal_secret("STRIPE_API_KEY", "FAKEfake0123456789FAKEfake0123")
    assert plain is not None
    assert plain.model_api is False
    shaped = literal_secret("some_value", OPENAI_PROJECT)
    assert shaped is not None
    assert shaped.model_api is True
    password = literal_secret("openai_password", STRONG_PASSWORD)
    assert password is not None
    assert password.model_api is False


def test_literal_secret_prefers_high_confidence_token() -> None:
    text = f"jwt={JWT} key={AWS_KEY_ID}"
    m = literal_secret("x", text)
    assert m is not None
    assert m.kind == "aws-access-key-id"


def test_deep_json_does_not_recurse_forever() -> None:
    value = "[" * 5000 + "]" * 5000
    assert literal_secret("secret_string", value) is None
    nested: object = {"password": STRONG_PASSWORD}
    for _ in range(30):
        nested = {"x": nested}
    assert literal_secret("secret_string", json.dumps(nested)) is None  # beyond the depth limit


@pytest.mark.parametrize(
    "chunk",
    [
        "-----BEGIN " + "RSA PRIVATE KEY-----",
        "{{",
        "${",
        "AQICAH",
        "x",
        "sig=",
        "eyJ",
        "://a:b@",
        "password=",
        "Q~",
        "a-",
    ],
)
def test_pathological_repetition_stays_linear(chunk: str) -> None:
    # Each call is linear; a quadratic regex would make this test take minutes, not milliseconds.
    text = "ab9" + chunk * 20000 + "Z!"
    find_token_shapes(text)
    literal_secret("password", text)
    literal_secret("user_data", text)
    is_placeholder(text)
    is_secret_name(text)


def test_many_tokens_in_one_text() -> None:
    tokens = ["gh" + "p_" + f"FAKE{i:05d}" + GH_BODY[9:] for i in range(3000)]
    text = "\n".join(f"t{i} = {t}" for i, t in enumerate(tokens * 2))
    matches = find_token_shapes(text)
    assert [m.fingerprint for m in matches] == [fingerprint(t) for t in tokens]


def test_large_input_is_handled() -> None:
    big = ("resource x y { a = 1 }\n" * 20000) + AWS_KEY_ID
    assert [m.kind for m in find_token_shapes(big)] == ["aws-access-key-id"]
    assert literal_secret("user_data", "A" * 200_000) is None


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------

TOKEN_BUILDERS: dict[str, Callable[[str], str]] = {
    "aws": lambda b: (
        "AK" + "IA" + "".join(c for c in b.upper() if c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")[:16].ljust(16, "Q")
    ),
    "github": lambda b: "gh" + "p_" + (b + "Fake0Z" * 7)[:36],
    "slack": lambda b: "xo" + "xb-" + "1234567890-1234567890-" + b,
    "google": lambda b: "AI" + "za" + (b + "Fake0Z" * 7)[:35],
    "hf": lambda b: "hf" + "_" + ("".join(c for c in b if c.isalpha()) + "FakeQz" * 6)[:34],
}

alnum = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=20, max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=40), value=st.text(max_size=300))
def test_property_never_raises_and_never_leaks(name: str, value: str) -> None:
    m = literal_secret(name, value)
    if m is not None:
        assert_no_leak(m, value)
    for match in find_token_shapes(value):
        assert_no_leak(match, value)
    is_placeholder(value)
    is_secret_name(name)
    assert shannon_entropy(value) >= 0.0


@settings(max_examples=200, deadline=None)
@given(
    builder=st.sampled_from(sorted(TOKEN_BUILDERS)),
    body=alnum,
    prefix=st.text(alphabet=" \n\t\"'=:;,{}[]()", max_size=5),
    suffix=st.text(alphabet=" \n\t\"'=:;,{}[]()", max_size=5),
    noise=st.text(max_size=60),
)
def test_property_embedded_tokens_found_and_not_leaked(
    builder: str, body: str, prefix: str, suffix: str, noise: str
) -> None:
    token = TOKEN_BUILDERS[builder](body)
    assume(shannon_entropy(token) >= 3.0)  # fillers such as AKIAQQQQ... are rejected on purpose
    text = noise + " " + prefix + token + suffix + " " + noise
    matches = find_token_shapes(text)
    assert fingerprint(token) in {m.fingerprint for m in matches}
    for m in matches:
        assert_no_leak(m, token)
        assert_no_leak(m, text)
    lit = literal_secret("value", text)
    assert lit is not None
    assert_no_leak(lit, token)


@settings(max_examples=200, deadline=None)
@given(password=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=40))
def test_property_password_literals_never_leak(password: str) -> None:
    m = literal_secret("db_password", password)
    if m is not None:
        assert m.kind in ("password", "generic-secret") or m.kind in SECRET_KINDS
        assert_no_leak(m, password)


# ------------------------------------------------------------------------------------------------
# This repository never contains a contiguous token shape
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [Path(__file__), Path(__file__).resolve().parent.parent / "src" / "nhigate" / "secrets.py"],
    ids=["tests", "src"],
)
def test_sources_contain_no_token_shapes(path: Path) -> None:
    assert find_token_shapes(path.read_text(encoding="utf-8")) == []
