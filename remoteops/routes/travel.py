"""How long the van needs from one place to another: the travel model of a delivery plan.

Three sources, chosen with :class:`TravelSettings` and stored with every plan:

- ``great-circle`` (built in, needs nothing): the great-circle distance times a detour factor
  (roads are not straight), driven at an average speed that depends on the time of day
  (rush hours are slow).  The solver plans with the *slowest* speed of the working day, so
  every time window it promises still holds when the van is faster; the plan's arrival
  times and driving times are then computed with the speed of the hour of departure.
- ``csv``: a road matrix from a CSV file with the columns ``from,to,km,minutes`` where
  ``from``/``to`` are employee IDs or the depot's site ID.  A missing reverse direction is
  taken as symmetric; any other missing pair is an error naming the pair.
- ``osrm``: the table service of an OSRM server (``--osrm URL``), queried in blocks so the
  server's ``max-table-size`` is respected.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from remoteops.errors import InputFileError, RemoteOpsError
from remoteops.models import GeoPoint

EARTH_RADIUS_M = 6_371_008.8
DAY_SECONDS = 86_400
METHODS = ("great-circle", "csv", "osrm")


class TravelError(RemoteOpsError):
    """The travel times could not be obtained (matrix file, OSRM server)."""


@dataclass(frozen=True)
class SpeedBand:
    """From ``start`` until the next band's start the van averages ``kmh``."""

    start: dt.time
    kmh: float


#: Average van speeds in a large German city and its surroundings, by time of day.
DEFAULT_SPEEDS: tuple[SpeedBand, ...] = (
    SpeedBand(dt.time(0, 0), 38.0),
    SpeedBand(dt.time(6, 30), 25.0),
    SpeedBand(dt.time(9, 30), 31.0),
    SpeedBand(dt.time(15, 0), 24.0),
    SpeedBand(dt.time(19, 0), 34.0),
)


@dataclass(frozen=True)
class TravelSettings:
    """The travel model of a plan; stored with it (:meth:`to_dict`) so it can be re-evaluated."""

    method: str = "great-circle"
    detour_factor: float = 1.35
    speeds: tuple[SpeedBand, ...] = DEFAULT_SPEEDS
    matrix_file: str | None = None
    osrm_url: str | None = None
    osrm_profile: str = "driving"
    osrm_block: int = 100  # locations per table request side (OSRM's default max-table-size)
    osrm_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise TravelError(
                f"Unknown travel model {self.method!r}.", hint=f"Use one of {', '.join(METHODS)}."
            )
        if self.method == "csv" and not self.matrix_file:
            raise TravelError("The csv travel model needs a matrix file.")
        if self.method == "osrm" and not self.osrm_url:
            raise TravelError("The osrm travel model needs a server URL (--osrm URL).")
        if self.osrm_url is not None:
            parts = urllib.parse.urlsplit(self.osrm_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise TravelError(
                    f"The OSRM server URL {self.osrm_url!r} is not an http:// or https:// address.",
                    hint="For example --osrm http://localhost:5000",
                )
        if not 1.0 <= self.detour_factor <= 5.0:
            raise TravelError(
                f"Detour factor {self.detour_factor} is implausible.",
                hint="Use a value between 1.0 and 5.0 (1.3-1.4 is typical for cities).",
            )
        if not self.speeds or any(b.kmh <= 0 for b in self.speeds):
            raise TravelError("Every speed band needs a positive speed in km/h.")
        starts = [b.start for b in self.speeds]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise TravelError("Speed bands must be in order of their start time.")

    @classmethod
    def from_matrix_file(cls, path: str | Path) -> TravelSettings:
        return cls(method="csv", matrix_file=str(path))

    @classmethod
    def from_osrm(cls, url: str) -> TravelSettings:
        return cls(method="osrm", osrm_url=url.rstrip("/"))

    def describe(self) -> str:
        if self.method == "csv":
            return f"road matrix from {self.matrix_file}"
        if self.method == "osrm":
            return f"OSRM table service at {self.osrm_url} ({self.osrm_profile})"
        bands = ", ".join(f"{b.start:%H:%M} {b.kmh:g} km/h" for b in self.speeds)
        return f"great-circle x {self.detour_factor:g}; speeds {bands}"

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "detour_factor": self.detour_factor,
            "speeds": [[f"{b.start:%H:%M}", b.kmh] for b in self.speeds],
            "matrix_file": self.matrix_file,
            "osrm_url": self.osrm_url,
            "osrm_profile": self.osrm_profile,
            "osrm_block": self.osrm_block,
            "osrm_timeout": self.osrm_timeout,
        }

    @classmethod
    def from_dict(cls, data: dict) -> TravelSettings:
        speeds = tuple(
            SpeedBand(dt.time.fromisoformat(start), float(kmh))
            for start, kmh in data.get("speeds", [])
        )
        return cls(
            method=data.get("method", "great-circle"),
            detour_factor=float(data.get("detour_factor", 1.35)),
            speeds=speeds or DEFAULT_SPEEDS,
            matrix_file=data.get("matrix_file"),
            osrm_url=data.get("osrm_url"),
            osrm_profile=data.get("osrm_profile", "driving"),
            osrm_block=int(data.get("osrm_block", 100)),
            osrm_timeout=float(data.get("osrm_timeout", 30.0)),
        )

    # -- speeds by time of day ---------------------------------------------------------------

    def _band_seconds(self) -> list[tuple[int, float]]:
        """(start second of day, metres per second), covering the whole day from 0."""
        bands = [
            (b.start.hour * 3600 + b.start.minute * 60 + b.start.second, b.kmh / 3.6)
            for b in self.speeds
        ]
        if bands[0][0] != 0:  # the day starts with the speed the previous day ended with
            bands.insert(0, (0, bands[-1][1]))
        return bands

    def slowest_speed(self, start: dt.time, end: dt.time) -> float:
        """Slowest speed (m/s) of any band that overlaps ``[start, end)`` of a day."""
        lo = start.hour * 3600 + start.minute * 60
        hi = end.hour * 3600 + end.minute * 60
        bands = self._band_seconds()
        speeds = []
        for k, (b_start, speed) in enumerate(bands):
            b_end = bands[k + 1][0] if k + 1 < len(bands) else DAY_SECONDS
            if b_start < hi and b_end > lo:
                speeds.append(speed)
        return min(speeds) if speeds else min(s for _, s in bands)

    def drive_seconds(self, metres: float, depart: float) -> float:
        """Time-dependent driving time for ``metres`` leaving at ``depart`` (seconds, any day).

        The speed is piecewise constant over the day, so leaving later never means arriving
        earlier (first in, first out).
        """
        if metres <= 0:
            return 0.0
        bands = self._band_seconds()
        t = depart
        left = metres
        while True:
            day_start = math.floor(t / DAY_SECONDS) * DAY_SECONDS
            sec = t - day_start
            k = max(i for i, (b_start, _) in enumerate(bands) if b_start <= sec)
            speed = bands[k][1]
            b_end = bands[k + 1][0] if k + 1 < len(bands) else DAY_SECONDS
            reach = speed * (b_end - sec)
            if reach >= left:
                return t + left / speed - depart
            left -= reach
            t = day_start + b_end


@dataclass(frozen=True)
class TravelPoint:
    """A place the van visits: ``key`` is an employee ID or the depot's site ID."""

    key: str
    location: GeoPoint


@dataclass(frozen=True)
class TravelMatrix:
    """Distances and planning durations between :class:`TravelPoint` s, in their order."""

    settings: TravelSettings
    keys: tuple[str, ...]
    distance_m: tuple[tuple[int, ...], ...]
    duration_s: tuple[tuple[int, ...], ...]  # what the solver plans with
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({k: i for i, k in enumerate(self.keys)})

    def index(self, key: str) -> int:
        return self._index[key]

    def metres(self, frm: str, to: str) -> int:
        return self.distance_m[self._index[frm]][self._index[to]]

    def drive_seconds(self, frm: str, to: str, depart: float) -> int:
        """Driving time leaving at ``depart`` (seconds on any day's clock)."""
        i, j = self._index[frm], self._index[to]
        if self.settings.method == "great-circle":
            return round(self.settings.drive_seconds(self.distance_m[i][j], depart))
        return self.duration_s[i][j]


def great_circle_metres(a: GeoPoint, b: GeoPoint) -> float:
    """Haversine distance on a spherical earth."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def build_travel_matrix(
    settings: TravelSettings,
    points: Sequence[TravelPoint],
    *,
    day_start: dt.time = dt.time(8, 0),
    day_end: dt.time = dt.time(18, 0),
) -> TravelMatrix:
    """Distances (m) and planning durations (s) between all ``points``.

    ``day_start``/``day_end`` bound the working day; the great-circle model plans with the
    slowest speed inside it.
    """
    keys = tuple(p.key for p in points)
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise TravelError(f"The same place appears twice in the travel matrix: {', '.join(dup)}.")
    if settings.method == "great-circle":
        speed = settings.slowest_speed(day_start, day_end)
        dist = [
            [
                round(great_circle_metres(a.location, b.location) * settings.detour_factor)
                for b in points
            ]
            for a in points
        ]
        dur = [[math.ceil(d / speed) for d in row] for row in dist]
    elif settings.method == "csv":
        dist, dur = _read_matrix_csv(Path(settings.matrix_file or ""), keys)
    else:
        dist, dur = _osrm_table(settings, points)
    return TravelMatrix(
        settings,
        keys,
        tuple(tuple(int(v) for v in row) for row in dist),
        tuple(tuple(int(v) for v in row) for row in dur),
    )


# -- road matrix from a CSV file -------------------------------------------------------------

_MATRIX_ALIASES = {
    "from": "from",
    "von": "from",
    "origin": "from",
    "to": "to",
    "nach": "to",
    "destination": "to",
    "km": "km",
    "distancekm": "km",
    "minutes": "minutes",
    "min": "minutes",
    "minuten": "minutes",
    "durationmin": "minutes",
}


def _number(text: str, file: str, line: int, column: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise InputFileError(
            file, f"{column} {text!r} is not a number.", hint="Write e.g. 12.5.", row=line
        ) from None
    if not math.isfinite(value) or value < 0:
        raise InputFileError(file, f"{column} {text!r} must be zero or positive.", row=line)
    return value


def _read_matrix_csv(path: Path, keys: tuple[str, ...]) -> tuple[list[list[int]], list[list[int]]]:
    from remoteops.csvio import read_csv

    name = str(path)
    table = read_csv(
        path, display_name=name, aliases=_MATRIX_ALIASES, required=("from", "to", "km", "minutes")
    )
    errors = [p for p in table.problems if p.severity == "error"]
    if errors:
        raise InputFileError(name, errors[0].message, row=errors[0].row)
    wanted = set(keys)
    pairs: dict[tuple[str, str], tuple[int, int]] = {}
    lines: dict[tuple[str, str], int] = {}
    for row in table.rows:
        frm, to = row.values.get("from", ""), row.values.get("to", "")
        if frm not in wanted or to not in wanted:
            continue
        km = _number(row.values.get("km", ""), name, row.line, "km")
        minutes = _number(row.values.get("minutes", ""), name, row.line, "minutes")
        if (frm, to) in lines:
            raise InputFileError(
                name,
                f"the pair {frm} -> {to} appears twice (first on line {lines[(frm, to)]}).",
                hint="Keep one row per pair.",
                row=row.line,
            )
        lines[(frm, to)] = row.line
        pairs[(frm, to)] = (round(km * 1000), round(minutes * 60))
    n = len(keys)
    dist = [[0] * n for _ in range(n)]
    dur = [[0] * n for _ in range(n)]
    missing: list[str] = []
    for i, a in enumerate(keys):
        for j, b in enumerate(keys):
            if i == j:
                continue
            value = pairs.get((a, b)) or pairs.get((b, a))
            if value is None:
                missing.append(f"{a} -> {b}")
                continue
            dist[i][j], dur[i][j] = value
    if missing:
        more = f" (and {len(missing) - 3} more)" if len(missing) > 3 else ""
        raise InputFileError(
            name,
            f"has no travel time for {', '.join(missing[:3])}{more}.",
            hint="Add a row 'from,to,km,minutes' for each pair (one direction is enough).",
        )
    return dist, dur


# -- OSRM table service ----------------------------------------------------------------------


def _osrm_table(
    settings: TravelSettings, points: Sequence[TravelPoint]
) -> tuple[list[list[int]], list[list[int]]]:
    n = len(points)
    coords = ";".join(f"{p.location.longitude:.6f},{p.location.latitude:.6f}" for p in points)
    base = f"{settings.osrm_url}/table/v1/{urllib.parse.quote(settings.osrm_profile)}/{coords}"
    dist = [[0] * n for _ in range(n)]
    dur = [[0] * n for _ in range(n)]
    block = max(1, settings.osrm_block)
    for s0 in range(0, n, block):
        sources = list(range(s0, min(n, s0 + block)))
        for d0 in range(0, n, block):
            dests = list(range(d0, min(n, d0 + block)))
            query = urllib.parse.urlencode(
                {
                    "sources": ";".join(map(str, sources)),
                    "destinations": ";".join(map(str, dests)),
                    "annotations": "duration,distance",
                },
                safe=";,",
            )
            answer = _osrm_get(f"{base}?{query}", settings)
            durations, distances = answer.get("durations"), answer.get("distances")
            if not isinstance(durations, list) or not isinstance(distances, list):
                raise TravelError(
                    f"The OSRM server at {settings.osrm_url} answered without durations and "
                    "distances.",
                    hint="It needs the table service with annotations=duration,distance "
                    "(OSRM 5.x).",
                )
            for a, i in enumerate(sources):
                for b, j in enumerate(dests):
                    try:
                        seconds, metres = durations[a][b], distances[a][b]
                    except (IndexError, TypeError):
                        raise TravelError(
                            f"The OSRM server at {settings.osrm_url} sent a table of the wrong "
                            "size."
                        ) from None
                    if seconds is None or metres is None:
                        raise TravelError(
                            f"OSRM finds no road from {points[i].key} to {points[j].key}.",
                            hint="Check their coordinates (on an island? outside the map?).",
                        )
                    if i != j:  # a place to itself is zero, however OSRM snaps it
                        dist[i][j] = round(float(metres))
                        dur[i][j] = round(float(seconds))
    return dist, dur


def _osrm_get(url: str, settings: TravelSettings) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=settings.osrm_timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("message", "")
        except (ValueError, AttributeError):
            detail = ""
        raise TravelError(
            f"The OSRM server at {settings.osrm_url} refused the table request "
            f"(HTTP {exc.code}{': ' + detail if detail else ''}).",
            hint="Is it an OSRM server with the table service, and is max-table-size at "
            f"least {settings.osrm_block}?",
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TravelError(
            f"Cannot reach the OSRM server at {settings.osrm_url}: {reason}.",
            hint="Check the URL and that the server is running, or plan without --osrm.",
        ) from None
    try:
        answer = json.loads(body)
    except ValueError:
        raise TravelError(f"The OSRM server at {settings.osrm_url} did not answer JSON.") from None
    if not isinstance(answer, dict) or answer.get("code") != "Ok":
        code = answer.get("code") if isinstance(answer, dict) else None
        raise TravelError(f"The OSRM server at {settings.osrm_url} answered {code!r}.")
    return answer


# -- a run driven with the travel model ---------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """One drive and delivery of a simulated run (seconds of the day)."""

    key: str
    arrival: float
    start: float
    end: float
    metres: int
    drive: float


@dataclass(frozen=True)
class SimulatedRun:
    trips: tuple[tuple[Leg, ...], ...]
    reloads: tuple[tuple[float, float], ...]  # (back at the depot, leaves again)
    back: float
    metres: int
    driving: float


def simulate_run(
    matrix: TravelMatrix,
    depot: str,
    depart: float,
    trips: Sequence[Sequence[tuple[str, float, int]]],
    loading: int,
) -> SimulatedRun:
    """Drive ``trips`` (each a list of (employee ID, earliest service start, service seconds))
    leaving the depot loaded at ``depart`` (seconds of the day), with the travel model's speed
    by time of day; the van waits when it is early and reloads for ``loading`` seconds
    between trips."""
    t = float(depart)
    here = depot
    metres = 0
    driving = 0.0
    out: list[tuple[Leg, ...]] = []
    reloads: list[tuple[float, float]] = []
    for n, trip in enumerate(trips):
        if n > 0:
            drive = matrix.drive_seconds(here, depot, t)
            metres += matrix.metres(here, depot)
            driving += drive
            back = t + drive
            t = back + loading
            reloads.append((back, t))
            here = depot
        legs = []
        for key, early, service in trip:
            drive = matrix.drive_seconds(here, key, t)
            m = matrix.metres(here, key)
            arrival = t + drive
            start = max(arrival, early)
            legs.append(Leg(key, arrival, start, start + service, m, drive))
            metres += m
            driving += drive
            t = start + service
            here = key
        out.append(tuple(legs))
    drive = matrix.drive_seconds(here, depot, t)
    metres += matrix.metres(here, depot)
    driving += drive
    return SimulatedRun(tuple(out), tuple(reloads), t + drive, metres, driving)
