from collections import Counter

from unicrm.core.regions import PROVINCES, REGIONS, province, provinces_in


def test_the_77_provinces_fall_into_the_six_regions():
    assert len(PROVINCES) == 77
    assert len({p.code for p in PROVINCES}) == 77
    counts = Counter(p.region for p in PROVINCES)
    assert counts == {
        "central": 22,
        "northeast": 20,
        "south": 14,
        "north": 9,
        "east": 7,
        "west": 5,
    }
    assert set(counts) == set(REGIONS)


def test_a_province_is_found_by_code_number_or_name_in_either_language():
    chiang_mai = province("TH-50")
    assert chiang_mai is not None and chiang_mai.region == "north"
    assert province("50") is chiang_mai
    assert province("chiang mai") is chiang_mai
    assert province("ChiangMai") is chiang_mai
    assert province("เชียงใหม่") is chiang_mai
    assert province("กทม.") is province("Bangkok")
    assert province("Atlantis") is None


def test_provinces_in_a_region():
    assert {p.name_en for p in provinces_in("east")} == {
        "Chon Buri",
        "Rayong",
        "Chanthaburi",
        "Trat",
        "Chachoengsao",
        "Prachin Buri",
        "Sa Kaeo",
    }
    assert provinces_in("atlantis") == ()
