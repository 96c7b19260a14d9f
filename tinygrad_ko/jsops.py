"""The JavaScript kind of number at the path docs/en/api.md gave it before the house plan.

It lives in :mod:`tinygrad_ko.pages.jsops`; this module names the same objects (not copies).
"""

from .pages.jsops import (
           FORMAT,
           JS,
           RUNTIME,
           JSExpr,
           forward_source,
           local_sources,
           messages,
           op_table_source,
           runtime_source,
)

__all__ = ["FORMAT", "JS", "RUNTIME", "JSExpr", "forward_source", "local_sources", "messages", "op_table_source",
           "runtime_source"]
