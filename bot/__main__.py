"""`python -m bot` is the `upward` command."""

from bot.cli import main

main()
