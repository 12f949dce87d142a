"""A plain script, with no logging configured, prints on stderr what the reference prints: resumes, delta
summaries, saves and a progress bar on a terminal; logging configuration or DATACHAIN_QUIET silences it."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

SIZES = textwrap.dedent(
    """
    import sys
    import dagster_datachain as dc

    def size(file: dc.File) -> int:
        return len(file.read())

    dc.read_storage(sys.argv[1], delta=True).map(size=size).save("sizes")
    """
)

ENCODE = textwrap.dedent(
    """
    import os
    import dagster_datachain as dc

    def encode(num: int) -> int:
        if num == int(os.environ.get("FAIL_AT", "-1")):
            raise RuntimeError("some bug")
        return num * 2

    dc.read_values(num=list(range(30))).settings(batch_size=10).map(doubled=encode).save("encoded")
    """
)


def run_script(tmp_path: Path, source: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(source)
    environment = {**os.environ, "DATACHAIN_ROOT_DIR": str(tmp_path / "dm"), **env}
    if "DATACHAIN_QUIET" not in env:
        environment.pop("DATACHAIN_QUIET", None)
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=environment,
                          cwd=tmp_path, timeout=120)


def lines(stderr: str, *prefixes: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(prefixes)]


def write_files(folder: Path, names: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_text(f"content of {name}")


def test_delta_run_prints_skipped_processed_and_saved_counts(tmp_path):
    folder = tmp_path / "bucket"
    write_files(folder, ["a.txt", "b.txt", "c.txt"])
    first = run_script(tmp_path, SIZES, str(folder))
    assert first.returncode == 0, first.stderr
    assert lines(first.stderr, "Saved") == ["Saved sizes@1.0.0 (3 records)"]

    write_files(folder, ["d.txt", "e.txt"])
    second = run_script(tmp_path, SIZES, str(folder))
    assert second.returncode == 0, second.stderr
    assert lines(second.stderr, "Skipping", "Saved") == [
        "Skipping 3 unchanged · processing 2 new",
        "Saved sizes@1.0.1 (+2 records)",
    ]


def test_resumed_udf_says_how_far_its_checkpoint_got(tmp_path):
    failed = run_script(tmp_path, ENCODE, FAIL_AT="25")
    assert failed.returncode != 0
    assert "some bug" in failed.stderr

    resumed = run_script(tmp_path, ENCODE)
    assert resumed.returncode == 0, resumed.stderr
    [message] = lines(resumed.stderr, "UDF 'encode': Continuing")
    done = int(message.split("(")[1].split(" of ")[0])
    assert 20 <= done < 30
    assert message == f"UDF 'encode': Continuing from checkpoint ({done} of 30 rows done)"


def test_quiet_by_environment_or_by_the_standard_logging_configuration(tmp_path):
    folder = tmp_path / "bucket"
    write_files(folder, ["a.txt"])
    quiet = run_script(tmp_path, SIZES, str(folder), DATACHAIN_QUIET="1")
    assert quiet.returncode == 0 and quiet.stderr == ""

    configured = "import logging\nlogging.getLogger('dagster_datachain').setLevel(logging.WARNING)\n" + SIZES
    silenced = run_script(tmp_path, configured, str(folder), DATACHAIN_ROOT_DIR=str(tmp_path / "other-dm"))
    assert silenced.returncode == 0 and silenced.stderr == ""


def test_configured_logging_receives_the_messages_once(tmp_path):
    folder = tmp_path / "bucket"
    write_files(folder, ["a.txt"])
    configured = "import logging\nlogging.basicConfig(format='LOG %(message)s', level=logging.INFO)\n" + SIZES
    result = run_script(tmp_path, configured, str(folder))
    assert result.returncode == 0, result.stderr
    assert lines(result.stderr, "LOG Saved") == ["LOG Saved sizes@1.0.0 (1 records)"]
    assert lines(result.stderr, "Saved") == []  # the console handler stepped aside


def test_progress_bar_on_a_terminal(tmp_path):
    slow = ENCODE.replace("return num * 2", "import time; time.sleep(0.01); return num * 2")
    script = tmp_path / "script.py"
    script.write_text(slow)
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # a terminal 100 columns wide
    environment = {**os.environ, "DATACHAIN_ROOT_DIR": str(tmp_path / "dm")}
    environment.pop("DATACHAIN_QUIET", None)
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=secondary,
                               env=environment, cwd=tmp_path)
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=120) == 0
    text = output.decode(errors="replace")
    assert "UDF 'encode'" in text and "30/30" in text  # tqdm's bar reached the end
    assert "Saved encoded@1.0.0 (30 records)" in text


def test_a_failure_prints_the_error_and_no_success_summary(tmp_path):
    failing = ENCODE.replace('int(os.environ.get("FAIL_AT", "-1"))', "0")
    result = run_script(tmp_path, failing)
    assert result.returncode != 0 and "some bug" in result.stderr
    assert "processed" not in result.stderr and "Saved" not in result.stderr

    missing = run_script(tmp_path, SIZES, str(tmp_path / "no-such-folder"))
    assert missing.returncode != 0 and "no such directory" in missing.stderr
    assert "Listed" not in missing.stderr
