#!/usr/bin/env python
"""Django's command-line utility for IOU Desk (same as the `ioudesk` console script)."""
import sys

from ioudesk.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
