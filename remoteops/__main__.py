from remoteops.cli import main

raise SystemExit(main())
