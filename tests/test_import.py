"""`import dagster_datachain` is cheap: heavy libraries load when a script first uses what needs them."""

import subprocess
import sys

HEAVY = ("duckdb", "pyarrow", "pandas", "dagster", "pydantic", "fsspec", "numpy")


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_import_loads_no_heavy_library() -> None:
    loaded = _run(f"import sys, dagster_datachain\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert loaded == "[]"


def test_a_plain_script_never_loads_dagster() -> None:
    code = ("import sys, dagster_datachain as dc\n"
            "assert dc.read_values(x=[1, 2, 3]).sum('x') == 6\n"
            "print('dagster' in sys.modules)")
    assert _run(code) == "False"


def test_every_public_name_resolves() -> None:
    import dagster_datachain as dc

    missing = [name for name in dc.__all__ if getattr(dc, name, None) is None]
    assert missing == []
    assert dc.Column is dc.C
    assert set(dc.__all__) <= set(dir(dc))
    try:
        dc.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
