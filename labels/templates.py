"""Label templates: sheet and roll layouts kept as TOML files, sizes in mm.

A template is data: adding one is a new file in ``labels/templates/``
(docs/labels.md lists the keys).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from appletrace.trace.errors import InvalidInput

FIELDS = (
    "lot",
    "place",
    "altitude",
    "origin",
    "slogan",
    "slogan_zh",
    "slogan_en",
    "number",
)
TEXT_POSITIONS = ("right", "below")
DPIS = (203, 300, 600)


@dataclass(frozen=True)
class Line:
    """One line of text on a label: which field, at what size in points."""

    field: str
    size_pt: float


@dataclass(frozen=True)
class Template:
    """Where labels sit on a page and what each shows; lengths in mm."""

    name: str
    description: str
    page_mm: tuple[float, float]
    label_mm: tuple[float, float]
    columns: int
    rows: int
    first_mm: tuple[float, float]
    pitch_mm: tuple[float, float]
    padding_mm: float
    text: str
    dpi: int
    lines: tuple[Line, ...]

    @property
    def per_page(self) -> int:
        """Labels on one page."""
        return self.columns * self.rows

    @property
    def is_roll(self) -> bool:
        """One label per page, the page the size of the label."""
        return self.per_page == 1 and self.page_mm == self.label_mm


def template_names() -> list[str]:
    """Names of the templates shipped with the package."""
    folder = files("appletrace.labels") / "templates"

    return sorted(
        p.name.removesuffix(".toml")
        for p in folder.iterdir()
        if p.name.endswith(".toml")
    )


def load_template(name: str) -> Template:
    """The shipped template with this name, checked; InvalidInput if none."""
    if name not in template_names():
        raise InvalidInput(
            "template",
            f"template {name!r} does not exist; choose one of "
            f"{', '.join(template_names())}",
        )

    path = files("appletrace.labels") / "templates" / f"{name}.toml"

    return parse_template(name, tomllib.loads(path.read_text(encoding="utf-8")))


def parse_template(name: str, data: dict[str, Any]) -> Template:
    """Build a template from TOML data; InvalidInput names the first bad key."""
    try:
        template = Template(
            name=name,
            description=str(data["description"]),
            page_mm=_pair(data["page_mm"]),
            label_mm=_pair(data["label_mm"]),
            columns=int(data["columns"]),
            rows=int(data["rows"]),
            first_mm=_pair(data["first_mm"]),
            pitch_mm=_pair(data["pitch_mm"]),
            padding_mm=float(data["padding_mm"]),
            text=str(data["text"]),
            dpi=int(data["dpi"]),
            lines=tuple(
                Line(str(x["field"]), float(x["size_pt"])) for x in data["lines"]
            ),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput(
            "template", f"template {name!r}: bad or missing {error}"
        ) from None

    _check(template)

    return template


def _pair(value: Any) -> tuple[float, float]:
    first, second = value

    return float(first), float(second)


def _check(t: Template) -> None:
    problems = []
    if t.text not in TEXT_POSITIONS:
        problems.append(f"text must be one of {', '.join(TEXT_POSITIONS)}")

    if t.dpi not in DPIS:
        problems.append(f"dpi must be one of {', '.join(map(str, DPIS))}")

    if t.columns < 1 or t.rows < 1:
        problems.append("columns and rows must be at least 1")

    for axis in (0, 1):
        far = t.first_mm[axis] + (t.pitch_mm[axis]) * ((t.columns, t.rows)[axis] - 1)
        if far + t.label_mm[axis] > t.page_mm[axis] + 1e-6:
            problems.append("the labels run off the page")

    if any(p < s for p, s in zip(t.pitch_mm, t.label_mm, strict=True)):
        problems.append("the pitch is smaller than the label: labels overlap")

    problems += [f"unknown field {x.field!r}" for x in t.lines if x.field not in FIELDS]
    if problems:
        raise InvalidInput("template", f"template {t.name!r}: {'; '.join(problems)}")
