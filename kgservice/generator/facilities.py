"""Synthetic facilities: the rows of ``facilities.csv``.

Each facility is operated by a generated legal entity (public services mostly by public
institutions 事业单位, police and fire stations by state organs, infrastructure by enterprises)
and lies in a real Linyi township, mostly one of its operator's county.

Coordinates are approximate and say nothing about the real township. The data has no township
or county boundaries, so a facility is placed at a random offset of at most 0.15° in latitude and
longitude from a reference point of its *county*, then kept inside Linyi's rough bounding box
(lat 34.3-36.4, long 117.4-119.2). The reference point is a GeoNames place (``data/real/
china-places-geonames``) inside that box: first one whose Chinese names contain the county's name
without 县/区 (e.g. 郯城), else the place named in :data:`COUNTY_SEATS`, the GeoNames entry at or
next to the county seat (most places there have no Chinese name), else Linyi city itself
(35.06306, 118.34278) — which is what the urban districts and the high-tech zone get.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from random import Random

from kgservice.generator.divisions import Division, Divisions, read_csv, real_data_dir
from kgservice.generator.entities import LegalEntity, weighted
from kgservice.generator.names import short_county_name

GEONAMES_FILE = Path("china-places-geonames") / "cn-cities1000.csv"
MICRO = 1_000_000
# Linyi's rough bounding box, in micro-degrees.
LAT_RANGE = (34_300_000, 36_400_000)
LONG_RANGE = (117_400_000, 119_200_000)
MAX_OFFSET = 150_000  # 0.15°
LINYI_CITY = (35_063_060, 118_342_780)
LINYI_NAME = "临沂"
# County code -> GeoNames name (pinyin) of the place at or next to the county seat.
COUNTY_SEATS = {
    "371321": "Jiehu",  # 界湖街道, seat of 沂南县
    "371322": "Tancheng",  # 郯城街道
    "371323": "Yishui",
    "371324": "Bianzhuang",  # 卞庄街道, seat of 兰陵县
    "371325": "Feicheng",  # 费城街道, seat of 费县 (肥城 in Tai'an lies outside the box)
    "371326": "Pingyi",
    "371327": "Shizilu",  # 十字路街道, seat of 莒南县
    "371328": "Mengyin",
    "371329": "Xiazhuang",  # 34.92, 118.64: beside the 临沭县 seat (identified by position)
}

# slug -> (Chinese label, weight, operator kind, numbered like infrastructure)
FACILITY_TYPES = {
    "video-camera": ("视频监控点", 220, "business", True),
    "mobile-base-station": ("移动通信基站", 180, "business", True),
    "traffic-detector": ("交通检测器", 60, "business", True),
    "environmental-monitoring-station": ("环境监测站", 30, "public", True),
    "school-primary": ("小学", 80, "public", False),
    "school-secondary": ("中学", 30, "public", False),
    "kindergarten": ("幼儿园", 70, "public", False),
    "community-health-centre": ("卫生院", 50, "public", False),
    "hospital": ("医院", 15, "public", False),
    "library": ("图书馆", 10, "public", False),
    "park": ("公园", 30, "public", False),
    "police-station": ("派出所", 15, "government", False),
    "fire-station": ("消防站", 10, "government", False),
    "substation": ("变电站", 40, "business", True),
    "ev-charging-station": ("充电站", 40, "business", True),
    "fuel-station": ("加油站", 40, "business", True),
    "power-plant": ("发电厂", 5, "business", False),
    "water-works": ("自来水厂", 10, "business", False),
    "sewage-treatment-plant": ("污水处理厂", 10, "business", False),
    "pumping-station": ("泵站", 20, "business", True),
    "bus-station": ("汽车站", 10, "business", False),
    "road": ("道路", 30, "business", True),
    "bridge": ("桥", 20, "business", True),
    "data-centre": ("数据中心", 5, "business", False),
}
OPERATOR_TYPES = {"public": ("12", "11"), "government": ("11", "12"), "business": ("91",)}
STATUSES = (
    ("in-service", 85),
    ("under-construction", 5),
    ("planned", 4),
    ("out-of-service", 4),
    ("demolished", 2),
)
HOME_COUNTY_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class Facility:
    """One row of ``facilities.csv``."""

    facility_code: str
    name: str
    facility_type: str
    operator_credit_code: str
    township_code: str
    longitude: str
    latitude: str
    status: str


def micro_degrees(text: str) -> int:
    """Parse a decimal degree string into whole micro-degrees."""
    return int((Decimal(text) * MICRO).to_integral_value())


def format_degrees(micro: int) -> str:
    """Format micro-degrees as a decimal with six places (``-35.063060``)."""
    sign = "-" if micro < 0 else ""
    whole, fraction = divmod(abs(micro), MICRO)
    return f"{sign}{whole}.{fraction:06d}"


def in_box(lat: int, long: int) -> bool:
    """Tell whether a point lies in Linyi's bounding box."""
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LONG_RANGE[0] <= long <= LONG_RANGE[1]


def geonames_places(data_dir: Path) -> list[tuple[str, str, int, int, int]]:
    """Return ``(Chinese names, name, lat, long, -population)`` of GeoNames places in the box."""
    places = []
    for row in read_csv(data_dir / GEONAMES_FILE):
        lat, long = micro_degrees(row["latitude"]), micro_degrees(row["longitude"])
        if in_box(lat, long):
            places.append((row["nameZh"], row["name"], lat, long, -int(row["population"] or 0)))
    return sorted(places, key=lambda place: (place[4], place[1], place[2], place[3]))


def reference_point(
    county: Division, places: list[tuple[str, str, int, int, int]]
) -> tuple[int, int]:
    """Return the reference point of ``county`` (see the module docstring)."""
    short = short_county_name(county.name)
    if len(short) >= 2:
        for names, _, lat, long, _ in places:
            if any(short in name for name in names.split("|") if name):
                return lat, long
    seat = COUNTY_SEATS.get(county.code)
    for _, name, lat, long, _ in places:
        if name == seat:
            return lat, long
    for names, _, lat, long, _ in places:
        if LINYI_NAME in names:
            return lat, long
    return LINYI_CITY


def reference_points(
    divisions: Divisions, data_dir: Path | None = None
) -> dict[str, tuple[int, int]]:
    """Return the reference point of every county, by county code."""
    places = geonames_places(data_dir or real_data_dir())
    return {county.code: reference_point(county, places) for county in divisions.counties}


def clamp(value: int, bounds: tuple[int, int]) -> int:
    return min(max(value, bounds[0]), bounds[1])


def place_near(rng: Random, point: tuple[int, int]) -> tuple[str, str]:
    """Return ``(longitude, latitude)`` text at a random offset from ``point``, inside the box."""
    lat = clamp(point[0] + rng.randint(-MAX_OFFSET, MAX_OFFSET), LAT_RANGE)
    long = clamp(point[1] + rng.randint(-MAX_OFFSET, MAX_OFFSET), LONG_RANGE)
    return format_degrees(long), format_degrees(lat)


class OperatorPools:
    """Good legal entities grouped by type, to draw an operator for each kind of facility."""

    def __init__(self, entities: list[LegalEntity]) -> None:
        self._all = [entity.credit_code for entity in entities]
        self._by_type: dict[str, list[str]] = {}
        for entity in entities:
            self._by_type.setdefault(entity.entity_type, []).append(entity.credit_code)

    def pick(self, rng: Random, kind: str) -> str:
        for entity_type in OPERATOR_TYPES[kind]:
            if self._by_type.get(entity_type):
                return rng.choice(self._by_type[entity_type])
        return rng.choice(self._all)


def facility_name(township: Division, label: str, number: int, infrastructure: bool) -> str:
    """Name the ``number``-th facility of one type in ``township``."""
    if infrastructure:
        return f"{township.name}{label}{number:03d}"
    return f"{township.name}{label}" if number == 1 else f"{township.name}第{number}{label}"


def generate_facilities(
    rng: Random,
    count: int,
    operators: OperatorPools,
    divisions: Divisions,
    points: dict[str, tuple[int, int]],
) -> list[Facility]:
    """Return ``count`` facilities."""
    slugs = list(FACILITY_TYPES)
    weights = [FACILITY_TYPES[slug][1] for slug in slugs]
    counties = [code for code, towns in divisions.townships_by_county.items() if towns]
    numbers: Counter[tuple[str, str]] = Counter()
    facilities = []
    for index in range(count):
        slug = rng.choices(slugs, weights)[0]
        label, _, kind, infrastructure = FACILITY_TYPES[slug]
        operator = operators.pick(rng, kind)
        county = operator[2:8]
        if rng.random() >= HOME_COUNTY_SHARE or not divisions.townships_by_county.get(county):
            county = rng.choice(counties)
        township = rng.choice(divisions.townships_by_county[county])
        numbers[township.code, slug] += 1
        longitude, latitude = place_near(rng, points[county])
        facilities.append(
            Facility(
                facility_code=f"F{index + 1:07d}",
                name=facility_name(township, label, numbers[township.code, slug], infrastructure),
                facility_type=slug,
                operator_credit_code=operator,
                township_code=township.code,
                longitude=longitude,
                latitude=latitude,
                status=weighted(rng, STATUSES),
            )
        )
    return facilities
