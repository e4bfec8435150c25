"""The consumer page's history lines: when the record last changed, corrections.

A correction is shown as one: the field, the value before and the value after,
with when it was made (trace.changes reads them from the audit chain).
"""

from __future__ import annotations

import json
from typing import Any

from appletrace.trace.changes import Correction, LotChanges
from appletrace.web.consumer_text import local_time

TEXT = {
    "zh": {
        "last_changed": "记录最后更新：{at}",
        "corrections": "更正记录",
        "line": "{at} 更正{what}：{before} → {after}",
        "findings": "{n} 项",
        "yes": "合格",
        "no": "不合格",
        "empty": "（空）",
    },
    "en": {
        "last_changed": "Record last changed: {at}",
        "corrections": "Corrections",
        "line": "{at} corrected {what}: {before} → {after}",
        "findings": "{n} findings",
        "yes": "passed",
        "no": "failed",
        "empty": "(empty)",
    },
}
# (entity, field) -> (zh, en) as the page names them.
FIELDS = {
    ("lot", "variety"): ("品种", "variety"),
    ("lot", "window_start"): ("生长期开始", "start of the growing window"),
    ("lot", "harvested_on"): ("采收日期", "harvest date"),
    ("lot", "grade"): ("等级", "grade"),
    ("orchard", "name"): ("果园名称", "orchard name"),
    ("orchard", "county_code"): ("县区", "county"),
    ("orchard", "township"): ("乡镇", "township"),
    ("orchard", "village"): ("村", "village"),
    ("orchard", "latitude"): ("纬度", "latitude"),
    ("orchard", "longitude"): ("经度", "longitude"),
    ("orchard", "altitude_m"): ("海拔（米）", "altitude (m)"),
    ("inspection", "lab"): ("检测机构", "inspection lab"),
    ("inspection", "inspected_on"): ("检测日期", "inspection date"),
    ("inspection", "passed"): ("检测结论", "inspection result"),
    ("inspection", "residues"): ("检测数据", "inspection findings"),
}


def history_lines(changes: LotChanges, lang: str, timezone: str) -> dict[str, Any]:
    """The 'last changed' line and one line per correction, newest first."""
    text = TEXT[lang]
    if changes.last_changed is None:
        return {"last_changed": "", "corrections_title": "", "corrections": []}

    at = local_time(changes.last_changed, timezone)
    return {
        "last_changed": text["last_changed"].format(at=at),
        "corrections_title": text["corrections"],
        "corrections": [_line(c, lang, timezone) for c in changes.corrections],
    }


def _line(correction: Correction, lang: str, timezone: str) -> str:
    text = TEXT[lang]
    names = FIELDS.get((correction.entity, correction.field))
    what = correction.field if names is None else names[0 if lang == "zh" else 1]

    return text["line"].format(
        at=local_time(correction.at, timezone),
        what=what,
        before=_value(correction, correction.before, text),
        after=_value(correction, correction.after, text),
    )


def _value(correction: Correction, value: Any, text: dict[str, str]) -> str:
    if correction.field == "residues":
        findings = json.loads(value) if isinstance(value, str) else value or []
        return text["findings"].format(n=len(findings))

    if isinstance(value, bool):
        return text["yes"] if value else text["no"]

    if value is None or value == "":
        return text["empty"]

    return str(value)
