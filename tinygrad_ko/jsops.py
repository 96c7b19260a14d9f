"""The JavaScript kind of number at the path docs/en/api.md gave it before the house plan.

It lives in :mod:`tinygrad_ko.pages.jsops`; this module names the same objects (not copies).
The runtime and number format, once the strings ``RUNTIME`` and ``FORMAT``, are the template
file ``pages/templates/runtime.js`` (:func:`runtime_source`).
"""

from .pages.jsops import (
           ENGINE_MESSAGES,
           JS,
           JSExpr,
           forward_source,
           local_sources,
           messages,
           op_table_source,
           runtime_source,
)

__all__ = ["ENGINE_MESSAGES", "JS", "JSExpr", "forward_source", "local_sources", "messages", "op_table_source",
           "runtime_source"]
