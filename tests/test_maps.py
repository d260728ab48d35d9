"""plot_coverage_map: the tile grid, and a choropleth on user-supplied province boundaries."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import colormaps  # noqa: E402

from kexie_research.coverage import compute_coverage  # noqa: E402
from kexie_research.errors import KexieError  # noqa: E402
from kexie_research.plots.coverage import TILE_GRID, coverage_norm, province_coverage  # noqa: E402
from kexie_research.plots.maps import plot_coverage_map, read_boundaries  # noqa: E402
from kexie_research.regions import GB2260_PREFIX as GB2260_CODES  # noqa: E402


def _square(x, y, size=0.9):
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size]]


def _geojson(*, names="zh", extra=()):
    """31 provinces as squares at their tile positions (longitude = column, latitude = -row);
    Hainan as two islands (a MultiPolygon); names in several spellings."""
    code = {v: k for k, v in GB2260_CODES.items()}
    feats = []
    for i, (prov, (r, c)) in enumerate(sorted(TILE_GRID.items())):
        if prov == "海南":
            geom = {"type": "MultiPolygon", "coordinates": [[_square(c, -r, 0.4)], [_square(c + 0.5, -r, 0.4)]]}
        else:
            geom = {"type": "Polygon", "coordinates": [_square(c, -r)]}
        # every third by GB/T 2260 code, the others by full Chinese name
        props = {"adcode": int(code[prov] + "0000")} if i % 3 == 0 else {"name": prov + ("市" if prov in ("北京", "上海", "天津", "重庆") else "省")}
        feats.append({"type": "Feature", "properties": props, "geometry": geom})
    for name in extra:
        feats.append({"type": "Feature", "properties": {"name": name},
                      "geometry": {"type": "Polygon", "coordinates": [_square(9, -5)]}})
    return {"type": "FeatureCollection", "features": feats}


@pytest.fixture(scope="module")
def coverage():
    """Coverage by province with a known, distinct value per province (30 with data)."""
    provs = sorted(TILE_GRID)
    reps, att = [], []
    for k, p in enumerate(provs[:-1]):  # the last province has no representatives
        n, trained = 40, 1 + k  # coverage 1/40 ... 30/40, all different
        for j in range(n):
            reps.append({"rep_id": f"{p}{j}", "province": p})
            if j < trained:
                att.append({"rep_id": f"{p}{j}", "training_id": "t1"})
    return compute_coverage(pd.DataFrame(reps), pd.DataFrame(att), by="province"), provs[-1]


def test_choropleth_draws_one_patch_per_province_coloured_by_coverage(coverage):
    res, no_data = coverage
    ax = plot_coverage_map(res, kind="choropleth", boundaries=_geojson(extra=("香港特别行政区", "台湾")), lang="en")
    provs = [p for p in ax.patches if p.get_gid()]
    assert len(provs) == 31
    assert sorted(p.get_gid() for p in provs) == sorted(TILE_GRID)
    # context features (not provinces) are drawn but carry no province id
    assert len(ax.patches) == 33
    vals = province_coverage(res)
    norm, cm = coverage_norm(vals), colormaps["cividis"]
    for p in provs:
        if p.get_gid() == no_data:
            assert p.get_hatch() and np.allclose(p.get_facecolor()[:3], (0.92, 0.92, 0.92))
        else:
            assert np.allclose(p.get_facecolor(), cm(norm(vals[p.get_gid()][0])))
    # colours follow coverage: cividis is monotone in lightness
    lum = {p.get_gid(): float(np.dot(p.get_facecolor()[:3], (0.299, 0.587, 0.114))) for p in provs
           if p.get_gid() != no_data}
    order_cov = sorted(lum, key=lambda g: vals[g][0])
    assert order_cov == sorted(lum, key=lum.get)
    # Hainan's two islands are one province, one patch with two closed rings
    hainan = next(p for p in provs if p.get_gid() == "海南")
    assert list(hainan.get_path().codes).count(matplotlib.path.Path.CLOSEPOLY) == 2
    plt.close(ax.figure)


def test_choropleth_from_a_file_and_a_note_for_missing_provinces(coverage, tmp_path):
    res, _ = coverage
    gj = _geojson()
    gj["features"] = [f for f in gj["features"] if f["properties"].get("name") != "四川省"
                      and f["properties"].get("adcode") != 510000]
    path = tmp_path / "provinces.geojson"
    path.write_text(json.dumps(gj, ensure_ascii=False), encoding="utf-8-sig")
    ax = plot_coverage_map(res, kind="choropleth", boundaries=path, lang="zh")
    assert len([p for p in ax.patches if p.get_gid()]) == 30
    assert any("边界文件中没有：四川" in t.get_text() for t in ax.texts)  # never silently dropped
    plt.close(ax.figure)


def test_tiles_is_the_default(coverage):
    res, _ = coverage
    ax = plot_coverage_map(res)
    assert len(ax.patches) == 31  # one tile per province
    plt.close(ax.figure)


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "choropleth"}, "ships none"),
    ({"kind": "map"}, "tiles, choropleth"),
    ({"kind": "tiles", "boundaries": {}}, "only used by kind='choropleth'"),
    ({"kind": "choropleth", "boundaries": {"type": "Feature"}}, "not a GeoJSON FeatureCollection"),
    ({"kind": "choropleth", "boundaries": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Atlantis"},
         "geometry": {"type": "Polygon", "coordinates": [_square(0, 0)]}}]}}, "no feature names one of the 31"),
    ({"kind": "choropleth", "boundaries": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "北京"},
         "geometry": {"type": "Point", "coordinates": [0, 0]}}]}}, "Polygon or MultiPolygon"),
])
def test_clear_errors(coverage, kwargs, match):
    res, _ = coverage
    with pytest.raises(KexieError, match=match):
        plot_coverage_map(res, **kwargs)
    plt.close("all")


def test_read_boundaries_name_field_and_unreadable_file(tmp_path):
    gj = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"NAME_1": "Guangdong", "name": "ignored"},
         "geometry": {"type": "Polygon", "coordinates": [_square(0, 0)]}}]}
    provinces, other = read_boundaries(gj, name_field="NAME_1")
    assert list(provinces) == ["广东"] and other == []
    bad = tmp_path / "x.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(KexieError, match="cannot read the boundary file"):
        read_boundaries(bad)


def test_gb2260_prefixes():
    # GB/T 2260: a few by hand, and all 31 provinces exactly once
    assert (GB2260_CODES["11"], GB2260_CODES["31"], GB2260_CODES["44"], GB2260_CODES["50"],
            GB2260_CODES["54"], GB2260_CODES["65"]) == ("北京", "上海", "广东", "重庆", "西藏", "新疆")
    assert sorted(GB2260_CODES.values()) == sorted(TILE_GRID)
