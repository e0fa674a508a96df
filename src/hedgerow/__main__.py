from hedgerow.cli import main

raise SystemExit(main())
