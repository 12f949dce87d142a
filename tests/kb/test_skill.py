"""The agent skill: where each agent's file goes, that uninstall removes only ours, and that it names real API."""

from __future__ import annotations

import inspect
import re

import pytest

import dagster_datachain as dc
from dagster_datachain.kb.skill import BEGIN, TARGETS, install_skill, list_skills, skill_text, uninstall_skill


@pytest.fixture
def places(tmp_path, monkeypatch):
    """A project folder as the working directory and a home folder of its own."""
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOME", str(home))
    return project, home


@pytest.fixture(scope="module")
def claude_skill() -> str:
    return skill_text("claude")


def test_each_target_installs_where_its_agent_reads_and_uninstalls_cleanly(places):
    project, home = places
    expected = {
        ("claude", True): project / ".claude/skills/datachain/SKILL.md",
        ("claude", False): home / ".claude/skills/datachain/SKILL.md",
        ("cursor", True): project / ".cursor/rules/datachain.mdc",
        ("codex", True): project / "AGENTS.md",
        ("codex", False): home / ".codex/AGENTS.md",
    }
    for (target, local), path in expected.items():
        assert install_skill(target, local=local) == path
        assert "dc-knowledge/index.md" in path.read_text()
    assert {(s.target, s.scope == "project"): s.installed for s in list_skills()} == dict.fromkeys(expected, True)
    for target, local in expected:
        assert uninstall_skill(target, local=local) == expected[(target, local)]
    assert not any(s.installed for s in list_skills())
    assert list(project.iterdir()) == [] and list(home.iterdir()) == []
    assert uninstall_skill("claude", local=True) is None


def test_cursor_rules_are_per_project():
    with pytest.raises(dc.DataChainError, match="--local"):
        install_skill("cursor")


def test_codex_section_replaces_itself_and_leaves_the_rest_of_agents_md(places):
    project, _ = places
    mine = "# Team rules\n\nRun `make test` before pushing.\n"
    (project / "AGENTS.md").write_text(mine)
    install_skill("codex", local=True)
    install_skill("codex", local=True)
    text = (project / "AGENTS.md").read_text()
    assert text.startswith(mine) and text.count(BEGIN) == 1
    uninstall_skill("codex", local=True)
    assert (project / "AGENTS.md").read_text() == mine


def test_front_matter_of_each_format():
    assert skill_text("claude").startswith("---\nname: datachain\ndescription: ")
    assert skill_text("cursor").startswith("---\ndescription: ")
    assert "alwaysApply: false" in skill_text("cursor")
    assert skill_text("codex").startswith(BEGIN)


def test_the_skill_teaches_the_knowledge_base_the_rules_and_dagster(claude_skill):
    for phrase in ("dc-knowledge/index.md", "dc-knowledge/datasets/<name>.md", "dagster-datachain kb build",
                   "Reuse saved datasets", "Save each expensive step", "One script per stage",
                   "@dc.dataset_asset()", "dc.datachain_resources()"):
        assert phrase in claude_skill


def test_the_cheat_sheet_covers_the_whole_public_api(claude_skill):
    for name in dc.__all__:
        assert f"`dc.{name}" in claude_skill, name
    for name, member in vars(dc.DataChain).items():
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
            assert f"`.{name}" in claude_skill, name
    assert ("`dc.read_dataset(name, version=None, *, delta=False, delta_on=None, delta_unsafe=False, "
            "delta_retry=None, session=None, memory=None)`") in claude_skill


def test_every_api_name_the_skill_mentions_exists(claude_skill):
    for dotted in set(re.findall(r"\bdc((?:\.\w+)+)", claude_skill)):
        target = dc
        for part in dotted.strip(".").split("."):
            assert hasattr(target, part), f"dc{dotted}"
            target = getattr(target, part)
    chain_like = [dc.DataChain, dc.Expr, dc.ImageFile, dc, dc.func, dc.func.path, dc.func.string, dc.func.array,
                  dc.metrics]
    elsewhere = {"BytesIO", "open", "Definitions"}  # io, PIL and dagster in the examples
    for method in set(re.findall(r"\.(\w+)\(", claude_skill)) - elsewhere:
        assert any(hasattr(owner, method) for owner in chain_like), method


def test_every_target_is_listed():
    assert {s.target for s in list_skills()} == set(TARGETS)
