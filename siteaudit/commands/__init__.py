"""The CLI's commands, one module per family, each imported only when its command runs (siteaudit.cli.COMMANDS)."""
