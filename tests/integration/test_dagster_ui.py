"""The demo project in a real dagster-webserver: GraphQL shows the datasets, their lineage and latest metadata,
and headless Chromium finds them on the asset graph page."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
DATASETS = ["pets_images", "pets_embeddings", "pet_breeds", "pet_masks", "dogs_with_masks", "similar_to_reference"]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(base: str, query: str, variables: dict | None = None) -> dict:
    body = requests.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, timeout=60).json()
    assert not body.get("errors"), body.get("errors")
    return body["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("dagster-ui")
    home = work / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "DC_DEMO_ROOT": str(work / "demo"),
           "DATACHAIN_ROOT_DIR": str(work / "datachain"), "PYTHONPATH": str(REPO)}
    demo = subprocess.run([sys.executable, "-m", "definitions.demo"], cwd=work, env=env, check=True,
                          capture_output=True, text=True, timeout=300)  # what `make demo` runs
    summary = demo.stdout.splitlines()
    assert summary[0].startswith(f"Built {len(DATASETS)} datasets")
    assert {line.split("@")[0].strip() for line in summary[1:len(DATASETS) + 1]} == set(DATASETS)
    assert "The 3 images closest to fiona.jpg" in demo.stdout and "make dev" in demo.stdout
    assert "DEBUG" not in demo.stdout + demo.stderr  # no event flood
    port = free_port()
    log = open(work / "webserver.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([str(BIN / "dagster-webserver"), "-w", str(REPO / "workspace.yaml"),
                                "-h", "127.0.0.1", "-p", str(port)], cwd=work, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_loaded(base, process, work / "webserver.log")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_until_loaded(base: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster-webserver exited: {log.read_text()[-2000:]}")
        try:
            entries = graphql(base, query)["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
        except (requests.ConnectionError, requests.ReadTimeout, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"dagster-webserver did not load the workspace in {timeout}s: {log.read_text()[-2000:]}")


def test_graphql_shows_datasets_with_lineage(webserver):
    nodes = graphql(webserver, "{ assetNodes { assetKey { path } dependencyKeys { path } } }")["assetNodes"]
    deps = {"/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]} for n in nodes}
    assert set(DATASETS) <= set(deps)
    assert deps["pets_embeddings"] == {"pets_images"}
    assert deps["dogs_with_masks"] == {"pets_embeddings", "pet_breeds", "pet_masks"}
    assert deps["similar_to_reference"] == {"dogs_with_masks"}
    assert any(key.startswith("bucket/file/") for key in deps["pets_images"])


def test_graphql_shows_latest_materialization_metadata(webserver):
    query = """query($keys: [AssetKeyInput!]) { assetNodes(assetKeys: $keys) { assetKey { path }
        assetMaterializations(limit: 1) { metadataEntries { label
            ... on TextMetadataEntry { text } ... on IntMetadataEntry { intValue } } } } }"""
    nodes = graphql(webserver, query, {"keys": [{"path": ["pets_images"]}, {"path": ["similar_to_reference"]}]})
    entries = {n["assetKey"]["path"][0]: {e["label"]: e for e in n["assetMaterializations"][0]["metadataEntries"]}
               for n in nodes["assetNodes"]}
    assert entries["pets_images"]["dagster_datachain/dataset"]["text"] == "pets_images@1.0.0"
    assert entries["pets_images"]["dagster/row_count"]["intValue"] == 56  # 7 breeds x 8 generated images
    assert entries["similar_to_reference"]["dagster/row_count"]["intValue"] == 3
    assert {"dagster/column_schema", "dagster_datachain/preview", "dagster_datachain/knowledge_base_page",
            "dagster_datachain/thumbnails", "dagster_datachain/version"} <= set(entries["pets_images"])


@contextmanager
def chromium_page(url: str) -> Iterator[Any]:
    """Headless Debian Chromium (never a downloaded build) on `url`, with the flags this closed network needs."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url, timeout=60_000)
            yield page
        finally:
            browser.close()


def dismiss_dialog(page: Any) -> None:
    """A first-visit newsletter dialog may cover the page."""
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.click()


@pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium is not installed (apt-get install chromium)")
def test_asset_graph_page_shows_dataset_names(webserver, tmp_path):
    with chromium_page(f"{webserver}/locations/dagster_datachain_demo/asset-groups/datasets/lineage") as page:
        page.get_by_text("pets_images", exact=True).first.wait_for(timeout=60_000)
        dismiss_dialog(page)
        for name in DATASETS:
            page.get_by_text(name, exact=True).first.wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / "asset-graph.png"))
    assert (tmp_path / "asset-graph.png").stat().st_size > 10_000


@pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium is not installed (apt-get install chromium)")
def test_asset_events_page_shows_image_thumbnails(webserver, tmp_path):
    with chromium_page(f"{webserver}/assets/pets_images?view=events") as page:
        row = page.locator("tr", has_text="dagster_datachain/thumbnails").first
        row.wait_for(timeout=60_000)
        dismiss_dialog(page)
        row.get_by_text("Show Markdown").click()
        thumbnail = page.locator('img[src^="data:image/jpeg;base64,"]').first
        thumbnail.wait_for(timeout=30_000)
        widths = page.locator('img[src^="data:image/jpeg;base64,"]').evaluate_all(
            "images => images.map(image => image.naturalWidth)")
        page.screenshot(path=str(tmp_path / "thumbnails.png"))
    assert 1 <= len(widths) <= 4 and all(0 < width <= 64 for width in widths)
