"""``python -m tests.netlab``: see :mod:`tests.netlab`."""

import sys

from tests.netlab._cli import main

if __name__ == "__main__":
    sys.exit(main())
