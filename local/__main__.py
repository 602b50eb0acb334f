import sys

from local.platform import main

sys.exit(main())
