"""``python -m fuling_compliance.cli``: the ``fuling-compliance`` command line."""

from . import main

if __name__ == "__main__":
    main()
