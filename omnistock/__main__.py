"""`python -m omnistock` runs the command line."""

import sys

from omnistock.cli import main

sys.exit(main())
