"""``python -m tests.lab``: the default lab for ``scripts/demo``, until stdin closes or SIGTERM."""

from tests.lab import main

if __name__ == "__main__":
    main()
