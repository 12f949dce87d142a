"""DataChain's `metrics`: named values a script records about its run (`metrics.set("acc", 0.9)`), shown on the
process's job (`chain.job.metrics`)."""

from __future__ import annotations

metrics: dict[str, str | int | float | bool | None] = {}


def set(key: str, value: str | int | float | bool | None) -> None:  # noqa: A001 - DataChain's name
    """Record the metric `key` (a non-empty string) with a str, int, float, bool or None value.

    Example:
        >>> metrics.set("accuracy", 0.93)
    """
    if not isinstance(key, str):
        raise TypeError("Key must be a string")
    if not key:
        raise ValueError("Key must not be empty")
    if not isinstance(value, (str, int, float, bool, type(None))):
        raise TypeError("Value must be a string, int, float or bool")
    metrics[key] = value


def get(key: str) -> str | int | float | bool | None:
    """The value recorded for `key` (KeyError when none was)."""
    return metrics[key]
