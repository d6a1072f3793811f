from siteaudit.cli import main

raise SystemExit(main())
