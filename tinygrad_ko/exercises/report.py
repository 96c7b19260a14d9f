"""A check's result: the findings (code, severity, message) and the report a learner reads."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from ..messages import resolve_lang, text
from .codes import CODES, ERROR, SEVERITY, WARNING, Severity

__all__ = ["Finding", "Report"]

_MARKS = {ERROR: "✗", WARNING: "!"}


@dataclass(frozen=True)
class Finding:
    """One mistake found: its ``code`` (see :mod:`tinygrad_ko.exercises.codes`), ``severity`` and ``message``.

    ``severity`` is ``"error"`` (the code computes a wrong number or raises) or ``"warning"``
    (right numbers, but fragile); ``message`` is in the language the check was run in.

    >>> Finding("mutates-input", "warning", "...").severity
    'warning'
    """

    code: str
    severity: Severity
    message: str

    @classmethod
    def of(cls, code: str, message: str) -> Finding:
        """The finding ``code`` with its severity from :data:`~tinygrad_ko.exercises.codes.SEVERITY`."""
        return cls(code, SEVERITY[code], message)


class Report:
    """The findings about one class: true when none is an error; ``str()`` is the readable report.

    >>> report = Report("MulLayer", [], lang="en")
    >>> bool(report), str(report)
    (True, 'MulLayer: ✓ no mistakes found')
    """

    def __init__(self, name: str, findings: Iterable[Finding], lang: str | None = None) -> None:
        self.name = name
        # Errors first, in the order of the codes, then warnings: the first paragraph is the one to fix first.
        self.findings: list[Finding] = sorted(findings, key=lambda f: (f.severity != ERROR, CODES.index(f.code)))
        self.lang = resolve_lang(lang, "Report")

    @property
    def errors(self) -> list[Finding]:
        """The findings that are errors."""
        return [finding for finding in self.findings if finding.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that are warnings."""
        return [finding for finding in self.findings if finding.severity == WARNING]

    @property
    def codes(self) -> set[str]:
        """The codes of the findings (a set: for tests and for the command's summary)."""
        return {finding.code for finding in self.findings}

    def __bool__(self) -> bool:
        return not self.errors

    def _headline(self) -> str:
        if not self.findings:
            return text("exercises.report_ok", self.lang, name=self.name)
        if not self.errors:
            return text("exercises.report_warnings", self.lang, name=self.name, warnings=len(self.warnings))
        return text("exercises.report_errors", self.lang, name=self.name, errors=len(self.errors),
                    warnings=len(self.warnings))

    def _paragraph(self, finding: Finding) -> str:
        severity = text(f"exercises.severity_{finding.severity}", self.lang)
        return text("exercises.finding", self.lang, mark=_MARKS[finding.severity], code=finding.code,
                    severity=severity, message=finding.message)

    def __str__(self) -> str:
        return "\n\n".join([self._headline(), *(self._paragraph(finding) for finding in self.findings)])

    def __repr__(self) -> str:
        return f"Report({self.name!r}, findings={self.findings!r})"

    def _repr_html_(self) -> str:
        """The report for Jupyter: the headline and one paragraph per finding, every text escaped."""
        items = "".join(f"<li>{html.escape(self._paragraph(finding))}</li>" for finding in self.findings)
        listing = f"<ul style=\"white-space: pre-wrap\">{items}</ul>" if items else ""
        headline = f"<p><strong>{html.escape(self._headline())}</strong></p>"
        return f"<div class=\"tinygrad-ko-report\">{headline}{listing}</div>"
