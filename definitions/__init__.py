"""The demo Dagster project: the reference README's walkthrough as dataset assets (see definitions.defs)."""
