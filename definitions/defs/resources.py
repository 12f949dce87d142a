"""The Data Memory resource and the dataset IO manager every dataset asset uses."""

import dagster as dg

import dagster_datachain as dc


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=dc.datachain_resources())
