"""`python -m cli`: the same as the `dailyai` command."""

from cli import main

raise SystemExit(main())
