"""Reference lists for the demo members: names, places, former units and their weights.

Plausible for the generation that built the oilfield (born 1926–1966) and for Dongying;
the weights are rough shares, not statistics.
"""


def _names(text: str) -> tuple[str, ...]:
    """Names written as one space-separated string: a list literal would fill pages."""
    return tuple(text.split())


# Common surnames with rough weights (Shandong has more 王, 张, 李, 刘, 孙 than China as a whole).
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 8.0), ("李", 7.0), ("张", 6.8), ("刘", 5.6), ("孙", 2.6), ("陈", 2.2),
    ("杨", 2.2), ("赵", 2.2), ("高", 1.8), ("徐", 1.6), ("马", 1.5), ("于", 1.5),
    ("董", 1.1), ("郭", 1.1), ("韩", 1.0), ("宋", 1.0), ("周", 1.0), ("崔", 0.9),
    ("姜", 0.9), ("朱", 0.9), ("曹", 0.8), ("田", 0.8), ("吕", 0.7), ("任", 0.7),
    ("魏", 0.7), ("孟", 0.6), ("许", 0.6), ("贾", 0.6), ("胡", 0.6), ("黄", 0.6),
    ("吴", 0.6), ("袁", 0.5), ("薛", 0.5), ("侯", 0.5), ("付", 0.5), ("冯", 0.5),
    ("邢", 0.4), ("范", 0.4), ("谢", 0.4), ("牛", 0.4), ("孔", 0.4), ("石", 0.4),
    ("程", 0.4), ("郝", 0.4), ("林", 0.3), ("何", 0.3), ("曲", 0.3), ("毕", 0.3),
    ("房", 0.3), ("葛", 0.3), ("岳", 0.3), ("尹", 0.3), ("闫", 0.3), ("庞", 0.2),
    ("颜", 0.2), ("荣", 0.2), ("段", 0.2), ("邓", 0.2), ("欧阳", 0.05),
)  # fmt: skip

MALE_GIVEN_NAMES = _names(
    "建国 建华 建军 建民 建新 建设 国庆 国华 国栋 国强 国良 国平 卫东 卫国 卫民 志强 "
    "志刚 志勇 德明 德胜 德福 德顺 德才 振华 振海 振江 振东 爱民 庆华 庆林 庆祥 庆云 "
    "春生 文斌 文华 文明 文忠 广才 广田 广义 广明 学军 学文 学范 允功 保国 立新 立军 "
    "兴华 兴国 洪波 洪亮 红旗 援朝 抗美 跃进 东升 东风 永军 永强 永福 永祥 永胜 成林 "
    "成山 铁军 殿臣 殿元 凤岐 子明 子良 守田 守信 守义 传福 传顺 玉山 金山 宝山 树林 "
    "长江 胜利 家友 明 军 勇 华 平 刚 伟 强 忠 福 林 海 斌 杰 涛 东 峰 亮 生"
)

FEMALE_GIVEN_NAMES = _names(
    "秀英 桂兰 玉兰 淑珍 凤英 秀兰 玉珍 红梅 永红 丽华 金凤 海燕 素芳 桂芝 秀珍 秀云 "
    "秀芳 秀荣 秀梅 桂英 桂香 桂荣 桂珍 玉梅 玉芝 玉华 玉英 淑英 淑兰 淑华 淑芳 淑琴 "
    "凤兰 凤琴 凤霞 晓凤 春兰 春梅 春华 爱华 爱萍 爱玲 美华 丽君 丽娟 丽萍 翠兰 翠英 "
    "月英 月华 秋菊 冬梅 雪梅 建英 卫红 红霞 红英 彩霞 瑞兰 素珍 素梅 素琴 银凤 金兰 "
    "荣华 慧芳 文英 文秀 兰英 兰芳 静 霞 英 兰 梅 芳 萍 华 玲 红 燕 敏 洁 琴"
)

# Names a generation gave its children in a given span of years (建国 in 1949, 援朝 in the
# Korean War, 跃进 in 1958, 卫东 in 1966); outside the span they are redrawn.
ERA_NAMES: dict[str, tuple[int, int]] = {
    "建国": (1949, 1952),
    "国庆": (1949, 1962),
    "援朝": (1950, 1954),
    "抗美": (1950, 1954),
    "跃进": (1958, 1960),
    "卫东": (1966, 1968),
    "卫红": (1966, 1968),
    "卫国": (1950, 1968),
    "红旗": (1958, 1968),
}

# Their children's names, for the emergency contact.
CHILD_GIVEN_NAMES = _names(
    "伟 磊 静 丽 强 军 敏 燕 鹏 涛 娜 杰 海涛 晓东 晓燕 晓梅 海燕 建华 建伟 志刚 "
    "丽娜 红霞 玉婷 新华 东升 春燕 秀丽 海波 立伟 国栋 文静 雪梅 振宇 鑫"
)

ETHNICITIES: tuple[tuple[str, float], ...] = (
    ("汉族", 98.0),
    ("回族", 1.2),
    ("满族", 0.5),
    ("蒙古族", 0.3),
)

# Region codes (the first six characters of the ID number) by county where the people were
# first registered; the old codes of the 1980s and 1990s, as those numbers still carry them.
DONGYING_REGIONS: dict[str, str] = {
    "东营区": "370502",
    "河口区": "370503",
    "垦利区": "370521",  # 垦利县 until 2016
    "利津县": "370522",
    "广饶县": "370523",
}
COUNTY_REGIONS: dict[str, str] = {
    **DONGYING_REGIONS,
    "寿光市": "370783",
    "昌邑市": "370786",
    "滨城区": "372301",  # 滨州市 (county-level) until 2000
    "博兴县": "372328",
    "沾化区": "372325",
    "惠民县": "372321",
    "无棣县": "372324",
    "高青县": "370322",
    "临淄区": "370305",
    "张店区": "370303",
    "临邑县": "372428",
    "德城区": "372401",
    "商河县": "370126",
    "济阳区": "370125",
    "黄岛区": "370211",
    "莱山区": "370613",
}
# Elsewhere in Shandong, where many of the oilfield's workers came from.
SHANDONG_REGIONS: tuple[str, ...] = (
    "370102", "370203", "370303", "370602", "370702", "370781", "370725", "370321",
    "370402", "370481", "370826", "370882", "370983", "371122", "372301", "372901",
)  # fmt: skip
# Other provinces: the 1960s battle for oil (会战) brought people from 大庆, 华北 and beyond.
OTHER_REGIONS: tuple[str, ...] = (
    "230602", "230603", "130984", "132930", "131002", "410502", "410881", "610104",
    "610402", "320321", "342222", "220381", "621002",
)  # fmt: skip

# Telephone area codes by city, and how many digits a local number has there.
AREA_CODES: dict[str, tuple[str, int]] = {
    "东营市": ("0546", 7),
    "滨州市": ("0543", 7),
    "淄博市": ("0533", 7),
    "潍坊市": ("0536", 7),
    "德州市": ("0534", 7),
    "济南市": ("0531", 8),
    "青岛市": ("0532", 8),
    "烟台市": ("0535", 7),
}
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "185", "186", "187", "188", "189",
)  # fmt: skip

# The oilfield's units, with rough weights by how many people retired from them.
FORMER_UNITS: tuple[tuple[str, float], ...] = (
    ("胜利采油厂", 6), ("孤岛采油厂", 5), ("孤东采油厂", 4), ("东辛采油厂", 5),
    ("现河采油厂", 4), ("河口采油厂", 4), ("桩西采油厂", 3), ("滨南采油厂", 4),
    ("临盘采油厂", 4), ("纯梁采油厂", 3), ("鲁明公司", 1), ("钻井工艺研究院", 2),
    ("地质科学研究院", 2), ("采油工艺研究院", 2), ("油建公司", 3), ("供电公司", 3),
    ("供水公司", 2), ("通讯公司", 1), ("黄河钻井总公司", 4), ("渤海钻井总公司", 3),
    ("测井公司", 2), ("物探公司", 2), ("井下作业公司", 3), ("运输总公司", 3),
    ("胜利石油化工总厂", 2), ("胜利医院", 2), ("技术检测中心", 1), ("教育管理中心", 2),
    ("物资供应处", 2), ("基建处", 1), ("胜利石油管理局机关", 2), ("胜利建设监理公司", 1),
)  # fmt: skip
# A club's own neighbourhood unit: most of its people retired from there.
LOCAL_UNITS: dict[str, str] = {
    "孤岛": "孤岛采油厂",
    "孤东": "孤东采油厂",
    "仙河": "孤东采油厂",
    "现河": "现河采油厂",
    "临盘": "临盘采油厂",
    "滨南": "滨南采油厂",
    "纯梁": "纯梁采油厂",
    "河口": "河口采油厂",
    "胜采": "胜利采油厂",
    "胜坨": "胜利采油厂",
    "辛店": "东辛采油厂",
    "义和": "桩西采油厂",
}

OTHER_ORGANISATIONS: tuple[str, ...] = (
    "东营市委老干部局机关党委",
    "所在街道党工委",
    "原籍村党支部",
    "子女所在单位党委",
)

HEALTH_NOTES: tuple[str, ...] = (
    "身体健康",
    "高血压",
    "糖尿病",
    "冠心病",
    "高血压、糖尿病",
    "脑梗后遗症，行动不便",
    "腿脚不便，需拄拐",
    "听力下降",
    "慢性支气管炎",
    "做过心脏支架手术",
    "视力较差",
    "长期卧床",
)
