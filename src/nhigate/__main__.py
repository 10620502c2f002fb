"""``python -m nhigate``."""

from nhigate.cli import main

raise SystemExit(main())
