"""`python -m pipeline` runs the peitu CLI."""

from .cli import main

main()
