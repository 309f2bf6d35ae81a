"""Import decisions as readings: what was decided, about what, and on which evidence.

Every decision that changes what is stored — a row left out as a totals row, a sheet left out
as a helper, a column read as a code rather than a number, a sheet read as the plan — is a
:class:`Reading`. It names

- ``decision``: a catalog key (``reading.<decision>`` in :mod:`retro.i18n`) that says it in words;
- ``evidence``: what it rests on, one of :data:`EVIDENCE` (a formula in the cell, a sum relation
  between rows or columns, the values' pattern, the header's words, the position, the sheet's
  name or title, the sheet's content compared with another sheet's);
- ``strength``: "strong" when the evidence is a fact of the workbook (a ``=SUM(…)`` formula, an
  exact sum relation, a pivot-table part, rows that all stand on another sheet), "weak" when it
  is a guess from words or a pattern that could be a coincidence.

A weak reading that changes totals is also a warning: the preview asks, the CLI's JSON lists it
with ``assumed: true``, and the user's correction is remembered with the layout. Readings carry
only plain values (their params are JSON), so they travel into the import record unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EVIDENCE = ("formula", "sum", "values", "header", "position", "name", "content", "structure")
STRENGTHS = ("strong", "weak")


@dataclass(frozen=True)
class Reading:
    decision: str
    evidence: str
    strength: str = "strong"
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.evidence not in EVIDENCE:
            raise ValueError(f"unknown evidence {self.evidence!r}")
        if self.strength not in STRENGTHS:
            raise ValueError(f"unknown strength {self.strength!r}")

    @property
    def weak(self) -> bool:
        return self.strength == "weak"

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "evidence": self.evidence, "strength": self.strength,
                "params": dict(self.params)}
