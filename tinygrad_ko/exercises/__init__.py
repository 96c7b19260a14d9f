"""Check your own code: the chapter's layers and a micrograd-style engine, diagnosed in the book's words.

:func:`check_layer` runs a learner's ``MulLayer``, ``AddLayer``, ``Relu``, ``Sigmoid``,
``Affine`` or ``SoftmaxWithLoss`` the book's way; :func:`check_value_class` runs a learner's
``Value``.  Each returns a :class:`Report`: true when no :class:`Finding` is an error, and
readable as ``str(report)``.  A finding's ``code`` names the mistake (:mod:`.codes`):
``swapped-inputs``, ``missing-upstream``, ``reuse-not-accumulated``, ...

>>> from tinygrad_ko.exercises import check_layer
>>> class MulLayer:
...     def forward(self, x, y):
...         self.x, self.y = x, y
...         return x * y
...     def backward(self, dout):
...         return dout * self.x, dout * self.y   # the inputs not swapped
>>> report = check_layer(MulLayer, lang="en")
>>> bool(report), [finding.code for finding in report.findings]
(False, ['swapped-inputs'])
"""

from .codes import CODES, SEVERITY
from .engines import check_value_class
from .layers import CLASS_NAMES, KINDS, check_layer
from .report import Finding, Report

__all__ = ["CLASS_NAMES", "CODES", "KINDS", "SEVERITY", "Finding", "Report", "check_layer", "check_value_class"]
