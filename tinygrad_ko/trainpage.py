"""The training page's functions at the path docs/en/api.md gave them before the house plan.

They live in :mod:`tinygrad_ko.pages.training`; this module names the same objects (not copies).
"""

from .pages.training import (
    MAX_DRAWN_NODES,
    MAX_SNAPSHOTS,
    STAND_IN_HIDDEN,
    Recording,
    record,
    training_page,
    write_training_page,
)

__all__ = ["MAX_DRAWN_NODES", "MAX_SNAPSHOTS", "STAND_IN_HIDDEN", "Recording", "record", "training_page",
           "write_training_page"]
