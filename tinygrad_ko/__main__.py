"""``python -m tinygrad_ko``: the ``tinygrad-ko`` command (see :mod:`tinygrad_ko.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
