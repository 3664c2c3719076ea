"""`python -m manifestlint`."""

from manifestlint.cli import main

main()
