"""County-level divisions of Zhaotong, Yunnan, by GB/T 2260 code."""

ZHAOTONG_COUNTIES: dict[str, str] = {
    "530602": "昭阳区",
    "530621": "鲁甸县",
    "530622": "巧家县",
    "530623": "盐津县",
    "530624": "大关县",
    "530625": "永善县",
    "530626": "绥江县",
    "530627": "镇雄县",
    "530628": "彝良县",
    "530629": "威信县",
    "530681": "水富市",
}


def county_name(code: str) -> str:
    """The Chinese name of a county code; KeyError when it is not Zhaotong's."""
    return ZHAOTONG_COUNTIES[code]
