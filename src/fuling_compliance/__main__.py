"""``python -m fuling_compliance``: the ``fuling-compliance`` command line."""

from .cli import main

if __name__ == "__main__":
    main()
