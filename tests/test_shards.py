"""--shard K/N and merge: merged shards give exactly the single-run result."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import FIXTURES
from test_outputs import nhigate


def test_merged_shards_equal_a_single_run(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    shutil.copytree(FIXTURES, estate / "fixtures")
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples" / "estate", estate / "examples")
    single = nhigate("scan", "estate", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert single.returncode == 0, single.stderr
    for number in (1, 2, 3):
        shard = nhigate(
            "scan",
            "estate",
            "--shard",
            f"{number}/3",
            "--shard-output",
            f"s{number}.bin",
            "--fail-on",
            "never",
            "--format",
            "json",
            cwd=tmp_path,
        )
        assert shard.returncode == 0, shard.stderr
        assert (tmp_path / f"s{number}.bin").exists()
    shard_files = [
        json.loads(
            nhigate(
                "scan",
                "estate",
                "--shard",
                f"{n}/3",
                "--shard-output",
                f"t{n}.bin",
                "--format",
                "json",
                "--fail-on",
                "never",
                cwd=tmp_path,
            ).stdout
        )["summary"]["files"]
        for n in (1, 2, 3)
    ]
    assert all(count > 0 for count in shard_files)
    merged = nhigate("merge", "s1.bin", "s2.bin", "s3.bin", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout) == json.loads(single.stdout)


def test_missing_shard_is_a_warning_and_bad_input_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_iam_access_key" "k" {\n  user = "u"\n}\n')
    nhigate("scan", ".", "--shard", "1/2", "--shard-output", "a.bin", cwd=tmp_path)
    result = nhigate("merge", "a.bin", "--format", "json", cwd=tmp_path)
    assert "shard 2/2 is missing" in result.stderr
    (tmp_path / "junk.bin").write_bytes(b"not a shard")
    assert nhigate("merge", "junk.bin", cwd=tmp_path).returncode == 2
    assert nhigate("scan", ".", "--shard", "3/2", cwd=tmp_path).returncode == 2
