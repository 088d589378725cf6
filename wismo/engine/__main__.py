"""`python -m wismo.engine` = `wismo engine` (how `wismo up` starts it)."""

import sys

from wismo.cli import main

sys.exit(main(["engine", *sys.argv[1:]]))
