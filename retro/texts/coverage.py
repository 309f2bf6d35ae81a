"""Catalog entries for like-for-like comparisons (retro.likeforlike), merged into retro.i18n.CATALOG."""

TEXT: dict[str, dict[str, str]] = {
    "cover.segments": {"zh": "分组", "en": "segments"},
    "cover.reported": {"zh": "{expected} 个{noun}中 {reported} 个已报数", "en": "{reported} of {expected} {noun} reported"},
    "cover.missing": {"zh": "（{names}未报）", "en": " ({names} missing)"},
    "cover.extra": {"zh": "{n} 个{noun}无可比数据，未计入", "en": "{n} {noun} with nothing to compare with left out"},
    "cover.through_day": {"zh": "截至 {day} 日（本月共 {days} 日）", "en": "through day {day} of {days}"},
    "cover.months": {"zh": "{months}/{total} 个月有数据", "en": "{months} of {total} {total|month|months} in"},
    # What the number beside the words is
    "cover.scored": {"zh": "{what}，按可比部分计算达成率", "en": "{what}; attainment on what is comparable"},
    "cover.not_scored": {"zh": "{what}，数据不全，本期不计分", "en": "{what}; incomplete, not scored"},
    "cover.changes": {"zh": "环比/同比按可比口径：{what}", "en": "changes like for like: {what}"},
}
