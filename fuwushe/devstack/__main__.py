import sys

from fuwushe.devstack.cli import main

sys.exit(main())
