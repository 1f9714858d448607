"""The travel model: great-circle with speeds by time of day, a CSV road matrix, OSRM.

The OSRM tests run against a small fake OSRM table service that each test starts itself on
127.0.0.1 (a thread with ``http.server``); no real OSRM server and no network are needed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import urllib.parse
import urllib.request

import pytest
from fake_osrm import FakeOsrm
from hypothesis import given, settings
from hypothesis import strategies as st
from routes_helpers import haversine_m

from remoteops.errors import InputFileError
from remoteops.models import GeoPoint
from remoteops.routes.travel import (
    SpeedBand,
    TravelError,
    TravelPoint,
    TravelSettings,
    build_travel_matrix,
    great_circle_metres,
)

POINTS = [
    TravelPoint("HQ", GeoPoint(52.5118, 13.3915)),
    TravelPoint("E1", GeoPoint(52.5303, 13.5955)),
    TravelPoint("E2", GeoPoint(52.3906, 13.0645)),
    TravelPoint("E3", GeoPoint(52.4517, 13.5548)),
    TravelPoint("E4", GeoPoint(52.6000, 13.3000)),
]


def test_great_circle_one_degree_of_latitude():
    # one degree of a meridian on the sphere of mean Earth radius 6371.0088 km: 111.195 km
    metres = great_circle_metres(GeoPoint(52.0, 13.0), GeoPoint(53.0, 13.0))
    assert metres == pytest.approx(111_195.08, abs=0.01)
    assert great_circle_metres(GeoPoint(52.0, 13.0), GeoPoint(52.0, 13.0)) == 0
    # Berlin-Mitte to Potsdam (E2): 0.1212 deg north (13.48 km) and 0.327 deg east at
    # cos(52.45 deg) = 0.609 (22.15 km): 25.94 km as the crow flies
    assert great_circle_metres(POINTS[0].location, POINTS[2].location) == pytest.approx(
        25_936, abs=10
    )
    for a in POINTS:
        for b in POINTS:
            assert great_circle_metres(a.location, b.location) == pytest.approx(
                haversine_m(a.location, b.location), abs=0.01
            )


def test_speed_changes_with_the_time_of_day():
    model = TravelSettings(
        speeds=(
            SpeedBand(dt.time(0), 36.0),
            SpeedBand(dt.time(7), 18.0),
            SpeedBand(dt.time(9), 36.0),
        )
    )
    # 10 km at night: 10 / 36 h = 1000 s.
    assert model.drive_seconds(10_000, 3 * 3600) == pytest.approx(1000)
    # Leaving 06:50: 10 min at 36 km/h (6 km), then 4 km at 18 km/h (800 s).
    assert model.drive_seconds(10_000, 6 * 3600 + 50 * 60) == pytest.approx(600 + 800)
    # Across midnight into the next day's first band.
    assert model.drive_seconds(36_000, 23.5 * 3600) == pytest.approx(3600)
    assert model.slowest_speed(dt.time(8), dt.time(17)) == pytest.approx(18 / 3.6)
    assert model.slowest_speed(dt.time(10), dt.time(17)) == pytest.approx(36 / 3.6)


@settings(max_examples=200, deadline=None)
@given(
    metres=st.floats(0, 200_000),
    depart=st.floats(0, 3 * 86_400),
    later=st.floats(0, 6 * 3600),
)
def test_leaving_later_never_arrives_earlier(metres, depart, later):
    model = TravelSettings()
    first = depart + model.drive_seconds(metres, depart)
    second = depart + later + model.drive_seconds(metres, depart + later)
    assert second >= first - 1e-6
    # And never faster than the fastest band allows.
    fastest = max(b.kmh for b in model.speeds) / 3.6
    assert model.drive_seconds(metres, depart) >= metres / fastest - 1e-6


def test_great_circle_matrix_plans_with_the_slowest_speed_of_the_day():
    model = TravelSettings(detour_factor=1.4)
    matrix = build_travel_matrix(model, POINTS, day_start=dt.time(8), day_end=dt.time(17))
    # the default bands between 08:00 and 17:00: 25, 31 and 24 km/h; the slowest is 24
    slowest = 24 / 3.6
    for a in POINTS:
        for b in POINTS:
            metres = matrix.metres(a.key, b.key)
            assert metres == round(haversine_m(a.location, b.location) * 1.4)
            seconds = matrix.duration_s[matrix.index(a.key)][matrix.index(b.key)]
            assert seconds == math.ceil(metres / slowest)
            # The real drive at any hour of the working day is never longer.
            for hour in range(8, 17):
                assert matrix.drive_seconds(a.key, b.key, hour * 3600) <= seconds


def test_settings_round_trip_and_validation():
    model = TravelSettings(detour_factor=1.25, speeds=(SpeedBand(dt.time(6), 30.0),))
    assert TravelSettings.from_dict(json.loads(json.dumps(model.to_dict()))) == model
    osrm = TravelSettings.from_osrm("http://127.0.0.1:5000/")
    assert TravelSettings.from_dict(osrm.to_dict()) == osrm
    assert "127.0.0.1:5000" in osrm.describe()
    with pytest.raises(TravelError):
        TravelSettings(detour_factor=0.5)
    with pytest.raises(TravelError):
        TravelSettings(method="teleport")
    with pytest.raises(TravelError):
        TravelSettings(method="csv")
    with pytest.raises(TravelError):
        TravelSettings(speeds=(SpeedBand(dt.time(9), 30.0), SpeedBand(dt.time(6), 20.0)))


# -- CSV road matrix -------------------------------------------------------------------------


def test_csv_matrix_reads_pairs_and_fills_the_reverse_direction(tmp_path):
    path = tmp_path / "matrix.csv"
    lines = ["from;to;km;minutes"]
    keys = [p.key for p in POINTS[:3]]
    value = 1
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            lines.append(f"{a};{b};{value},5;{value * 2}")
            value += 1
    lines.append("E2;HQ;9;30")  # the other direction, given explicitly
    lines.append("XX;HQ;1;1")  # someone not planned: ignored
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    matrix = build_travel_matrix(TravelSettings.from_matrix_file(path), POINTS[:3])
    assert matrix.metres("HQ", "E1") == 1500 and matrix.metres("E1", "HQ") == 1500
    assert matrix.drive_seconds("E1", "E2", 0) == 3 * 2 * 60
    assert matrix.metres("HQ", "E2") == 2500 and matrix.metres("E2", "HQ") == 9000
    assert matrix.drive_seconds("E2", "HQ", 12 * 3600) == 30 * 60


def test_csv_matrix_names_missing_pairs_and_bad_numbers(tmp_path):
    path = tmp_path / "matrix.csv"
    path.write_text("from,to,km,minutes\nHQ,E1,3,7\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"HQ -> E2") as caught:
        build_travel_matrix(TravelSettings.from_matrix_file(path), POINTS[:3])
    assert "matrix.csv" in str(caught.value)
    path.write_text("from,to,km,minutes\nHQ,E1,three,7\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"matrix.csv:2.*three"):
        build_travel_matrix(TravelSettings.from_matrix_file(path), POINTS[:2])
    path.write_text("from,to,km,minutes\nHQ,E1,3,7\nE1,HQ,3,7\nHQ,E1,4,8\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"matrix.csv:4.*HQ -> E1.*twice"):
        build_travel_matrix(TravelSettings.from_matrix_file(path), POINTS[:2])
    with pytest.raises(InputFileError, match="missing"):
        build_travel_matrix(TravelSettings.from_matrix_file(tmp_path / "nope.csv"), POINTS[:2])


# -- OSRM table service (fake server on 127.0.0.1) ------------------------------------------


def test_osrm_table_in_blocks():
    with FakeOsrm(max_table=2) as osrm:
        model = TravelSettings(method="osrm", osrm_url=osrm.url, osrm_block=2)
        matrix = build_travel_matrix(model, POINTS)
    assert len(osrm.requests) == 9  # 5 points in blocks of 2: 3 x 3 requests
    for i, a in enumerate(POINTS):
        for j, b in enumerate(POINTS):
            assert matrix.drive_seconds(a.key, b.key, 0) == (0 if i == j else 60 * (i + j))
            assert matrix.metres(a.key, b.key) == 1000 * abs(i - j) + 7 * (i != j)
    assert "13.391500,52.511800" in osrm.requests[0]  # longitude first, as OSRM wants


def test_the_fake_osrm_answers_only_what_was_asked():
    """Without ``annotations`` OSRM sends durations only: a client that forgot to ask for
    distances gets none (and the travel model must say so, not plan with zeros)."""
    with FakeOsrm() as osrm:
        coords = "13.0,52.0;13.1,52.1;13.2,52.2"
        with urllib.request.urlopen(f"{osrm.url}/table/v1/driving/{coords}") as response:
            plain = json.loads(response.read())
        query = "?sources=0;2&destinations=1&annotations=distance"
        with urllib.request.urlopen(f"{osrm.url}/table/v1/driving/{coords}{query}") as response:
            asked = json.loads(response.read())
    assert plain == {
        "code": "Ok",
        "durations": [[0.0, 60.0, 120.0], [60.0, 120.0, 180.0], [120.0, 180.0, 240.0]],
    }
    assert asked == {"code": "Ok", "distances": [[1007.0], [1007.0]]}


def test_an_osrm_answer_without_distances_is_explained(monkeypatch):
    """A server (or proxy) that drops ``annotations`` and answers durations only."""
    with FakeOsrm() as osrm:
        real = urllib.request.urlopen

        def without_annotations(request, timeout=None):
            url = request.full_url.replace("&annotations=duration,distance", "")
            assert url != request.full_url, "the travel model no longer asks for both"
            return real(url, timeout=timeout)

        monkeypatch.setattr(urllib.request, "urlopen", without_annotations)
        with pytest.raises(TravelError, match="answered without durations and distances"):
            build_travel_matrix(TravelSettings.from_osrm(osrm.url), POINTS)


def test_osrm_errors_are_explained():
    with FakeOsrm(max_table=2) as osrm:
        too_big = TravelSettings(method="osrm", osrm_url=osrm.url, osrm_block=100)
        with pytest.raises(TravelError, match="HTTP 400.*Too many locations"):
            build_travel_matrix(too_big, POINTS)
    with FakeOsrm(code="NoTable") as osrm, pytest.raises(TravelError, match="NoTable"):
        build_travel_matrix(TravelSettings.from_osrm(osrm.url), POINTS)
    with FakeOsrm(unreachable=True) as osrm, pytest.raises(TravelError, match="no road .* E4"):
        build_travel_matrix(TravelSettings.from_osrm(osrm.url), POINTS)
    # Nothing listens on this port once the server is closed.
    closed = FakeOsrm()
    closed.server.server_close()
    with pytest.raises(TravelError, match="Cannot reach"):
        build_travel_matrix(TravelSettings(method="osrm", osrm_url=closed.url), POINTS)


@pytest.mark.parametrize("url", ["file:///etc", "ftp://osrm.example", "http://", "localhost:5000"])
def test_osrm_url_must_be_http(url):
    """The travel model only ever asks an http(s) server, also for a stored plan."""
    with pytest.raises(TravelError, match="http"):
        TravelSettings.from_osrm(url)
    with pytest.raises(TravelError, match="http"):
        TravelSettings.from_dict({"method": "osrm", "osrm_url": url})
