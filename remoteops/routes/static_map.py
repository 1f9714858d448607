"""The static map of delivery runs (PNG, matplotlib): on the run sheet and beside the HTML map.

The map is projected (spherical Web Mercator, the projection of the tile maps drivers know,
scaled to kilometres at the depot's latitude) and drawn with an equal aspect, so a kilometre
east is as long as a kilometre north and the shape of a run is the shape on the road map.
Every run in one picture has its own colour (:func:`run_colours`, also used by the HTML map).
matplotlib is imported only when a picture is drawn.
"""

from __future__ import annotations

import colorsys
import io
import math
from collections.abc import Sequence
from pathlib import Path

from remoteops.files import write_private
from remoteops.models import Company, GeoPoint
from remoteops.routes.planning import DeliveryRun

#: Clearly different colours first (Tableau 10 without its grey, which the grid and the
#: black depot would swallow); more runs than this get evenly spaced hues.
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
)

EARTH_RADIUS_KM = 6371.0

_LABELS = {
    "de": {"x": "km nach Osten (vom Depot)", "y": "km nach Norden (vom Depot)", "depot": "Depot"},
    "en": {"x": "km east of the depot", "y": "km north of the depot", "depot": "depot"},
}


def run_colours(count: int) -> list[str]:
    """``count`` colours, all different: the palette; for more runs, ``count`` hues evenly
    spaced round the colour wheel, taken in an order that puts consecutive runs far apart,
    alternately dark and light."""
    if count <= len(PALETTE):
        return list(PALETTE[:count])
    stride = next(s for s in range(round(count * 0.38), count) if math.gcd(s, count) == 1)
    colours = []
    for k in range(count):
        hue = (k * stride % count) / count
        lightness = (0.36, 0.52)[k % 2]
        r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.9)
        colours.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return colours


def project(point: GeoPoint, origin: GeoPoint) -> tuple[float, float]:
    """Web Mercator x, y of ``point`` in km from ``origin``, true to scale at the origin."""
    scale = EARTH_RADIUS_KM * math.cos(math.radians(origin.latitude))

    def mercator_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    x = scale * math.radians(point.longitude - origin.longitude)
    y = scale * (mercator_y(point.latitude) - mercator_y(origin.latitude))
    return x, y


def overview_png(
    runs: Sequence[DeliveryRun],
    company: Company,
    *,
    width_in: float = 7.0,
    language: str = "en",
) -> bytes:
    """A static map of the runs (lines between stops, numbered), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.patheffects as pe
    import matplotlib.pyplot as plt

    from remoteops.routes.maps import route_points

    labels = _LABELS.get(language, _LABELS["en"])
    depot = company.depot.location
    outline = [pe.withStroke(linewidth=2.5, foreground="white")]
    fig, ax = plt.subplots(figsize=(width_in, width_in * 0.75), dpi=120)
    try:
        for run, colour in zip(runs, run_colours(len(runs)), strict=True):
            xy = [project(GeoPoint(lat, lon), depot) for lat, lon in route_points(run, company)]
            ax.plot(
                [p[0] for p in xy],
                [p[1] for p in xy],
                "-",
                color=colour,
                lw=1.6,
                label=f"{run.van}, {run.day:%d.%m.}",
            )
            for s in run.stops:
                x, y = project(company.employee(s.employee_id).location, depot)
                ax.plot(x, y, "o", color=colour, ms=5, mec="white", mew=0.6)
                ax.annotate(
                    str(s.sequence),
                    (x, y),
                    fontsize=8,
                    fontweight="bold",
                    color=colour,
                    xytext=(3, 3),
                    textcoords="offset points",
                    path_effects=outline,
                )
        ax.plot(0, 0, "s", color="black", ms=8, label=labels["depot"])
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel(labels["x"])
        ax.set_ylabel(labels["y"])
        legend = ax.legend(
            fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0,
            ncol=1 + len(runs) // 24,
        )
        for text in legend.get_texts():
            text.set_parse_math(False)  # a van name is text, never mathtext ("$...$")
        ax.grid(True, lw=0.3)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def write_map_png(
    path: Path, runs: Sequence[DeliveryRun], company: Company, *, language: str = "en"
) -> Path:
    return write_private(Path(path), overview_png(runs, company, width_in=10.0, language=language))
