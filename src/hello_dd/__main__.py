from hello_dd.cli import main

raise SystemExit(main())
