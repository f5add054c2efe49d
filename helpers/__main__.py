"""`python -m helpers run|app|sample`: see `helpers.cli`."""

from .cli import main

raise SystemExit(main())
