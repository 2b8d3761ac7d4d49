"""`python -m edge_assets.cli`: the same command as `edge-assets`, for subprocesses of the venv."""

import sys

from edge_assets.cli import main

sys.exit(main())
