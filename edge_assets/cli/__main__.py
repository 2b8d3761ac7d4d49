"""`python -m edge_assets.cli`: the same command as `edge-assets`, for subprocesses of the venv."""

import sys

from edge_assets.cli import main

# Guarded: the multiprocess executor's spawned workers import this module again as `__mp_main__`,
# and must not re-run the command.
if __name__ == "__main__":
    sys.exit(main())
