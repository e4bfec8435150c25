"""Words of the consumer page in Chinese and English, and the lines built from them.

Pure: the numbers come from a lot's provenance (``LotProvenance.as_dict()``) and
are only formatted here, never computed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = ("zh", "en")

# From this many scans on the page warns that the code may have been copied; a
# family scanning one apple two or three times is normal.
WARN_FROM_SCANS = 4

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-CN",
        "title": "昭通苹果溯源",
        "genuine": "正品 · 已验证",
        "genuine_sub": "这枚苹果的标签码由包装厂签发，验证通过。",
        "lot_only": "批次信息",
        "lot_only_sub": "此码只标明批次，不能单独验证某一个苹果。",
        "recalled": "此批次已召回",
        "recalled_run": "此批标签已召回",
        "recalled_sub": "请不要食用，并联系下方电话。原因：{reason}（{at}）",
        "unknown": "无法识别的码",
        "first_scan": "这是此码的第一次查询。",
        "scans": "此码已被查询 {count} 次，第一次是 {first}{place}。",
        "warn": (
            "查询次数较多：此码可能被复制过。请对比第一次查询的时间和您购买的时间。"
        ),
        "growing": "生长环境",
        "altitude": "海拔",
        "altitude_v": "{m} 米",
        "diurnal": "昼夜温差",
        "diurnal_v": "{c} °C，采收前 {days} 天的平均值",
        "diurnal_30": "；最后 30 天 {c} °C",
        "air": "空气质量",
        "air_v": "{cat}（AQI {aqi}，PM2.5 平均 {pm} µg/m³，{std}）",
        "sun": "日照",
        "sun_v": "{h} 小时，平均每天 {d} 小时",
        "no_data": "暂无数据",
        "coverage": "传感器数据覆盖生长期 {covered}/{days} 天（{start} 至 {end}）。",
        "orchard": "果园",
        "place": "产地",
        "coords": "坐标",
        "variety": "品种",
        "grade": "等级",
        "harvested": "采收日期",
        "packed": "包装日期",
        "packing_house": "包装厂",
        "inspections": "检测结果",
        "passed": "合格",
        "failed": "不合格",
        "no_inspection": "暂无检测记录",
        "chart": "生长季：每日最高/最低气温（红）与日照时数（黄）",
        "contact": "联系我们",
        "lot": "批次",
        "language": "English",
        "language_href": "?lang=en",
    },
    "en": {
        "html_lang": "en",
        "title": "Zhaotong apple origin",
        "genuine": "Genuine · verified",
        "genuine_sub": (
            "This apple's label was issued by its packing house and checks out."
        ),
        "lot_only": "Lot information",
        "lot_only_sub": "This code names a lot only; it cannot verify one apple.",
        "recalled": "This lot has been recalled",
        "recalled_run": "These labels have been recalled",
        "recalled_sub": "Do not eat it; call the number below. Reason: {reason} ({at})",
        "unknown": "Unknown code",
        "first_scan": "This is the first scan of this code.",
        "scans": "This code has been scanned {count} times, first on {first}{place}.",
        "warn": (
            "Many scans: this code may have been copied. Compare the first-scan "
            "time with when you bought the apple."
        ),
        "growing": "Where it grew",
        "altitude": "Altitude",
        "altitude_v": "{m} m",
        "diurnal": "Day-night temperature difference",
        "diurnal_v": "{c} °C, mean of the {days} days before harvest",
        "diurnal_30": "; last 30 days {c} °C",
        "air": "Air quality",
        "air_v": "{cat} (AQI {aqi}, mean PM2.5 {pm} µg/m³, {std})",
        "sun": "Sunshine",
        "sun_v": "{h} hours, {d} hours a day on average",
        "no_data": "no data yet",
        "coverage": (
            "Sensor data covers {covered} of the {days} growing days "
            "({start} to {end})."
        ),
        "orchard": "Orchard",
        "place": "Place",
        "coords": "Coordinates",
        "variety": "Variety",
        "grade": "Grade",
        "harvested": "Harvested",
        "packed": "Packed",
        "packing_house": "Packing house",
        "inspections": "Inspections",
        "passed": "passed",
        "failed": "failed",
        "no_inspection": "no inspection recorded yet",
        "chart": (
            "The season: daily high/low temperature (red) and sunshine hours (yellow)"
        ),
        "contact": "Contact",
        "lot": "Lot",
        "language": "中文",
        "language_href": "?lang=zh",
    },
}

VARIETIES_EN = {"富士": "Fuji", "红露": "Hongro", "嘎啦": "Gala", "红富士": "Red Fuji"}


def number(value: float | None, digits: int = 1) -> str | None:
    """A number with thousands separators and fixed decimals, None kept."""
    if value is None:
        return None

    return f"{value:,.{digits}f}"


def local_time(value: datetime, timezone: str) -> str:
    """An aware time as local 'YYYY-MM-DD HH:MM'."""
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def growing_lines(prov: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The four growing numbers as (label, value) pairs in plain words."""
    t = TEXT[lang]
    return [
        (t["altitude"], _altitude(prov, t)),
        (t["diurnal"], _diurnal(prov, t)),
        (t["air"], _air(prov, t, lang)),
        (t["sun"], _sun(prov, t)),
    ]


def _altitude(prov: dict[str, Any], t: dict[str, str]) -> str:
    metres = number(prov.get("altitude_m"), 0)
    return t["altitude_v"].format(m=metres) if metres else t["no_data"]


def _diurnal(prov: dict[str, Any], t: dict[str, str]) -> str:
    mean = number(prov.get("diurnal_range_mean_c"))
    if mean is None:
        return t["no_data"]

    text = t["diurnal_v"].format(c=mean, days=prov.get("diurnal_range_days") or 0)
    last30 = number(prov.get("diurnal_range_last30_c"))

    return text + (t["diurnal_30"].format(c=last30) if last30 else "")


def _air(prov: dict[str, Any], t: dict[str, str], lang: str) -> str:
    if prov.get("aqi") is None:
        return t["no_data"]

    category = prov.get(f"aqi_category_{lang}") or prov.get("aqi_category_zh") or ""
    return t["air_v"].format(
        cat=category,
        aqi=number(prov["aqi"], 0),
        pm=number(prov.get("pm25_mean_ugm3")),
        std=prov.get("aqi_standard") or "HJ 633-2012",
    )


def _sun(prov: dict[str, Any], t: dict[str, str]) -> str:
    hours = number(prov.get("sunshine_hours"), 0)
    if hours is None:
        return t["no_data"]

    return t["sun_v"].format(h=hours, d=number(prov.get("sunshine_hours_per_day")))


def coverage_line(prov: dict[str, Any], lang: str) -> str:
    """How many days of the window the sensors covered."""
    start, end = prov.get("window_start"), prov.get("window_end")
    return TEXT[lang]["coverage"].format(
        covered=prov.get("days_covered") or 0,
        days=prov.get("days_in_window") or 0,
        start=start.isoformat() if isinstance(start, date) else start,
        end=end.isoformat() if isinstance(end, date) else end,
    )


def variety_name(variety: str, lang: str) -> str:
    """The variety, with its English name added on the English page."""
    english = VARIETIES_EN.get(variety)
    return f"{english} ({variety})" if lang == "en" and english else variety
