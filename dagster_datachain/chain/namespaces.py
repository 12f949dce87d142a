"""DataChain's namespaces and projects as its local mode has them: one namespace `local` with one project
`local` holding every dataset, and `system.listing` holding storage listings. Nothing can be created or removed."""

from __future__ import annotations

from ..errors import (
    InvalidNamespaceNameError,
    NamespaceDeleteNotAllowedError,
    NamespaceNotFoundError,
    ProjectCreateNotAllowedError,
    ProjectDeleteNotAllowedError,
    ProjectNotFoundError,
)
from .session import Session

DEFAULT_NAMESPACE = "local"
DEFAULT_PROJECT = "local"
SYSTEM_NAMESPACE = "system"
LISTING_PROJECT = "listing"
_PROJECTS = {DEFAULT_NAMESPACE: DEFAULT_PROJECT, SYSTEM_NAMESPACE: LISTING_PROJECT}


def is_studio() -> bool:
    """Whether this runs in DataChain Studio: never here."""
    return False


def is_local() -> bool:
    """Whether this runs locally (not in Studio): always here."""
    return not is_studio()


def check_project(namespace: str, project: str) -> None:
    """Saving is possible in `local.local` only: another project would have to be created, which DataChain's local
    mode refuses."""
    if (namespace, project) != (DEFAULT_NAMESPACE, DEFAULT_PROJECT):
        raise ProjectCreateNotAllowedError("Creating project is not allowed")


def create_project(namespace: str, name: str, descr: str | None = None, session: Session | None = None) -> None:
    """Refused, as in DataChain's local mode: datasets live in the one project `local.local`."""
    raise ProjectCreateNotAllowedError("Creating project is not allowed")


def delete_namespace(name: str, session: Session | None = None) -> None:
    """Remove a namespace (`"dev"`) or a project (`"dev.proj"`); the namespaces and projects that exist here are
    the default and system ones, which cannot be removed, so this raises as DataChain's local mode does."""
    parts = name.split(".")
    if len(parts) > 2:
        raise InvalidNamespaceNameError(f"Invalid namespace format: {name}. Expected 'namespace' or 'ns1.ns2'.")
    namespace = parts[0]
    if len(parts) == 2 and _PROJECTS.get(namespace) != parts[1]:
        raise ProjectNotFoundError(f"Project {parts[1]} in namespace {namespace} not found.")
    if namespace not in _PROJECTS:
        raise NamespaceNotFoundError(f"Namespace {namespace} not found.")
    if len(parts) == 1:
        raise NamespaceDeleteNotAllowedError(f"Namespace {namespace} cannot be removed")
    raise ProjectDeleteNotAllowedError(f"Project {parts[1]} cannot be removed")
