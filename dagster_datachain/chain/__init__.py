"""The chain API: lazy, immutable chains of query and UDF steps over files, datasets and values."""
