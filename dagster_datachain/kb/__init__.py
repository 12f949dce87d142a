"""The Knowledge Base (`dc-knowledge/`): markdown pages generated from Data Memory, and the agent skill."""

from .build import KnowledgeBaseReport, build_knowledge_base

__all__ = ["KnowledgeBaseReport", "build_knowledge_base"]
