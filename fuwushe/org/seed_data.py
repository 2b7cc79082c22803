"""The real shape of the network, as fixed reference data for `seed_demo`.

Seven elderly service departments, the 76 clubs left after the 2018 reform and the 21
that were merged into them (97 at the peak), and the communities each club serves.
Names of the clubs from the published accounts (东利, 锦华第三, 通明苑, 景苑南区, 萃苑,
物兴, 胜北) are real; the rest, the addresses and household counts are plausible.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DepartmentData:
    code: str
    name: str

    @property
    def branch_name(self) -> str:
        return f"{self.name}党支部"


@dataclass(frozen=True)
class ClubData:
    """An active club; its first community is the one it is named after."""

    code: str
    department: str
    city: str
    county: str
    address: str
    founded_on: date
    communities: tuple[tuple[str, int], ...]  # (community name, households)
    elderly_station: str = ""

    @property
    def name(self) -> str:
        return f"{self.communities[0][0]}党员服务社"


@dataclass(frozen=True)
class MergedClubData:
    """A club merged away in the reform; its community is now served by `merged_into`."""

    code: str
    community: str
    merged_into: str
    merged_on: date
    founded_on: date
    address: str

    @property
    def name(self) -> str:
        return f"{self.community}党员服务社"


DONGLI = "C001"  # the first pilot (2007): one community of thousands of households
SHENGBEI = "C015"  # in another department than 东利, for a second set of demo users

DEPARTMENTS: tuple[DepartmentData, ...] = (
    DepartmentData("D01", "第一老年服务部"),  # 东营区西城：胜利、文汇街道
    DepartmentData("D02", "第二老年服务部"),  # 东营区西城北部、黄河路街道、现河
    DepartmentData("D03", "第三老年服务部"),  # 东营区东城：辛店街道
    DepartmentData("D04", "第四老年服务部"),  # 河口区（孤岛、仙河）、利津县
    DepartmentData("D05", "第五老年服务部"),  # 垦利区、广饶县、潍坊市
    DepartmentData("D06", "第六老年服务部"),  # 滨州市、淄博市
    DepartmentData("D07", "第七老年服务部"),  # 德州市、济南市、青岛市、烟台市
)

DY, BZ, ZB, WF = "东营市", "滨州市", "淄博市", "潍坊市"
DZ, JN, QD, YT = "德州市", "济南市", "青岛市", "烟台市"

ACTIVE_CLUBS: tuple[ClubData, ...] = (
    # 第一老年服务部
    ClubData("C001", "D01", DY, "东营区", "济南路48号", date(2007, 6, 18), (("东利", 4860),)),
    ClubData(
        "C002",
        "D01",
        DY,
        "东营区",
        "西二路126号",
        date(2008, 4, 10),
        (("锦华第三", 1260), ("锦华第二", 980)),
    ),
    ClubData("C003", "D01", DY, "东营区", "西三路77号", date(2008, 9, 20), (("东安", 1420),)),
    ClubData(
        "C004",
        "D01",
        DY,
        "东营区",
        "北一路305号",
        date(2009, 3, 15),
        (("东胜", 1180), ("胜华", 860)),
    ),
    ClubData("C005", "D01", DY, "东营区", "淄博路56号", date(2009, 7, 1), (("胜园", 1350),)),
    ClubData(
        "C006",
        "D01",
        DY,
        "东营区",
        "西四路211号",
        date(2010, 5, 12),
        (("新村", 1640), ("西一", 420), ("西二", 380), ("西三", 350)),
    ),
    ClubData(
        "C007",
        "D01",
        DY,
        "东营区",
        "运河路88号",
        date(2010, 10, 8),
        (("运河", 1120), ("淮河", 740)),
    ),
    ClubData("C008", "D01", DY, "东营区", "德州路19号", date(2011, 4, 20), (("海河", 990),)),
    ClubData("C009", "D01", DY, "东营区", "聊城路102号", date(2011, 9, 16), (("辽河", 1060),)),
    ClubData(
        "C010",
        "D01",
        DY,
        "东营区",
        "济南路170号",
        date(2012, 3, 28),
        (("文汇", 1230), ("文苑", 650), ("北一", 520)),
    ),
    ClubData("C011", "D01", DY, "东营区", "胜利大街66号", date(2012, 8, 15), (("胜利花苑", 880),)),
    ClubData("C012", "D01", DY, "东营区", "滨州路37号", date(2013, 5, 6), (("锦苑", 1010),)),
    ClubData("C013", "D01", DY, "东营区", "青岛路15号", date(2014, 6, 30), (("明珠", 760),)),
    ClubData("C014", "D01", DY, "东营区", "西三路240号", date(2015, 9, 9), (("西城华苑", 930),)),
    # 第二老年服务部
    ClubData(
        "C015",
        "D02",
        DY,
        "东营区",
        "北二路418号",
        date(2008, 7, 1),
        (("胜北", 1580), ("北二", 720)),
    ),
    ClubData("C016", "D02", DY, "东营区", "北一路506号", date(2009, 5, 20), (("通明苑", 1320),)),
    ClubData(
        "C017",
        "D02",
        DY,
        "东营区",
        "黄河路327号",
        date(2009, 11, 11),
        (("黄河", 1150), ("黄河南", 530)),
    ),
    ClubData(
        "C018",
        "D02",
        DY,
        "东营区",
        "北二路221号",
        date(2010, 6, 18),
        (("康居", 1040), ("康宁", 610)),
    ),
    ClubData("C019", "D02", DY, "东营区", "西二路455号", date(2010, 12, 1), (("振兴", 870),)),
    ClubData("C020", "D02", DY, "东营区", "黄河路190号", date(2011, 6, 22), (("丽苑", 960),)),
    ClubData(
        "C021",
        "D02",
        DY,
        "东营区",
        "现河路9号",
        date(2011, 10, 10),
        (("现河", 1380), ("史南", 590), ("王岗", 430)),
    ),
    ClubData("C022", "D02", DY, "东营区", "牛庄镇胜利路31号", date(2012, 4, 26), (("牛庄", 680),)),
    ClubData("C023", "D02", DY, "东营区", "郝家路12号", date(2012, 11, 7), (("郝家", 540),)),
    ClubData("C024", "D02", DY, "东营区", "北三路88号", date(2013, 7, 19), (("华泰", 820),)),
    ClubData("C025", "D02", DY, "东营区", "西四路602号", date(2014, 10, 21), (("滨河", 900),)),
    ClubData("C026", "D02", DY, "东营区", "黄河路566号", date(2016, 5, 18), (("银座", 710),)),
    # 第三老年服务部
    ClubData(
        "C027",
        "D03",
        DY,
        "东营区",
        "府前大街112号",
        date(2008, 10, 16),
        (("景苑南区", 1480), ("景苑北区", 1100)),
    ),
    ClubData("C028", "D03", DY, "东营区", "东二路315号", date(2009, 4, 8), (("萃苑", 1260),)),
    ClubData(
        "C029",
        "D03",
        DY,
        "东营区",
        "东三路58号",
        date(2009, 9, 27),
        (("物兴", 1090), ("物华", 640)),
    ),
    ClubData(
        "C030",
        "D03",
        DY,
        "东营区",
        "南一路266号",
        date(2010, 4, 15),
        (("丽景", 1170), ("丽景东区", 640)),
    ),
    ClubData("C031", "D03", DY, "东营区", "庐山路77号", date(2010, 9, 30), (("金都", 840),)),
    ClubData("C032", "D03", DY, "东营区", "府前大街206号", date(2011, 5, 11), (("府前", 760),)),
    ClubData(
        "C033",
        "D03",
        DY,
        "东营区",
        "辛店路41号",
        date(2011, 11, 22),
        (("辛店", 1320), ("辛安", 570)),
    ),
    ClubData("C034", "D03", DY, "东营区", "沂河路130号", date(2012, 6, 6), (("银河", 910),)),
    ClubData("C035", "D03", DY, "东营区", "东三路402号", date(2013, 4, 17), (("东城华苑", 1030),)),
    ClubData("C036", "D03", DY, "东营区", "南二路19号", date(2014, 5, 23), (("新区", 690),)),
    ClubData("C037", "D03", DY, "东营区", "泰山路85号", date(2015, 8, 12), (("泰山", 780),)),
    ClubData("C038", "D03", DY, "东营区", "庐山路310号", date(2017, 3, 29), (("庐山", 650),)),
    # 第四老年服务部
    ClubData(
        "C039",
        "D04",
        DY,
        "河口区",
        "河安路66号",
        date(2008, 5, 30),
        (("河口", 1560), ("河滨", 680)),
    ),
    ClubData(
        "C040", "D04", DY, "河口区", "孤岛镇新兴路8号", date(2008, 11, 12), (("孤岛新兴", 1340),)
    ),
    ClubData(
        "C041",
        "D04",
        DY,
        "河口区",
        "孤岛镇振兴路27号",
        date(2009, 4, 21),
        (("孤岛中心", 1120), ("孤岛西区", 540)),
    ),
    ClubData(
        "C042", "D04", DY, "河口区", "仙河镇胜海路15号", date(2009, 10, 20), (("仙河", 1420),)
    ),
    ClubData(
        "C043",
        "D04",
        DY,
        "河口区",
        "仙河镇孤东路3号",
        date(2010, 7, 7),
        (("孤东", 980), ("胜海", 610)),
        elderly_station="孤东老年站",
    ),
    ClubData(
        "C044",
        "D04",
        DY,
        "河口区",
        "义和镇义和路21号",
        date(2011, 3, 16),
        (("义和", 520),),
        elderly_station="义和老年站",
    ),
    ClubData("C045", "D04", DY, "河口区", "埕东路45号", date(2012, 9, 19), (("埕东", 730),)),
    ClubData(
        "C046", "D04", DY, "利津县", "凤凰城街道津二路18号", date(2013, 6, 26), (("凤凰城", 680),)
    ),
    ClubData("C047", "D04", DY, "利津县", "利二路52号", date(2014, 4, 9), (("利津", 590),)),
    ClubData(
        "C048",
        "D04",
        DY,
        "利津县",
        "陈庄镇利河路7号",
        date(2016, 9, 14),
        (("陈庄", 480),),
        elderly_station="陈庄老年站",
    ),
    # 第五老年服务部
    ClubData(
        "C049",
        "D05",
        DY,
        "垦利区",
        "胜坨镇胜利路36号",
        date(2008, 6, 25),
        (("胜坨", 1280), ("宁海", 520)),
    ),
    ClubData(
        "C050",
        "D05",
        DY,
        "垦利区",
        "垦利街道民丰路80号",
        date(2009, 8, 19),
        (("垦利", 1010), ("红光", 410)),
    ),
    ClubData("C051", "D05", DY, "垦利区", "西城南路23号", date(2010, 3, 24), (("胜采", 1190),)),
    ClubData(
        "C052", "D05", DY, "垦利区", "黄河口镇建林路11号", date(2011, 7, 13), (("黄河口", 620),)
    ),
    ClubData("C053", "D05", DY, "垦利区", "永安镇永兴路6号", date(2012, 10, 17), (("永安", 550),)),
    ClubData(
        "C054",
        "D05",
        DY,
        "广饶县",
        "乐安大街309号",
        date(2009, 12, 9),
        (("乐安", 960), ("稻庄", 480)),
    ),
    ClubData("C055", "D05", DY, "广饶县", "大王镇石化路17号", date(2011, 2, 23), (("大王", 610),)),
    ClubData("C056", "D05", DY, "广饶县", "孙武路128号", date(2013, 9, 25), (("孙武", 570),)),
    ClubData(
        "C057",
        "D05",
        DY,
        "广饶县",
        "花官镇花官路4号",
        date(2015, 6, 17),
        (("花官", 430),),
        elderly_station="花官老年站",
    ),
    ClubData(
        "C058",
        "D05",
        DY,
        "垦利区",
        "董集镇董集路9号",
        date(2017, 5, 10),
        (("董集", 390),),
        elderly_station="董集老年站",
    ),
    ClubData("C059", "D05", WF, "寿光市", "羊口镇渤海路33号", date(2011, 12, 7), (("寿光", 630),)),
    ClubData("C060", "D05", WF, "昌邑市", "北海路71号", date(2016, 11, 16), (("昌邑", 310),)),
    # 第六老年服务部
    ClubData(
        "C061",
        "D06",
        BZ,
        "滨城区",
        "滨北街道滨南路58号",
        date(2008, 8, 28),
        (("滨南", 1360), ("单家寺", 520)),
    ),
    ClubData("C062", "D06", BZ, "滨城区", "黄河五路416号", date(2010, 1, 20), (("滨城", 740),)),
    ClubData(
        "C063",
        "D06",
        BZ,
        "博兴县",
        "纯化镇纯梁路22号",
        date(2009, 6, 16),
        (("纯梁", 1080), ("樊家", 460)),
    ),
    ClubData("C064", "D06", BZ, "沾化区", "富源路39号", date(2012, 5, 15), (("沾化", 520),)),
    ClubData(
        "C065", "D06", BZ, "惠民县", "鼓楼街道乐安路14号", date(2014, 11, 5), (("惠民", 380),)
    ),
    ClubData(
        "C066",
        "D06",
        BZ,
        "无棣县",
        "棣新二路26号",
        date(2016, 8, 24),
        (("无棣", 340),),
        elderly_station="无棣老年站",
    ),
    ClubData("C067", "D06", ZB, "高青县", "青城路63号", date(2011, 8, 10), (("高青", 690),)),
    ClubData("C068", "D06", ZB, "临淄区", "齐都路118号", date(2013, 10, 22), (("临淄", 450),)),
    ClubData("C069", "D06", ZB, "张店区", "华光路205号", date(2015, 4, 28), (("张店", 520),)),
    # 第七老年服务部
    ClubData(
        "C070",
        "D07",
        DZ,
        "临邑县",
        "临盘街道盘河路30号",
        date(2008, 12, 18),
        (("临盘", 1240), ("盘河", 510), ("林樊家", 380)),
    ),
    ClubData("C071", "D07", DZ, "临邑县", "恒源路47号", date(2010, 8, 5), (("临邑", 620),)),
    ClubData("C072", "D07", DZ, "德城区", "东风中路233号", date(2012, 7, 24), (("德兴", 480),)),
    ClubData(
        "C073", "D07", JN, "商河县", "商中路92号", date(2009, 2, 26), (("商河", 880), ("怀仁", 290))
    ),
    ClubData("C074", "D07", JN, "济阳区", "纬二路61号", date(2013, 3, 20), (("济阳", 560),)),
    ClubData("C075", "D07", QD, "黄岛区", "长江中路18号", date(2014, 9, 3), (("海韵", 590),)),
    ClubData("C076", "D07", YT, "莱山区", "观海路127号", date(2015, 10, 14), (("莱山", 330),)),
)

MERGED_CLUBS: tuple[MergedClubData, ...] = (
    MergedClubData("M001", "锦华第二", "C002", date(2018, 6, 30), date(2009, 5, 8), "西二路98号"),
    MergedClubData("M002", "胜华", "C004", date(2018, 6, 30), date(2010, 3, 2), "北一路277号"),
    MergedClubData("M003", "淮河", "C007", date(2018, 6, 30), date(2011, 6, 14), "淮河路40号"),
    MergedClubData("M004", "文苑", "C010", date(2018, 9, 30), date(2012, 9, 18), "济南路201号"),
    MergedClubData("M005", "北一", "C010", date(2018, 9, 30), date(2013, 4, 11), "北一路120号"),
    MergedClubData("M006", "北二", "C015", date(2018, 9, 30), date(2010, 8, 25), "北二路360号"),
    MergedClubData("M007", "康宁", "C018", date(2018, 9, 30), date(2012, 5, 9), "北二路249号"),
    MergedClubData("M008", "史南", "C021", date(2018, 12, 31), date(2012, 3, 7), "史南路5号"),
    MergedClubData("M009", "王岗", "C021", date(2018, 12, 31), date(2014, 7, 22), "王岗路16号"),
    MergedClubData(
        "M010", "景苑北区", "C027", date(2018, 6, 30), date(2010, 11, 3), "府前大街150号"
    ),
    MergedClubData("M011", "物华", "C029", date(2018, 9, 30), date(2011, 8, 30), "东三路96号"),
    MergedClubData("M012", "辛安", "C033", date(2018, 12, 31), date(2013, 10, 15), "辛店路88号"),
    MergedClubData("M013", "河滨", "C039", date(2019, 3, 31), date(2010, 4, 27), "河安路132号"),
    MergedClubData(
        "M014", "孤岛西区", "C041", date(2019, 3, 31), date(2011, 12, 6), "孤岛镇西区路9号"
    ),
    MergedClubData(
        "M015", "胜海", "C043", date(2019, 3, 31), date(2012, 8, 21), "仙河镇胜海路40号"
    ),
    MergedClubData("M016", "宁海", "C049", date(2019, 3, 31), date(2013, 6, 4), "胜坨镇宁海路2号"),
    MergedClubData(
        "M017", "稻庄", "C054", date(2019, 6, 30), date(2014, 3, 19), "稻庄镇石油路12号"
    ),
    MergedClubData("M018", "单家寺", "C061", date(2019, 6, 30), date(2011, 10, 12), "单家寺路20号"),
    MergedClubData("M019", "樊家", "C063", date(2019, 6, 30), date(2012, 12, 5), "纯化镇樊家路6号"),
    MergedClubData("M020", "盘河", "C070", date(2019, 6, 30), date(2010, 9, 28), "盘河路115号"),
    MergedClubData(
        "M021", "林樊家", "C070", date(2019, 6, 30), date(2015, 5, 13), "林樊家镇中心街8号"
    ),
)
