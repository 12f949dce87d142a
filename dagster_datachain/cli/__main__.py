"""`python -m dagster_datachain.cli`: the command line, as `dagster-datachain` runs it."""

import sys

from . import main

sys.exit(main())
