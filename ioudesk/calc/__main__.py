"""``python -m ioudesk.calc …`` runs the calculator CLI."""
import sys

from ioudesk.calc.cli import main

sys.exit(main())
