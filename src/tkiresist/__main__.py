"""``python -m tkiresist`` runs the CLI."""

from tkiresist.cli import main

main()
