"""Every named question against answers worked out by hand from fixture.trig.

The fixture city (see the comment at the top of fixture.trig), as the expected answers use it:

  divisions   370000 山东省 > 371300 临沂市 > 371302 兰山区, 371311 罗庄区, 371321 沂南县
              371302 > 371302001 兰山街道 > villages V1 371302001001, V2 371302001201
              371302 > 371302101 白沙埠镇 > V3 371302101006
              371311 > 371311001 罗庄街道 > V4 371311001001
              371321 > 371321104 青驼镇 > V5 371321104201;  371321 > 371329109 玉山镇 (wrong county)

  people      born        lives  represents      people      born        lives  represents
  p01 张伟    1970-05-10  V1     E1 E2 E3        p08 黄强    2011-12-31  V4     -
  p02 李娜    1985-02-01  V3     E4              p09 周丽    1966-01-01  V4     E8 E13
  p03 王芳    1990-12-31  V2     E5              p10 吴刚    1948-08-08  V5     E9
  p04 刘洋    2022-01-01  V1     -               p11 郑洁    2000-10-10  V5     -
  p05 陈静    2015-06-30  V2     -               p12 孙涛    2099-03-01  V1     -
  p06 杨磊    1955-03-03  V3     E6 E7           p13 马超    1980-07-07  V4     E10
  p07 赵敏    2020-01-01  V3     -               p14 朱红    1962-11-11  V2     E11
  p99 钱进 is named as E12's representative only: no resident.

  entities    registered  status        industry  address (township)
  E1  91 企业 371302      1 normal      F         371302001 兰山街道解放路1号
  E2  91      371302      2 abnormal    G         371302101 白沙埠镇物流园8号
  E3  91      371311      1             C         371311001
  E4  92      371311      1             F         371311001
  E5  52      371302      1             P         371302001 兰山街道金雀山路3号
  E6  12      371321      1             Q         371321104
  E7  12      371302      1             P         371302101
  E8  91      371311      3 revoked     C         371311001
  E9  91      371302      4 deregistered D        371302001 兰山街道通达路9号
  E10 91      371311      2 abnormal    I         371311001
  E11 12      371302      1             Q         371302001 兰山街道沂蒙路11号
  E12 91      371302      1             F         371302101
  E13 12      371311      1             P         371311001

  facilities  type                      operator  township   status           lon, lat
  F1  kindergarten                      E5        371302001  in service       118.35, 35.06
  F2  school-primary                    E7        371302101  in service       118.33, 35.15
  F3  community-health-centre           E6        371321104  in service       118.40, 35.60
  F4  hospital                          E11       371302001  in service       118.345, 35.065
  F5  ev-charging-station               E2        371302101  in service       118.34, 35.10
  F6  substation                        E8        371311001  out of service   118.30, 35.00
  F7  fuel-station                      E9        371302001  demolished       118.36, 35.07
  F8  mobile-base-station               E10       371321104  in service       118.41, 35.61
  F9  video-camera                      E1        371302001  in service       118.351, 35.061
  F10 bus-station                       E3        371311001  in service       118.285, 34.995
  F11 park                              X1 (none) 371302101  planned          118.335, 35.145
  F12 school-secondary                  E13       371311001  in service       118.29, 35.01
  Shubuling Airport (OpenFlights 6385)  -         -          -                118.412, 35.0461
  GeoNames 1803318 Linyi (临沂)                                               118.34278, 35.06306

Distances by hand: on a sphere of 6371 km one degree of latitude is 111.19 km and one of
longitude 111.19 km × cos(latitude), 0.8187 at 35.06°. Ages on 2025-12-31 unless said.
Oxigraph writes numbers in canonical form ("100.00"^^xsd:decimal comes back as "100").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kgservice.questions import load_catalog
from kgservice.store.embedded import EmbeddedStore, open_embedded
from tests.questions.support import ask, columns, load_fixture

ID = "https://w3id.org/sckm/id/"
CITY = "https://w3id.org/sckm/city/"
CODE = "https://w3id.org/sckm/codes/"
GRAPH = "https://w3id.org/sckm/graph/"
SH = "http://www.w3.org/ns/shacl#"
SHAPE = "https://w3id.org/sckm/shapes/"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"


def d(code: str) -> str:
    return f"{ID}division/{code}"


def p(key: str) -> str:
    return f"{ID}person/{'ppdi5bq7ihikeabs3pkci6w6xb' if key == 'p01' else key}"


def f(number: int) -> str:
    return f"{ID}facility/facilities/F{number:07d}"


def status(code: int) -> str:
    return f"{CODE}entity-status-{code}"


def ftype(slug: str) -> str:
    return f"{CODE}facility-type-{slug}"


def g(name: str) -> str:
    return GRAPH + name


def dept(slug: str) -> str:
    return f"{ID}department/{slug}"


CREDIT = {
    "E1": "91371302960976799M",
    "E2": "91371302MA3C1E023A",
    "E3": "91371311MA3C1E0316",
    "E4": "92371311L3C1E0046L",
    "E5": "52371302MJ3C1E050M",
    "E6": "123713214953C10617",
    "E7": "123713024953C107XE",
    "E8": "91371311MA3C1E082E",
    "E9": "91371302MA3C1E0908",
    "E10": "91371311MA3C1E103Y",
    "E11": "123713024953C1117R",
    "E12": "91371302MA3C1E12X1",
    "E13": "123713114953C1133G",
    "X1": "91371302MA3C1X0172",
}
E = {key: f"{ID}entity/{code}" for key, code in CREDIT.items()}
AIRPORT = f"{ID}facility/openflights/6385"
LINYI = f"{ID}place/geonames/1803318"
V1, V2, V3, V4, V5 = (
    d("371302001001"),
    d("371302001201"),
    d("371302101006"),
    d("371311001001"),
    d("371321104201"),
)
T1, T2, T3, T4, T5 = (
    d("371302001"),
    d("371302101"),
    d("371311001"),
    d("371321104"),
    d("371329109"),
)
LANSHAN, LUOZHUANG, YINAN = d("371302"), d("371311"), d("371321")
PUBLIC_SECURITY = dept("public-security")
MARKET = dept("market-regulation")
HOUSING = dept("housing-urban-rural-development")
CIVIL = dept("civil-affairs")


def near(actual: str | None, expected_km: float) -> bool:
    """A distance in km as geof:distance gives it, within 1 % of the value worked out by hand
    on a sphere (an engine may use the WGS 84 ellipsoid)."""
    return actual is not None and abs(float(actual) - expected_km) <= 0.01 * expected_km + 0.01


def split(value: str | None, separator: str) -> set[str]:
    return set(value.split(separator)) if value else set()


# --- people and legal entities --------------------------------------------------------------


def test_representatives_of_many(city: EmbeddedStore) -> None:
    rows = ask(city, "representatives-of-many")
    # one row per name the reader sees: the masked copy and the raw name
    assert columns(rows, "person", "entities") == [
        (p("p01"), "3"),
        (p("p01"), "3"),
        (p("p06"), "2"),
        (p("p06"), "2"),
        (p("p09"), "2"),
        (p("p09"), "2"),
    ]
    assert {(r["person"], r["name"], frozenset(split(r["counties"], ", "))) for r in rows} == {
        (p("p01"), "张伟", frozenset({"兰山区", "罗庄区"})),
        (p("p01"), "张*", frozenset({"兰山区", "罗庄区"})),
        (p("p06"), "杨磊", frozenset({"兰山区", "沂南县"})),
        (p("p06"), "杨*", frozenset({"兰山区", "沂南县"})),
        (p("p09"), "周丽", frozenset({"罗庄区"})),
        (p("p09"), "周*", frozenset({"罗庄区"})),
    }
    assert {r["name"] for r in ask(city, "representatives-of-many", minimum=3)} == {"张伟", "张*"}
    everyone = ask(city, "representatives-of-many", minimum=1)
    assert {(r["person"], r["entities"]) for r in everyone} == {
        (p("p01"), "3"),
        (p("p06"), "2"),
        (p("p09"), "2"),
        (p("p02"), "1"),
        (p("p03"), "1"),
        (p("p10"), "1"),
        (p("p13"), "1"),
        (p("p14"), "1"),
        (p("p99"), "1"),
    }


def test_representative_lives_elsewhere(city: EmbeddedStore) -> None:
    rows = ask(city, "representative-lives-elsewhere")
    names = ("entity", "registrationDivision", "representative", "representativeName")
    assert columns(rows, *names, "residence", "residenceCounty", "residenceCountyName") == [
        (E["E9"], LANSHAN, p("p10"), "吴刚", V5, YINAN, "沂南县"),
        (E["E3"], LUOZHUANG, p("p01"), "张伟", V1, LANSHAN, "兰山区"),
        (E["E4"], LUOZHUANG, p("p02"), "李娜", V3, LANSHAN, "兰山区"),
        (E["E6"], YINAN, p("p06"), "杨磊", V3, LANSHAN, "兰山区"),
    ]
    assert rows[0]["entityName"] == "临沂兰山吴刚能源有限公司"
    assert rows[0]["status"] == status(4) and rows[0]["registrationName"] == "兰山区"
    assert rows[0]["residenceName"] == "高里村村民委员会"
    # E12's representative p99 has no registered residence: not listed
    assert [r["entity"] for r in ask(city, "representative-lives-elsewhere", county="371311")] == [
        E["E3"],
        E["E4"],
    ]


def test_representative_living_in_the_county_itself_lives_inside_it() -> None:
    """A residence that is the county of registration itself is inside it: the walk up
    ``city:parentDivision+`` has no step of length zero, the FILTER beside it covers that."""
    store = load_fixture(open_embedded(None))

    def entities_with_p99_living_in(county: str) -> list[tuple[str, str]]:
        triple = f"<{p('p99')}> <{CITY}residence> <{d(county)}>"  # p99 represents E12 (371302)
        store.update(f"INSERT DATA {{ GRAPH <{g('population')}> {{ {triple} }} }}")
        rows = ask(store, "representative-lives-elsewhere")
        store.update(f"DELETE DATA {{ GRAPH <{g('population')}> {{ {triple} }} }}")
        return [(r["entity"], r["residence"]) for r in rows if r["representative"] == p("p99")]

    assert entities_with_p99_living_in("371302") == []
    assert entities_with_p99_living_in("371311") == [(E["E12"], d("371311"))]


def test_representatives_of_troubled_entities(city: EmbeddedStore) -> None:
    rows = ask(city, "representatives-of-troubled-entities")
    assert columns(rows, "person", "personName", "troubledEntities", "normalEntities") == [
        (p("p09"), "周丽", "1", "1"),
        (p("p01"), "张伟", "1", "2"),
    ]
    assert rows[0]["troubledNames"] == "临沂罗庄周丽化工有限公司（吊销）"
    assert rows[0]["normalNames"] == "临沂市罗庄区第一中学"
    assert rows[0]["counties"] == "罗庄区"
    assert rows[1]["troubledNames"] == "临沂伟达物流有限公司（异常）"
    assert split(rows[1]["normalNames"], "；") == {
        "临沂兰山伟业商贸有限公司",
        "临沂罗庄伟丰建材有限公司",
    }
    assert split(rows[1]["counties"], "、") == {"兰山区", "罗庄区"}
    revoked = ask(city, "representatives-of-troubled-entities", status="3")
    assert [r["person"] for r in revoked] == [p("p09")]
    # p10 represents only his deregistered E9: nobody to warn about
    assert ask(city, "representatives-of-troubled-entities", status="4") == []


def test_elderly_representatives(city: EmbeddedStore) -> None:
    rows = ask(city, "elderly-representatives")
    assert columns(rows, "person", "personName", "age", "entity", "statusName") == [
        (p("p10"), "吴刚", "77", E["E9"], "注销（撤销）"),
        (p("p06"), "杨磊", "70", E["E7"], "正常"),
        (p("p06"), "杨磊", "70", E["E6"], "正常"),
    ]
    assert columns(rows, "residenceCountyName", "registrationName") == [
        ("沂南县", "兰山区"),
        ("兰山区", "兰山区"),
        ("兰山区", "沂南县"),
    ]
    later = ask(city, "elderly-representatives", minimumAge=60, asOf="2026-06-30")
    assert columns(later, "person", "age", "entity") == [
        (p("p10"), "77", E["E9"]),
        (p("p06"), "71", E["E7"]),
        (p("p06"), "71", E["E6"]),
        (p("p14"), "63", E["E11"]),
        (p("p09"), "60", E["E13"]),  # 60 on 2026-01-01
        (p("p09"), "60", E["E8"]),
    ]
    # the day before p06's 70th birthday
    assert [r["person"] for r in ask(city, "elderly-representatives", asOf="2025-03-02")] == [
        p("p10")
    ]


def test_an_elderly_representative_without_a_residence_is_listed_once() -> None:
    """p99 (E12's representative) has no registered residence: given a birth date, he is one
    row with no county of residence, not one row for each county the city has."""
    store = load_fixture(open_embedded(None))
    birth = f'<{p("p99")}> <{CITY}birthDate> "1975-04-04"^^<http://www.w3.org/2001/XMLSchema#date>'
    store.update(f"INSERT DATA {{ GRAPH <{g('population')}> {{ {birth} }} }}")
    rows = [
        r for r in ask(store, "elderly-representatives", minimumAge=50) if r["person"] == p("p99")
    ]
    assert columns(rows, "age", "entity", "registrationName") == [("50", E["E12"], "兰山区")]
    assert "residenceCountyName" not in rows[0]


def test_entities_by_industry_and_county(city: EmbeddedStore) -> None:
    rows = ask(city, "entities-by-industry-and-county")
    industry = lambda letter: f"{CODE}industry-{letter}"  # noqa: E731
    names = ("county", "industry", "entities", "normalEntities", "troubledEntities")
    assert columns(rows, *names) == [
        (LANSHAN, industry("F"), "2", "2", "0"),  # E1 E12
        (LANSHAN, industry("P"), "2", "2", "0"),  # E5 E7
        (LANSHAN, industry("D"), "1", "0", "1"),  # E9
        (LANSHAN, industry("G"), "1", "0", "1"),  # E2
        (LANSHAN, industry("Q"), "1", "1", "0"),  # E11
        (LUOZHUANG, industry("C"), "2", "1", "1"),  # E3 E8
        (LUOZHUANG, industry("F"), "1", "1", "0"),  # E4
        (LUOZHUANG, industry("I"), "1", "0", "1"),  # E10
        (LUOZHUANG, industry("P"), "1", "1", "0"),  # E13
        (YINAN, industry("Q"), "1", "1", "0"),  # E6
    ]
    assert (rows[0]["countyName"], rows[0]["industryName"], rows[1]["industryNameEn"]) == (
        "兰山区",
        "批发和零售业",
        "Education",
    )
    chosen = ask(city, "entities-by-industry-and-county", parent="37", sections="C,F")
    assert columns(chosen, "county", "industry", "entities") == [
        (LANSHAN, industry("F"), "2"),
        (LUOZHUANG, industry("C"), "2"),
        (LUOZHUANG, industry("F"), "1"),
    ]


def test_entities_at_addresses_in_division(city: EmbeddedStore) -> None:
    rows = ask(city, "entities-at-addresses-in-division")
    names = ("entity", "representative", "residence", "livesInDivision", "facilities")
    assert columns(rows, *names, "address") == [
        (E["E11"], p("p14"), V2, "true", "1", "兰山街道沂蒙路11号"),
        (E["E5"], p("p03"), V2, "true", "1", "兰山街道金雀山路3号"),
        (E["E1"], p("p01"), V1, "true", "1", "兰山街道解放路1号"),
        (E["E9"], p("p10"), V5, "false", "1", "兰山街道通达路9号"),
    ]
    assert {r["addressDivision"] for r in rows} == {T1}
    assert rows[3]["statusName"] == "注销（撤销）" and rows[3]["representativeName"] == "吴刚"
    baishabu = ask(city, "entities-at-addresses-in-division", division="371302101")
    assert columns(baishabu, *names) == [
        (E["E7"], p("p06"), V3, "true", "1"),
        (E["E2"], p("p01"), V1, "false", "1"),
        (E["E12"], p("p99"), None, None, "0"),
    ]
    county = ask(city, "entities-at-addresses-in-division", division="371302")
    assert {r["entity"] for r in county} == {
        E[k] for k in ("E1", "E2", "E5", "E7", "E9", "E11", "E12")
    }


def test_find_entities_by_name(city: EmbeddedStore) -> None:
    named = {r["entity"] for r in ask(city, "find-entities-by-name")}  # "临沂"
    assert named == {E[key] for key in CREDIT if key not in ("E4", "E6", "X1")}
    rows = ask(city, "find-entities-by-name", text="伟")
    names = ("entity", "entityName", "statusName", "countyName", "townshipName")
    assert columns(rows, *names) == [
        (E["E2"], "临沂伟达物流有限公司", "异常", "兰山区", "白沙埠镇"),
        (E["E1"], "临沂兰山伟业商贸有限公司", "正常", "兰山区", "兰山街道"),
        (E["E3"], "临沂罗庄伟丰建材有限公司", "正常", "罗庄区", "罗庄街道"),
    ]
    assert (
        columns(rows, "representative", "representativeName", "residenceCountyName")
        == [(p("p01"), "张伟", "兰山区")] * 3
    )
    assert [r["facilities"] for r in rows] == ["1", "1", "1"]  # F5, F9, F10
    assert columns(ask(city, "find-entities-by-name", text="钱进"), *names[:2], "facilities") == [
        (E["E12"], "临沂兰山钱进贸易有限公司", "0")
    ]


# --- places, people and facilities ---------------------------------------------------------


def test_age_groups_and_services(city: EmbeddedStore) -> None:
    names = (
        "area", "name", "residents", "age0to5", "age6to14", "age15to59", "age60plus",
        "kindergartens", "schools", "clinics", "hospitals",
    )  # fmt: skip
    assert columns(ask(city, "age-groups-and-services"), *names) == [
        # p04 3 | p05 10 | p01 55, p03 35 | p14 63; p12 born 2099 is in no group; F1, F4
        (T1, "兰山街道", "6", "1", "1", "2", "1", "1", "0", "0", "1"),
        # p07 5 | - | p02 40 | p06 70; F2
        (T2, "白沙埠镇", "3", "1", "0", "1", "1", "0", "1", "0", "0"),
    ]
    later = ask(city, "age-groups-and-services", division="371311", asOf="2026-06-30")
    # p08 14, p13 45, p09 60 (on 2026-01-01); F12 is a secondary school, F6 and F10 no service
    assert columns(later, *names) == [(T3, "罗庄街道", "3", "0", "1", "1", "1", "0", "1", "0", "0")]
    yinan = ask(city, "age-groups-and-services", division="371321")
    assert columns(yinan, *names) == [
        (T4, "青驼镇", "2", "0", "0", "1", "1", "0", "0", "1", "0"),  # p11 25, p10 77; F3
        (T5, "玉山镇", "0", "0", "0", "0", "0", "0", "0", "0", "0"),
    ]


def test_villages_without_school(city: EmbeddedStore) -> None:
    rows = ask(city, "villages-without-school")
    names = ("village", "villageName", "township", "residents", "schoolAgeResidents")
    # 白沙埠镇 has F2; 兰山街道 only a kindergarten
    assert columns(rows, *names) == [
        (V2, "娄庄村委会", T1, "3", "1"),  # p03, p05 (10), p14
        (V1, "前十里堡社区居委会", T1, "3", "0"),  # p01, p04 (3), p12
    ]
    early = ask(city, "villages-without-school", division="371321", asOf="2010-01-01")
    assert columns(early, *names) == [(V5, "高里村村民委员会", T4, "2", "1")]  # p11 was 9
    assert ask(city, "villages-without-school", division="371311") == []  # F12 in 罗庄街道


def test_troubled_entities_by_division(city: EmbeddedStore) -> None:
    names = (
        "division", "name", "entities", "abnormalEntities", "revokedEntities",
        "deregisteredEntities", "troubledEntities", "troubledPercent", "residents",
    )  # fmt: skip
    assert columns(ask(city, "troubled-entities-by-division"), *names) == [
        (LUOZHUANG, "罗庄区", "5", "1", "1", "0", "2", "40", "3"),  # E10, E8
        (LANSHAN, "兰山区", "7", "1", "0", "1", "2", "28.6", "9"),  # E2, E9
        (YINAN, "沂南县", "1", "0", "0", "0", "0", "0", "2"),
    ]
    townships = ask(city, "troubled-entities-by-division", parent="371302")
    assert columns(townships, *names) == [
        (T2, "白沙埠镇", "3", "1", "0", "0", "1", "33.3", "3"),  # E2 E7 E12 by address
        (T1, "兰山街道", "4", "0", "0", "1", "1", "25", "6"),  # E1 E5 E9 E11
    ]


def test_residents_per_facility(city: EmbeddedStore) -> None:
    names = ("division", "residents", "facilities", "residentsPerFacility")
    # public service facilities in service: F1 F2 F4 | F12 | F3 (F11 is only planned)
    assert columns(ask(city, "residents-per-facility"), *names) == [
        (LANSHAN, "9", "3", "3"),
        (LUOZHUANG, "3", "1", "3"),
        (YINAN, "2", "1", "2"),
    ]
    primary = ask(city, "residents-per-facility", parent="371302", type="school-primary")
    assert columns(primary, *names) == [(T1, "6", "0", None), (T2, "3", "1", "3")]


# --- infrastructure -----------------------------------------------------------------------


def test_facilities_by_type_and_operator(city: EmbeddedStore) -> None:
    rows = ask(city, "facilities-by-type-and-operator")
    names = ("facilityType", "operator", "facilities", "facilitiesInService")
    assert columns(rows, *names) == [
        (ftype("ev-charging-station"), E["E2"], "1", "1"),
        (ftype("fuel-station"), E["E9"], "1", "0"),
        (ftype("substation"), E["E8"], "1", "0"),
        (ftype("community-health-centre"), E["E6"], "1", "1"),
        (ftype("hospital"), E["E11"], "1", "1"),
        (ftype("kindergarten"), E["E5"], "1", "1"),
        (ftype("park"), E["X1"], "1", "0"),
        (ftype("school-primary"), E["E7"], "1", "1"),
        (ftype("school-secondary"), E["E13"], "1", "1"),
        (ftype("mobile-base-station"), E["E10"], "1", "1"),
        (ftype("airport"), None, "1", "0"),
        (ftype("bus-station"), E["E3"], "1", "1"),
        (ftype("video-camera"), E["E1"], "1", "1"),
    ]
    park = rows[6]
    assert (park["category"], park["typeName"]) == (ftype("public-services"), "公园")
    assert "operatorName" not in park and "operatorStatus" not in park  # X1 is not registered
    assert (rows[1]["operatorStatus"], rows[1]["operatorCounty"]) == (status(4), "兰山区")
    public = ask(city, "facilities-by-type-and-operator", division="371302", type="public-services")
    assert columns(public, "facilityType", "operator") == [
        (ftype("hospital"), E["E11"]),
        (ftype("kindergarten"), E["E5"]),
        (ftype("park"), E["X1"]),
        (ftype("school-primary"), E["E7"]),
    ]


def test_facility_categories_by_area(city: EmbeddedStore) -> None:
    category = lambda slug: ftype(slug)  # noqa: E731
    names = ("area", "category", "facilities", "facilitiesInService", "operators")
    assert columns(ask(city, "facility-categories-by-area"), *names) == [
        (T1, category("energy"), "1", "0", "1"),  # F7 demolished
        (T1, category("public-services"), "2", "2", "2"),  # F1 F4
        (T1, category("urban-sensing"), "1", "1", "1"),  # F9
        (T2, category("energy"), "1", "1", "1"),  # F5
        (T2, category("public-services"), "2", "1", "2"),  # F2, F11 planned
    ]
    assert columns(ask(city, "facility-categories-by-area", division="371300"), *names) == [
        (LANSHAN, category("energy"), "2", "1", "2"),
        (LANSHAN, category("public-services"), "4", "3", "4"),
        (LANSHAN, category("urban-sensing"), "1", "1", "1"),
        (LUOZHUANG, category("energy"), "1", "0", "1"),
        (LUOZHUANG, category("public-services"), "1", "1", "1"),
        (LUOZHUANG, category("transport"), "1", "1", "1"),
        (YINAN, category("public-services"), "1", "1", "1"),
        (YINAN, category("telecom"), "1", "1", "1"),
    ]


def test_operator_representative_elsewhere(city: EmbeddedStore) -> None:
    names = ("facility", "place", "operator", "representative", "residence", "residenceCounty")
    rows = ask(city, "operator-representative-elsewhere")
    assert columns(rows, *names) == [(f(7), T1, E["E9"], p("p10"), V5, YINAN)]
    assert columns(rows, "facilityName", "operatorCounty", "representativeName") == [
        ("通达路加油站", "兰山区", "吴刚")
    ]
    assert columns(ask(city, "operator-representative-elsewhere", division="371321"), *names) == [
        (f(3), T4, E["E6"], p("p06"), V3, LANSHAN),
        (f(8), T4, E["E10"], p("p13"), V4, LUOZHUANG),
    ]
    assert columns(ask(city, "operator-representative-elsewhere", division="371311"), *names) == [
        (f(10), T3, E["E3"], p("p01"), V1, LANSHAN)
    ]


def test_facilities_of_troubled_operators(city: EmbeddedStore) -> None:
    names = (
        "facility", "facilityStatus", "township", "countyName", "operator", "status",
        "representative", "representativeName",
    )  # fmt: skip
    in_service = f"{CODE}facility-status-in-service"
    assert columns(ask(city, "facilities-of-troubled-operators"), *names) == [
        (f(5), in_service, T2, "兰山区", E["E2"], status(2), p("p01"), "张伟"),
        (f(6), f"{CODE}facility-status-out-of-service", T3, "罗庄区", E["E8"], status(3),
         p("p09"), "周丽"),
        (f(7), f"{CODE}facility-status-demolished", T1, "兰山区", E["E9"], status(4),
         p("p10"), "吴刚"),
        (f(8), in_service, T4, "沂南县", E["E10"], status(2), p("p13"), "马超"),
    ]  # fmt: skip
    serving = ask(city, "facilities-of-troubled-operators", inServiceOnly="true")
    assert [r["facility"] for r in serving] == [f(5), f(8)]
    yinan = ask(city, "facilities-of-troubled-operators", division="371321")
    assert [r["facility"] for r in yinan] == [f(8)]
    revoked = ask(city, "facilities-of-troubled-operators", status="3")
    assert [r["facility"] for r in revoked] == [f(6)]


def test_troubled_operators_nearby(city: EmbeddedStore, geosparql: None) -> None:
    rows = ask(city, "troubled-operators-nearby")  # 50 km of Linyi's centre; F8 is ~61 km off
    names = ("facility", "operator", "status", "facilityStatus", "township")
    assert columns(rows, *names) == [
        (f(7), E["E9"], status(4), f"{CODE}facility-status-demolished", T1),
        (f(5), E["E2"], status(2), f"{CODE}facility-status-in-service", T2),
        (f(6), E["E8"], status(3), f"{CODE}facility-status-out-of-service", T3),
    ]
    # F7: 0.01722° east, 0.00694° north = 1.567 and 0.772 km; F5: 0.253 and 4.107 km;
    # F6: 3.894 and 7.012 km
    for row, km in zip(rows, (1.75, 4.11, 8.02), strict=True):
        assert near(row["distanceKm"], km), (row["facility"], row["distanceKm"])
    assert (
        rows[0]["statusName"] == "注销（撤销）"
        and rows[0]["operatorName"] == "临沂兰山吴刚能源有限公司"
    )
    close = ask(city, "troubled-operators-nearby", radius=5)
    assert [r["facility"] for r in close] == [f(7), f(5)]
    assert [r["facility"] for r in ask(city, "troubled-operators-nearby", radius=5, status=2)] == [
        f(5)
    ]
    # around the place of GeoNames' Linyi, the same centre
    at_place = ask(city, "troubled-operators-nearby", place=LINYI, radius=5)
    assert [r["facility"] for r in at_place] == [f(7), f(5)]
    # around 青驼镇卫生院 (F3): F8 is 0.01° east and north, 0.904 and 1.112 km
    qingtuo = ask(city, "troubled-operators-nearby", place=f(3), radius=5)
    assert columns(qingtuo, "facility", "operator") == [(f(8), E["E10"])]
    assert near(qingtuo[0]["distanceKm"], 1.43)
    # a place without a geometry gives nothing, not the default centre
    assert ask(city, "troubled-operators-nearby", place=LANSHAN) == []


def test_transport_near_place(city: EmbeddedStore, geosparql: None) -> None:
    rows = ask(city, "transport-near-place")
    names = ("facility", "type", "township", "operator", "operatorStatus")
    assert columns(rows, *names) == [
        (AIRPORT, ftype("airport"), None, None, None),
        (f(10), ftype("bus-station"), T3, E["E3"], status(1)),
    ]
    assert split(rows[0]["codes"], ",") == {"LYI", "ZSLY"} and rows[1]["codes"] == "F0000010"
    assert rows[0]["name"] == "Shubuling Airport" and rows[1]["townshipName"] == "罗庄街道"
    # airport: 0.06922° east, 0.01696° south = 6.302 and 1.886 km; F10: 5.259 and 7.568 km
    assert near(rows[0]["distanceKm"], 6.58) and near(rows[1]["distanceKm"], 9.22)
    assert [r["facility"] for r in ask(city, "transport-near-place", radius=8)] == [AIRPORT]
    assert [r["facility"] for r in ask(city, "transport-near-place", place=LINYI, radius=8)] == [
        AIRPORT
    ]
    # from 罗庄区第一中学 (F12): F10 is 0.005° west and 0.015° south, 0.455 and 1.668 km
    school = ask(city, "transport-near-place", place=f(12), radius=2)
    assert [r["facility"] for r in school] == [f(10)] and near(school[0]["distanceKm"], 1.73)


def test_facilities_in_area(city: EmbeddedStore) -> None:
    # The default square 118.2-118.45 E, 35.0-35.2 N holds F1 F2 F4 F5 F7 F9 F11 F12 and the
    # airport (118.412, 35.046); F3 and F8 (35.6 N) lie north of it, F10 (34.995 N) south, and
    # F6 (118.30, 35.00) on its southern edge: on the boundary is not within.
    rows = ask(city, "facilities-in-area")
    names = ("facility", "facilityType", "facilityStatus", "township", "operator", "operatorStatus")
    in_service = f"{CODE}facility-status-in-service"
    assert columns(rows, *names) == [
        (f(1), ftype("kindergarten"), in_service, T1, E["E5"], status(1)),
        (f(2), ftype("school-primary"), in_service, T2, E["E7"], status(1)),
        (f(4), ftype("hospital"), in_service, T1, E["E11"], status(1)),
        (f(5), ftype("ev-charging-station"), in_service, T2, E["E2"], status(2)),
        (f(7), ftype("fuel-station"), f"{CODE}facility-status-demolished", T1, E["E9"], status(4)),
        (f(9), ftype("video-camera"), in_service, T1, E["E1"], status(1)),
        (f(11), ftype("park"), f"{CODE}facility-status-planned", T2, E["X1"], None),
        (f(12), ftype("school-secondary"), in_service, T3, E["E13"], status(1)),
        (AIRPORT, ftype("airport"), None, None, None, None),
    ]
    assert (rows[3]["operatorName"], rows[3]["operatorStatusName"]) == (
        "临沂伟达物流有限公司",
        "异常",
    )
    assert rows[0]["typeName"] == "幼儿园" and rows[-1]["name"] == "Shubuling Airport"
    public = ask(city, "facilities-in-area", type="public-services")
    assert [r["facility"] for r in public] == [f(1), f(2), f(4), f(11), f(12)]
    assert [r["facility"] for r in ask(city, "facilities-in-area", type="transport")] == [AIRPORT]
    # a small square around 罗庄 (Luozhuang), given with its CRS84 IRI: F6, F10, F12
    crs84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    luozhuang = (
        f"{crs84} POLYGON((118.28 34.99, 118.31 34.99, 118.31 35.02, 118.28 35.02, 118.28 34.99))"
    )
    assert [r["facility"] for r in ask(city, "facilities-in-area", area=luozhuang)] == [
        f(6),
        f(10),
        f(12),
    ]
    # a triangle: Linyi's centre A, the airport B, F2 C. Sides by cross products, e.g. for F4
    # (AB × AF4) = 0.06922 × 0.00194 + 0.01696 × 0.00222 > 0, the side C is on. F4, F5 and F7
    # are inside; F1 and F9 lie just across AB (F9 by -3.2e-6), F11 across BC, F2 is a vertex.
    triangle = "POLYGON((118.34278 35.06306, 118.412 35.0461, 118.33 35.15, 118.34278 35.06306))"
    assert [r["facility"] for r in ask(city, "facilities-in-area", area=triangle)] == [
        f(4),
        f(5),
        f(7),
    ]


def test_division_facilities(city: EmbeddedStore) -> None:
    rows = ask(city, "division-facilities")
    names = ("facility", "type", "operator", "operatorStatus", "longitude", "latitude")
    assert columns(rows, *names) == [
        (f(1), ftype("kindergarten"), E["E5"], status(1), "118.35", "35.06"),
        (f(2), ftype("school-primary"), E["E7"], status(1), "118.33", "35.15"),
        (f(4), ftype("hospital"), E["E11"], status(1), "118.345", "35.065"),
        (f(5), ftype("ev-charging-station"), E["E2"], status(2), "118.34", "35.1"),
        (f(7), ftype("fuel-station"), E["E9"], status(4), "118.36", "35.07"),
        (f(9), ftype("video-camera"), E["E1"], status(1), "118.351", "35.061"),
        (f(11), ftype("park"), E["X1"], None, "118.335", "35.145"),
    ]
    assert [r["facility"] for r in ask(city, "division-facilities", division="371321")] == [
        f(3),
        f(8),
    ]


def test_a_facility_without_operator_is_listed_in_its_division() -> None:
    """Every facility of the division, not only those with an operator (the fixture's all
    have one)."""
    store = load_fixture(open_embedded(None))
    facility = f(20)
    triples = (
        f"<{facility}> a <{CITY}Facility> ; <https://w3id.org/sckm/core/atPlace> "
        f"<{d('371321104')}> ."
    )
    store.update(f"INSERT DATA {{ GRAPH <{g('facilities')}> {{ {triples} }} }}")
    rows = ask(store, "division-facilities", division="371321")
    assert columns(rows, "facility", "operator") == [
        (f(3), E["E6"]),
        (f(8), E["E10"]),
        (f(20), None),
    ]


def test_division_summary(city: EmbeddedStore) -> None:
    names = ("division", "name", "level", "residents", "entities", "facilities")
    assert columns(ask(city, "division-summary"), *names) == [
        (LANSHAN, "兰山区", "County", "9", "7", "7"),
        (LUOZHUANG, "罗庄区", "County", "3", "5", "3"),
        (YINAN, "沂南县", "County", "2", "1", "2"),
    ]
    assert columns(ask(city, "division-summary", parent="371302"), *names) == [
        (T1, "兰山街道", "Township", "6", "4", "4"),
        (T2, "白沙埠镇", "Township", "3", "3", "3"),
    ]


def test_division_entities(city: EmbeddedStore) -> None:
    industry = lambda letter: f"{CODE}industry-{letter}"  # noqa: E731
    names = ("status", "industry", "entities")
    assert columns(ask(city, "division-entities"), *names) == [
        (status(1), industry("F"), "2"),  # E1 E12
        (status(1), industry("P"), "2"),  # E5 E7
        (status(1), industry("Q"), "1"),  # E11
        (status(2), industry("G"), "1"),  # E2
        (status(4), industry("D"), "1"),  # E9
    ]
    assert columns(ask(city, "division-entities", division="371302101"), *names) == [
        (status(1), industry("F"), "1"),
        (status(1), industry("P"), "1"),
        (status(2), industry("G"), "1"),
    ]


# --- profiles and provenance -----------------------------------------------------------------


def test_person_profile(city: EmbeddedStore) -> None:
    rows = ask(city, "person-profile")  # p01 张伟
    found = set(columns(rows, "aspect", "property", "value", "graph"))
    population, personal = g("population"), g("population/personal")
    entities, entities_personal = g("legal-entities"), g("legal-entities/personal")
    assert found == {
        ("attribute", CITY + "citizenId", "3713**************", population),
        ("attribute", CITY + "personName", "张*", population),
        ("attribute", CITY + "birthDate", "1970-05-10", population),
        ("attribute", CITY + "sex", CODE + "sex-1", population),
        ("attribute", CITY + "residence", V1, population),
        ("attribute", PROV_DERIVED, f"{ID}source/population/population.csv#row=2", population),
        ("attribute", CITY + "citizenId", "371302197005100015", personal),
        ("attribute", CITY + "personName", "张伟", personal),
        ("attribute", CITY + "citizenId", "3713**************", entities),
        ("attribute", CITY + "personName", "张*", entities),
        ("attribute", CITY + "citizenId", "371302197005100015", entities_personal),
        ("attribute", CITY + "personName", "张伟", entities_personal),
        ("residence", CITY + "Township", T1, g("divisions")),
        ("residence", CITY + "County", LANSHAN, g("divisions")),
        ("residence", CITY + "Prefecture", d("371300"), g("divisions")),
        ("residence", CITY + "Province", d("370000"), g("divisions")),
        ("represents", CITY + "legalRepresentative", E["E1"], entities),
        ("represents", CITY + "legalRepresentative", E["E2"], entities),
        ("represents", CITY + "legalRepresentative", E["E3"], entities),
        ("operated-facility", CITY + "operator", f(9), g("facilities")),
        ("operated-facility", CITY + "operator", f(5), g("facilities")),
        ("operated-facility", CITY + "operator", f(10), g("facilities")),
    }
    assert len(rows) == len(found)
    by_value = {(r["aspect"], r["value"], r["graph"]): r for r in rows}
    assert by_value[("represents", E["E2"], entities)]["label"] == "临沂伟达物流有限公司（异常）"
    assert by_value[("attribute", CODE + "sex-1", population)]["label"] == "男性"
    assert by_value[("residence", T1, g("divisions"))]["department"] == CIVIL
    assert by_value[("attribute", "张伟", personal)]["department"] == PUBLIC_SECURITY
    assert by_value[("attribute", "张伟", personal)]["departmentName"] == "临沂市公安局"
    assert by_value[("operated-facility", f(9), g("facilities"))]["department"] == HOUSING

    other = ask(city, "person-profile", person=p("p13"))
    assert {r["aspect"] for r in other if r["aspect"] != "attribute"} == {
        "residence", "represents", "operated-facility", "finding",
    }  # fmt: skip
    assert sum(r["aspect"] == "attribute" for r in other) == 12
    assert set(columns([r for r in other if r["aspect"] != "attribute"], "aspect", "value")) == {
        ("residence", T3),
        ("residence", LUOZHUANG),
        ("residence", d("371300")),
        ("residence", d("370000")),
        ("represents", E["E10"]),
        ("operated-facility", f(8)),
        ("finding", SHAPE + "NaturalPerson-citizenId-checksum"),
    }
    finding = next(r for r in other if r["aspect"] == "finding")
    assert (finding["property"], finding["graph"]) == (SH + "Violation", g("quality"))
    assert "department" not in finding and "GB 11643" in finding["label"]


def test_entity_profile(city: EmbeddedStore) -> None:
    rows = ask(city, "entity-profile")  # E1
    entities, entities_personal = g("legal-entities"), g("legal-entities/personal")
    attributes = {(r["property"], r["value"]) for r in rows if r["aspect"] == "attribute"}
    assert attributes == {
        (CITY + "creditCode", "91371302960976799M"),
        (CITY + "organizationCode", "960976799"),
        (CITY + "legalName", "临沂兰山伟业商贸有限公司"),
        (CITY + "entityType", CODE + "entity-type-91"),
        (CITY + "registrationDate", "2010-03-15"),
        (CITY + "status", status(1)),
        (CITY + "registeredCapital", "100"),
        (CITY + "capitalCurrency", "CNY"),
        (CITY + "industry", CODE + "industry-F"),
        (CITY + "legalRepresentative", p("p01")),
        (CITY + "registrationDivision", LANSHAN),
        (CITY + "registeredAddress", f"{ID}address/a01"),
        (PROV_DERIVED, f"{ID}source/legal-entities/legal_entities.csv#row=2"),
    }
    others = {
        (r["aspect"], r["property"], r["value"], r["graph"])
        for r in rows
        if r["aspect"] != "attribute"
    }
    record = f"{ID}source/legal-entities/legal_entities.csv#row=2"
    assert others == {
        ("address", CITY + "addressText", "兰山街道****", entities),
        ("address", CITY + "addressText", "兰山街道解放路1号", entities_personal),
        ("address", CITY + "inDivision", T1, entities),
        ("address", PROV_DERIVED, record, entities),
        ("representative", CITY + "personName", "张*", g("population")),
        ("representative", CITY + "personName", "张伟", g("population/personal")),
        ("representative", CITY + "personName", "张*", entities),
        ("representative", CITY + "personName", "张伟", entities_personal),
        ("representative", CITY + "residence", V1, g("population")),
        ("same-representative", CITY + "legalRepresentative", E["E2"], entities),
        ("same-representative", CITY + "legalRepresentative", E["E3"], entities),
        ("facility", CITY + "operator", f(9), g("facilities")),
    }
    assert len(rows) == 25
    labels = {(r["aspect"], r["value"]): r.get("label") for r in rows}
    assert labels[("attribute", status(1))] == "正常"
    assert labels[("same-representative", E["E3"])] == "临沂罗庄伟丰建材有限公司（正常）"
    assert labels[("facility", f(9))] == "兰山街道视频监控001"

    faulty = ask(city, "entity-profile", entity=CREDIT["E12"])
    assert {(r["aspect"], r["value"]) for r in faulty if r["aspect"] != "attribute"} == {
        ("address", "白沙埠镇****"),
        ("address", "白沙埠镇商贸街12号"),
        ("address", T2),
        ("address", f"{ID}source/legal-entities/legal_entities.csv#row=13"),
        ("representative", "钱*"),
        ("representative", "钱进"),
        ("finding", SHAPE + "LegalEntity-creditCode-checksum"),
        ("finding", SHAPE + "LegalEntity-legalRepresentative"),
    }
    severities = {r["value"]: r["property"] for r in faulty if r["aspect"] == "finding"}
    assert severities == {
        SHAPE + "LegalEntity-creditCode-checksum": SH + "Warning",
        SHAPE + "LegalEntity-legalRepresentative": SH + "Violation",
    }


def test_entity_sources(city: EmbeddedStore) -> None:
    names = ("graph", "dataset", "department", "departmentName", "loadedAt", "statements")
    assert columns(ask(city, "entity-sources"), *names) == [  # E1
        (g("legal-entities"), f"{ID}dataset/legal-entities", MARKET, "临沂市市场监督管理局",
         "2026-01-06T03:00:00Z", "14"),  # 14 statements with E1 as subject
        (g("facilities"), f"{ID}dataset/facilities", HOUSING, "临沂市住房和城乡建设局",
         "2026-01-07T04:00:00Z", "1"),  # F9 city:operator E1
    ]  # fmt: skip
    faulty = ask(city, "entity-sources", entity=E["E12"])
    assert columns(faulty, *names) == [
        (g("legal-entities"), f"{ID}dataset/legal-entities", MARKET, "临沂市市场监督管理局",
         "2026-01-06T03:00:00Z", "14"),
        (g("quality"), None, None, None, "2026-01-07T05:00:00Z", "2"),  # two findings
    ]  # fmt: skip


def test_department_contributions(city: EmbeddedStore) -> None:
    names = (
        "dataset", "department", "graph", "loadedAt", "records", "triples", "people",
        "entities", "addresses", "divisions", "facilities", "places", "findings",
    )  # fmt: skip
    dataset = lambda name: f"{ID}dataset/{name}"  # noqa: E731
    assert columns(ask(city, "department-contributions"), *names) == [
        (dataset("transport-openflights"), dept("openflights"), g("transport-openflights"),
         "2025-12-01T00:00:00Z", "1", "12", "0", "0", "0", "0", "1", "0", "0"),
        (dataset("places-geonames"), dept("geonames"), g("places-geonames"),
         "2025-12-01T00:05:00Z", "1", "11", "0", "0", "0", "0", "0", "1", "0"),
        (dataset("divisions"), CIVIL, g("divisions"),
         "2026-01-05T02:00:00Z", "15", "74", "0", "0", "0", "15", "0", "0", "1"),
        (dataset("population"), PUBLIC_SECURITY, g("population"),
         "2026-01-05T02:10:00Z", "14", "98", "14", "0", "0", "0", "0", "0", "2"),
        (dataset("legal-entities"), MARKET, g("legal-entities"),
         "2026-01-06T03:00:00Z", "13", "252", "0", "13", "13", "0", "0", "0", "2"),
        (dataset("facilities"), HOUSING, g("facilities"),
         "2026-01-07T04:00:00Z", "12", "169", "0", "0", "0", "0", "12", "0", "1"),
    ]  # fmt: skip


def test_dangling_references(city: EmbeddedStore) -> None:
    rows = ask(city, "dangling-references")
    names = ("problem", "subject", "subjectName", "reference", "department")
    assert columns(rows, *names) == [
        ("operator-not-registered", f(11), "白沙埠镇公园", E["X1"], HOUSING),
        ("representative-not-registered", E["E12"], "临沂兰山钱进贸易有限公司", p("p99"), MARKET),
    ]


def test_references_to_unregistered_places() -> None:
    """A residence, a facility's place and an address's division that the division register
    does not hold are each reported once, with the referring record's department."""
    store = load_fixture(open_embedded(None))
    address = f"{ID}address/nowhere"
    added = {
        "population": f"<{p('p01')}> <{CITY}residence> <{d('371302999')}>",
        "facilities": f"<{f(1)}> <https://w3id.org/sckm/core/atPlace> <{d('371399')}>",
        "legal-entities": f"<{address}> <{CITY}inDivision> <{d('999999')}>",
    }
    for graph, triple in added.items():
        store.update(f"INSERT DATA {{ GRAPH <{g(graph)}> {{ {triple} }} }}")
    rows = [r for r in ask(store, "dangling-references") if r["problem"].startswith("division")]
    assert columns(rows, "subject", "reference", "department") == [
        (f"{ID}address/nowhere", d("999999"), None),
        (f(1), d("371399"), HOUSING),
        (p("p01"), d("371302999"), PUBLIC_SECURITY),
    ]


# --- data quality ------------------------------------------------------------------------------


def test_quality_by_department(city: EmbeddedStore) -> None:
    names = ("department", "departmentName", "dataset", "severity", "kind", "findings")
    rows = ask(city, "quality-by-department")
    assert columns(rows, *names) == [
        (PUBLIC_SECURITY, "临沂市公安局", f"{ID}dataset/population", SH + "Violation",
         "person", "2"),
        (CIVIL, "临沂市民政局", f"{ID}dataset/divisions", SH + "Violation", "division", "1"),
        (HOUSING, "临沂市住房和城乡建设局", f"{ID}dataset/facilities", SH + "Violation",
         "facility", "1"),
        (MARKET, "临沂市市场监督管理局", f"{ID}dataset/legal-entities", SH + "Violation",
         "entity", "1"),
        (MARKET, "临沂市市场监督管理局", f"{ID}dataset/legal-entities", SH + "Warning",
         "entity", "1"),
    ]  # fmt: skip
    assert rows[0]["departmentNameEn"] == "Linyi Public Security Bureau"
    assert columns(ask(city, "quality-by-department", level="Warning"), *names) == [
        (MARKET, "临沂市市场监督管理局", f"{ID}dataset/legal-entities", SH + "Warning",
         "entity", "1"),
    ]  # fmt: skip
    assert ask(city, "quality-by-department", level="Info") == []


def test_quality_by_rule(city: EmbeddedStore) -> None:
    names = ("rule", "ruleName", "severity", "department", "findings", "exampleFocus")
    rows = ask(city, "quality-by-rule")
    assert columns(rows, *names) == [
        (SHAPE + "AdministrativeDivision-code-prefix", "AdministrativeDivision-code-prefix",
         SH + "Violation", CIVIL, "1", T5),
        (SHAPE + "Facility-operator", "Facility-operator", SH + "Violation", HOUSING, "1", f(11)),
        (SHAPE + "LegalEntity-creditCode-checksum", "LegalEntity-creditCode-checksum",
         SH + "Warning", MARKET, "1", E["E12"]),
        (SHAPE + "LegalEntity-legalRepresentative", "LegalEntity-legalRepresentative",
         SH + "Violation", MARKET, "1", E["E12"]),
        (SHAPE + "NaturalPerson-birthDate-range", "NaturalPerson-birthDate-range",
         SH + "Violation", PUBLIC_SECURITY, "1", p("p12")),
        (SHAPE + "NaturalPerson-citizenId-checksum", "NaturalPerson-citizenId-checksum",
         SH + "Violation", PUBLIC_SECURITY, "1", p("p13")),
    ]  # fmt: skip
    checksum = rows[5]
    assert "GB 11643" in checksum["exampleMessage"] and "GB 11643" in checksum["exampleMessageEn"]
    assert "371311198007070010" not in checksum["exampleMessage"]  # no raw ID number
    market = ask(city, "quality-by-rule", publisher=MARKET, level="Violation")
    assert [r["rule"] for r in market] == [SHAPE + "LegalEntity-legalRepresentative"]


def test_findings_in_division(city: EmbeddedStore) -> None:
    names = ("kind", "focus", "name", "rule", "severity")
    assert columns(ask(city, "findings-in-division"), *names) == [
        ("entity", E["E12"], "临沂兰山钱进贸易有限公司", SHAPE + "LegalEntity-creditCode-checksum",
         SH + "Warning"),
        ("entity", E["E12"], "临沂兰山钱进贸易有限公司", SHAPE + "LegalEntity-legalRepresentative",
         SH + "Violation"),
        ("facility", f(11), "白沙埠镇公园", SHAPE + "Facility-operator", SH + "Violation"),
        ("person", p("p12"), "孙涛", SHAPE + "NaturalPerson-birthDate-range", SH + "Violation"),
    ]  # fmt: skip
    assert columns(ask(city, "findings-in-division", division="371321"), *names) == [
        ("division", T5, "玉山镇", SHAPE + "AdministrativeDivision-code-prefix", SH + "Violation")
    ]
    luozhuang = ask(city, "findings-in-division", division="371311")
    assert columns(luozhuang, *names) == [
        ("person", p("p13"), "马超", SHAPE + "NaturalPerson-citizenId-checksum", SH + "Violation")
    ]
    assert "GB 11643" in luozhuang[0]["message"]


def test_the_fixture_quality_graph_is_the_report_the_validator_writes() -> None:
    """graph:quality of the fixture holds exactly the findings our validator reports on the
    fixture's data, in the vocabulary kgservice.quality writes (what the questions read)."""
    from kgservice.quality import QUALITY_GRAPH, REPORT, validate_store

    store = load_fixture(open_embedded(None))
    expected = {
        (finding.focus, finding.shape, finding.component, finding.severity.value)
        for finding in validate_store(store)
    }
    reported = {
        (row["focus"].value, row["shape"].value, row["component"].value, row["severity"].value)
        for row in store.select(
            f"""PREFIX sh: <{SH}>
            SELECT ?focus ?shape ?component ?severity WHERE {{
              GRAPH <{QUALITY_GRAPH.value}> {{
                <{REPORT.value}> a sh:ValidationReport ; sh:conforms false ; sh:result ?result .
                ?result a sh:ValidationResult ; sh:focusNode ?focus ; sh:sourceShape ?shape ;
                  sh:sourceConstraintComponent ?component ; sh:resultSeverity ?severity ;
                  sh:resultMessage ?zh , ?en .
                FILTER(LANG(?zh) = "zh" && LANG(?en) = "en")
              }}
            }}"""
        )
    }
    assert reported == expected and len(expected) == 6


def test_every_question_has_its_answer_written_out_here() -> None:
    asked = set(re.findall(r'ask\(\s*city,\s*"([a-z0-9-]+)"', Path(__file__).read_text("utf-8")))
    assert set(load_catalog()) <= asked, set(load_catalog()) - asked


GEO_QUESTIONS = {"troubled-operators-nearby", "transport-near-place", "facilities-in-area"}


@pytest.mark.parametrize("question_id", sorted(load_catalog()))
def test_every_default_answer_on_the_fixture_is_not_empty(
    question_id: str, city: EmbeddedStore, request: pytest.FixtureRequest
) -> None:
    if question_id in GEO_QUESTIONS:
        request.getfixturevalue("geosparql")
    assert ask(city, question_id), f"{question_id} finds nothing with its defaults"
