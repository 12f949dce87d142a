"""The Knowledge Base (`dc-knowledge/`): markdown pages generated from Data Memory, and the agent skill."""

from .build import KnowledgeBaseReport, build_knowledge_base
from .skill import install_skill, list_skills, uninstall_skill

__all__ = ["KnowledgeBaseReport", "build_knowledge_base", "install_skill", "list_skills", "uninstall_skill"]
