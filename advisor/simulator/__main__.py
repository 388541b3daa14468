from advisor.simulator import main

raise SystemExit(main())
