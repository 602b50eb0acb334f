import sys

from einvoice.local.platform import main

sys.exit(main())
