"""The province and city lists the region pickers offer."""
from fair import regions


def test_the_31_mainland_provinces_each_with_cities():
    assert len(regions.PROVINCES) == 31
    assert all(regions.PROVINCES.values())
    assert len(regions.cities("江苏省")) == 13
    assert regions.cities("北京市") == ("北京市",)


def test_names_are_unique_within_a_province_and_fit_the_columns():
    for province, cities in regions.PROVINCES.items():
        assert len(province) <= 20
        assert len(set(cities)) == len(cities), province
        assert all(len(city) <= 30 for city in cities)


def test_a_city_belongs_to_its_province_only():
    assert regions.is_region("江苏省", "苏州市")
    assert not regions.is_region("浙江省", "苏州市")
    assert not regions.is_region("江苏", "苏州市")
    assert not regions.is_region("江苏省", "苏州")
    assert regions.cities("火星") == ()
