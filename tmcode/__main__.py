"""Run the command line as ``python -m tmcode``."""

from tmcode.cli import main

main()
