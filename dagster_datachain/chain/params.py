"""DataChain's `param()`: parameters a script is run with, given as a JSON object in `DATACHAIN_QUERY_PARAMS`."""

from __future__ import annotations

import json
import os

PARAMS_ENV_VAR = "DATACHAIN_QUERY_PARAMS"


def all_params() -> dict[str, str]:
    """Every parameter of this run (empty when none were given); ValueError when the variable is not a JSON object."""
    text = os.environ.get(PARAMS_ENV_VAR)
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        raise ValueError("Invalid params provided") from None
    if not isinstance(parsed, dict):
        raise ValueError("Invalid params provided")
    return parsed


def param(key: str, default: str | None = None) -> str | None:
    """The run parameter `key`, else `default`.

    Example:
        >>> limit = int(param("limit", "100"))
    """
    if not isinstance(key, str):
        raise TypeError("Param key must be a string")
    return all_params().get(key, default)
