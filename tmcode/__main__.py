"""Run the command line as ``python -m tmcode``."""

from tmcode._cli import main

main()
