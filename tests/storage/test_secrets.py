"""Secrets in URIs (`s3://KEY:SECRET@bucket`), in signed-URL query strings and in storage options reach no error
message, no log line, no Data Memory file and no Knowledge Base page (moto S3, library and command line)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

import dagster_datachain as dc
from dagster_datachain.storage.secrets import mask_secrets
from tests.storage.conftest import new_bucket
from tests.storage_servers import StorageServer

USERINFO_SECRET = "Userinfo-S3cr3t-0123456789"
SIGNATURE = "f00dfeedSignature0123456789abcdef"
SESSION_TOKEN = "SessionToken-0123456789-FwoGZXIvYXdzE"
OPTION_SECRET = "Option-S3cr3t-Access-Key-0123456789"
SECRETS = (USERINFO_SECRET, SIGNATURE, SESSION_TOKEN, OPTION_SECRET)


def signed(uri: str) -> str:
    """`uri` with the query string of a presigned S3 URL."""
    return (f"{uri}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1"
            f"&X-Amz-Security-Token={SESSION_TOKEN}&X-Amz-Signature={SIGNATURE}")


def size(file: dc.File) -> int:
    return len(file.read())


def test_no_secret_in_errors_logs_data_memory_or_knowledge_base(s3_server: StorageServer, memory: dc.Memory,
                                                                 tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    bucket = new_bucket(s3_server)
    bucket.put({"data/a.txt": b"a", "data/b.txt": b"bb"})
    options = {**bucket.options, "secret": OPTION_SECRET}
    errors: list[str] = []
    caplog.set_level(logging.INFO)  # client libraries at INFO and up (their DEBUG output is theirs: raw requests)
    with caplog.at_level(logging.DEBUG, logger="dagster_datachain"):
        dc.read_storage(bucket.uri("data/"), update=True, **options).map(n=size).settings(cache=True).save("sizes")

        with pytest.raises(dc.StorageError, match="credentials in the storage URI") as failed:
            dc.read_storage(f"s3://AKIAUSERINFO:{USERINFO_SECRET}@{bucket.name}/data/", **options)
        errors += [str(failed.value), failed.value.uri]

        with pytest.raises(dc.StorageError, match="not found") as failed:
            dc.File(source=bucket.uri(), path=signed("data/missing.txt")).read()
        errors += [str(failed.value), failed.value.uri]

        with pytest.raises(dc.StorageError, match="unsupported storage scheme") as failed:
            dc.read_storage(signed(f"https://{bucket.name}.s3.amazonaws.com/data/a.txt"))
        errors += [str(failed.value), failed.value.uri]

        with pytest.raises(dc.StorageError, match="not found") as failed:  # the secret option in the client's words
            dc.File(source=bucket.uri(), path=f"data/{OPTION_SECRET}.txt").read()
        errors += [str(failed.value), failed.value.uri]

    kb = tmp_path / "dc-knowledge"
    dc.build_knowledge_base(kb, memory=memory)
    cli = [sys.executable, "-m", "dagster_datachain.cli", "-o", f"endpoint_url={s3_server.url}", "-o", "key=testing",
           "-o", f"secret={OPTION_SECRET}"]
    for command in (["ls", f"s3://AKIAUSERINFO:{USERINFO_SECRET}@{bucket.name}/data/"],
                    ["cp", signed(bucket.uri(f"data/{OPTION_SECRET}.txt")), str(tmp_path / "out.txt")]):
        result = subprocess.run(cli + command, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        errors.append(result.stdout + result.stderr)

    assert "***" in "".join(errors) and bucket.name in errors[0]  # masked, and still saying where
    files = [p for root in (memory.root, kb) for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".md" for p in files) and any(p.suffix == ".duckdb" for p in files)
    for secret in SECRETS:
        assert not [text for text in errors if secret in text]
        assert secret not in caplog.text
        assert not [p for p in files if secret.encode() in p.read_bytes()]


def test_mask_secrets_keeps_what_is_not_secret() -> None:
    text = ("cannot read abfs://container@account.dfs.core.windows.net/a.txt and "
            "s3://KEY:pw@bucket/a.txt?versionId=3&sig=abc;AccountKey=xyz: endpoint http://127.0.0.1:9000/")
    assert mask_secrets(text) == ("cannot read abfs://container@account.dfs.core.windows.net/a.txt and "
                                  "s3://***@bucket/a.txt?versionId=3&sig=***;AccountKey=***: "
                                  "endpoint http://127.0.0.1:9000/")
