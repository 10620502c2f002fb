"""nhigate's benchmark: prints a table of wall time, files/s and peak memory.

Cases: one file (the pre-commit case, median of 5 runs), ``../shared/corpus`` when present, and
synthetic estates of 1x, 2x and 4x the base size, generated deterministically by this script —
each cold (empty parse cache) and warm (cache filled by the cold run).  Every run is a fresh
``python -m nhigate scan ... --format json --sarif FILE`` process, as a user would run it; peak
RSS is the largest process (the parent or one of its parser workers).

    python benchmarks/run.py [--jobs N] [--skip-corpus] [--base-files 400]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"

_MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    started = time.perf_counter()
    done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall": wall, "rss_kb": rss, "code": done.returncode, "stderr": done.stderr[-2000:]}))
    """
)


def measure(args: list[str], cache: Path, cwd: Path) -> dict[str, object]:
    # Installed packages carry compiled bytecode (pip writes it at install time); an environment
    # that forbids writing it would time Python compiling nhigate's sources on every run instead.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NHIGATE_CACHE_DIR"] = str(cache)
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "nhigate", *args],
        capture_output=True, text=True, env=env, cwd=cwd, check=True,
    )  # fmt: skip
    result: dict[str, object] = json.loads(out.stdout)
    return result


def synthetic_estate(root: Path, files: int) -> None:
    """``files`` Terraform files in root modules of 8 files each, plus one template per module."""
    modules = max(1, files // 9)
    for index in range(modules):
        module = root / f"envs/{['prod', 'staging', 'dev'][index % 3]}/service-{index:04d}"
        module.mkdir(parents=True, exist_ok=True)
        (module / "variables.tf").write_text(
            f'variable "name" {{\n  default = "svc-{index}"\n}}\nvariable "owner" {{\n  default = "team-{index % 7}"\n}}\n'
        )
        (module / "locals.tf").write_text(
            "locals {\n  tags = merge({ owner = var.owner }, { service = var.name })\n  days = 30\n}\n"
        )
        (module / "providers.tf").write_text(
            'provider "aws" {\n  region = "eu-west-1"\n  default_tags {\n    tags = { managed_by = "terraform" }\n  }\n}\n'
        )
        (module / "iam.tf").write_text(
            'resource "aws_iam_role" "app" {\n  name = "${var.name}-app"\n  tags = local.tags\n'
            '  assume_role_policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n'
            '      Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" }\n'
            "    }]\n  })\n}\n"
        )
        (module / "lambda.tf").write_text(
            'resource "aws_lambda_function" "app" {\n  function_name = var.name\n  role = aws_iam_role.app.arn\n'
            '  handler = "index.handler"\n  runtime = "python3.12"\n  environment {\n'
            '    variables = { LOG_LEVEL = "info" }\n  }\n  tags = local.tags\n}\n'
        )
        (module / "secrets.tf").write_text(
            'resource "aws_secretsmanager_secret" "db" {\n  name = "${var.name}/db"\n  tags = local.tags\n}\n'
            'resource "aws_secretsmanager_secret_rotation" "db" {\n  secret_id = aws_secretsmanager_secret.db.id\n'
            "  rotation_lambda_arn = aws_lambda_function.app.arn\n  rotation_rules {\n"
            "    automatically_after_days = local.days\n  }\n}\n"
        )
        (module / "kms.tf").write_text(
            'resource "aws_kms_key" "app" {\n  description = "app"\n  enable_key_rotation = true\n  tags = local.tags\n}\n'
        )
        (module / "users.tf").write_text(
            'resource "aws_iam_user" "ci" {\n  name = "${var.name}-ci"\n  tags = local.tags\n}\n'
            + ('resource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n' if index % 5 == 0 else "")
        )
        (module / "outputs.tf").write_text('output "role_arn" {\n  value = aws_iam_role.app.arn\n}\n')
        (module / "stack.yaml").write_text(
            'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n'
            "      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n"
            "            Principal: {Service: ec2.amazonaws.com}\n            Action: sts:AssumeRole\n"
            "      Tags:\n        - {Key: owner, Value: platform}\n"
        )


def row(name: str, files: int, resources: int, wall: float, rss_kb: int) -> str:
    rate = files / wall if wall else 0.0
    return f"| {name} | {files} | {resources} | {wall:.2f} s | {rate:,.0f} | {rss_kb / 1024:.0f} MB |"


def run_case(name: str, path: Path, jobs: int, cwd: Path, repeat: int = 1) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="nhigate-bench-cache-") as cache_dir:
        cache = Path(cache_dir)
        for state in ("cold", "warm"):
            walls, rss, summary = [], 0, {}
            for attempt in range(repeat):
                if state == "cold" and attempt:
                    for entry in cache.rglob("*.pickle"):
                        entry.unlink()
                with tempfile.TemporaryDirectory() as out:
                    sarif, report = Path(out) / "out.sarif", Path(out) / "out.json"
                    result = measure(
                        ["scan", str(path), "--format", "json", "--sarif", str(sarif), "--json", str(report),
                         "--fail-on", "never", "--jobs", str(jobs)], cache, cwd,
                    )  # fmt: skip
                    if result["code"] != 0:
                        raise SystemExit(f"nhigate failed on {path}: {result['stderr']}")
                    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
                walls.append(float(result["wall"]))  # type: ignore[arg-type]
                rss = max(rss, int(result["rss_kb"]))  # type: ignore[call-overload]
            rows.append(
                row(f"{name} ({state})", summary["files"], summary["resources_checked"], statistics.median(walls), rss)
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="nhigate benchmark")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--base-files", type=int, default=400)
    args = parser.parse_args()

    # Compile nhigate's bytecode first, as `pip install` does, so no case times the compiler.
    import nhigate

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(nhigate.__file__).parent)], check=True)
    print(f"nhigate benchmark: {args.jobs} job(s), Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)\n")
    print("| case | files | resources checked | wall (median) | files/s | peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    single = REPO / "examples" / "estate" / "live" / "prod" / "iam.tf"
    for line in run_case("one file (pre-commit)", single, args.jobs, REPO, repeat=5):
        print(line, flush=True)
    with tempfile.TemporaryDirectory(prefix="nhigate-bench-estate-") as tmp:
        for factor in (1, 2, 4):
            estate = Path(tmp) / f"x{factor}"
            synthetic_estate(estate, args.base_files * factor)
            for line in run_case(f"synthetic {factor}x", estate, args.jobs, Path(tmp)):
                print(line, flush=True)
    if CORPUS.is_dir() and not args.skip_corpus:
        started = time.perf_counter()
        for line in run_case("shared/corpus", CORPUS, args.jobs, REPO):
            print(line, flush=True)
        print(f"\n(corpus cases took {time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
