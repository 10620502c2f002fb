"""``python -m nhigate``."""

from nhigate.cli import run

run()
