"""Synthetic Chinese names: people (common surnames + given-name characters) and organizations.

Names are random combinations of common characters; they are not taken from any register and do
not describe real people or organizations.
"""

from __future__ import annotations

from collections.abc import Callable
from random import Random

# Common surnames, roughly in order of frequency; the weights favour the first ones.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤颜"
)
SURNAME_WEIGHTS = tuple(max(1, 40 - i) for i in range(len(SURNAMES)))
MALE_CHARS = "伟强磊军勇杰涛明超斌刚辉鹏华建国志宏俊峰浩宇轩博文豪晨阳子睿泽昊然天成凯鑫振东海庆"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲桂英兰红梅琳雪婷颖洁慧倩欣怡萱涵梓雨佳悦琪璐瑶晶燕萍月"
NEUTRAL_CHARS = "文明华平安宁新春秋晓雅一子嘉思可心之永"

# Organization name parts: a two-character brand from BRAND_CHARS, a trade of the industry.
BRAND_CHARS = (
    "恒泰鑫源华信宏达金鼎瑞丰天润永盛兴隆昌众诚康宁汇通正世元明德"
    + "祥和泽合力嘉禾远航博雅同福海纳安广桥聚优创"
)
TRADES = {
    "A": ("农业科技", "生态农业", "果蔬种植", "畜牧养殖"),
    "B": ("矿业", "石材开采"),
    "C": ("机械制造", "木业", "食品", "五金制品", "塑料制品", "纺织", "化工", "包装材料"),
    "D": ("能源", "电力工程", "新能源"),
    "E": ("水务", "供水"),
    "F": ("建筑工程", "建设工程", "装饰工程", "路桥工程"),
    "G": ("商贸", "物资", "建材", "电子商务", "医药连锁", "农资", "日用品", "汽车销售"),
    "H": ("餐饮管理", "酒店管理", "餐饮"),
    "I": ("信息技术", "网络科技", "软件", "电子科技"),
    "J": ("投资", "融资担保"),
    "K": ("置业", "房地产开发", "物业管理"),
    "L": ("企业管理咨询", "人力资源", "广告"),
    "M": ("检测技术", "工程设计", "科技"),
    "N": ("环境工程", "园林绿化", "环保科技"),
    "O": ("家政服务", "汽车维修", "洗涤服务"),
    "P": ("教育咨询", "职业培训"),
    "Q": ("医疗科技", "健康管理"),
    "R": ("文化传媒", "体育发展", "影视"),
    "S": ("服务",),
    "T": ("国际事务服务",),
}
PREFIXES = ("临沂", "山东", "临沂市")
SHOPS = ("商店", "超市", "饭店", "小吃部", "五金店", "理发店", "便利店", "日杂店", "汽修部")
AGENCIES = (
    "教育和体育局",
    "农业农村局",
    "自然资源局",
    "水利局",
    "卫生健康局",
    "交通运输局",
    "民政局",
    "财政局",
    "住房和城乡建设局",
    "商务局",
    "文化和旅游局",
    "应急管理局",
    "统计局",
    "审计局",
    "退役军人事务局",
    "医疗保障局",
    "市场监督管理局",
    "人力资源和社会保障局",
)
INSTITUTIONS = (
    "第一中学",
    "第二中学",
    "实验小学",
    "中心小学",
    "中心幼儿园",
    "卫生院",
    "中医医院",
    "农业技术推广站",
    "文化站",
    "综合文化服务中心",
    "便民服务中心",
)
ASSOCIATIONS = ("个体劳动者协会", "书法家协会", "慈善总会", "企业家协会", "老年人体育协会")
PRIVATE_NONPROFITS = ("培训学校", "养老院", "幼儿园", "康复中心", "社会工作服务中心")


def person_name(rng: Random, sex: int) -> str:
    """Return a surname and one or two given-name characters matching ``sex`` (1 or 2)."""
    surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    pool = (MALE_CHARS if sex == 1 else FEMALE_CHARS) + NEUTRAL_CHARS
    size = 1 if rng.random() < 0.2 else 2
    return surname + "".join(rng.choice(pool) for _ in range(size))


def short_county_name(name: str) -> str:
    """Drop the trailing 县 or 区 of a county name when at least two characters remain."""
    return name[:-1] if name[-1:] in "县区" and len(name) > 2 else name


def brand(rng: Random) -> str:
    """Return two different characters of :data:`BRAND_CHARS`."""
    return "".join(rng.sample(BRAND_CHARS, 2))


def organization_name(rng: Random, entity_type: str, industry: str, county: str, town: str) -> str:
    """Return a plausible name for an organization of ``entity_type`` in ``county``/``town``."""
    short = short_county_name(county)
    if entity_type == "91":
        form = "有限公司" if rng.random() < 0.9 else "股份有限公司"
        prefix = rng.choice((*PREFIXES, short))
        return f"{prefix}{brand(rng)}{rng.choice(TRADES[industry])}{form}"
    if entity_type == "92":
        return f"{short}{town}{brand(rng)}{rng.choice(SHOPS)}"
    if entity_type == "93":
        return f"{short}{brand(rng)}{rng.choice(('种植', '养殖', '农机', '果品'))}专业合作社"
    if entity_type == "11":
        if rng.random() < 0.5:
            return f"{county}{town}{'办事处' if town.endswith('街道') else '人民政府'}"
        return f"临沂市{county}{rng.choice(AGENCIES)}"
    if entity_type == "12":
        return f"{county}{town}{rng.choice(INSTITUTIONS)}"
    if entity_type == "51":
        if rng.random() < 0.2:
            return f"{county}{rng.choice(ASSOCIATIONS)}"
        trade = rng.choice(TRADES[rng.choice("ACFGHIKMNOR")])
        return f"{county}{trade}{rng.choice(('协会', '商会', '行业协会'))}"
    if entity_type == "52":
        return f"{county}{brand(rng)}{rng.choice(PRIVATE_NONPROFITS)}"
    return f"临沂市{brand(rng)}公益基金会"


class NameRegistry:
    """Keeps organization names unique: draws again on a clash, numbers the name at last."""

    ATTEMPTS = 20

    def __init__(self) -> None:
        self._used: set[str] = set()

    def unique(self, draw: Callable[[], str]) -> str:
        for _ in range(self.ATTEMPTS):
            name = draw()
            if name not in self._used:
                self._used.add(name)
                return name
        number = 2
        while f"{name}（{number}）" in self._used:
            number += 1
        self._used.add(f"{name}（{number}）")
        return f"{name}（{number}）"
