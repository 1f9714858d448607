"""A fake OSRM table service on 127.0.0.1 for the travel tests: a real HTTP server in a
thread (``http.server``), standing in for the remote OSRM server that cannot run here. No
network is needed (importable: ``from fake_osrm import FakeOsrm``)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOsrm:
    """Answers ``/table/v1/driving/...`` like OSRM 5.x (a stand-in for a remote HTTP service
    that cannot run here): duration = 60 * (i + j), distance = 1000 * |i - j| + 7, for
    coordinate indices i (source) and j (destination). Like OSRM it answers only what was
    asked: ``durations`` and/or ``distances`` as ``annotations`` names them (default:
    durations only), only the ``sources`` and ``destinations`` rows and columns; it refuses
    unknown annotations, indices outside the coordinates, coordinates that are not
    ``lon,lat`` and tables larger than ``max_table`` per side.

    ``road((lon, lat), (lon, lat))`` -> (seconds, metres), if given, answers from the
    coordinates instead of their indices (for whole plans)."""

    def __init__(
        self,
        *,
        max_table: int = 100,
        code: str = "Ok",
        unreachable: bool = False,
        road: Callable[[tuple, tuple], tuple[float, float]] | None = None,
    ):
        self.requests: list[str] = []
        fake = self

        def answer(places, i: int, j: int) -> tuple[float | None, float]:
            if road is not None:
                return road(tuple(places[i]), tuple(places[j]))
            n = len(places)
            seconds = None if fake.unreachable and j == n - 1 and i != j else 60.0 * (i + j)
            return seconds, 1000.0 * abs(i - j) + 7 * (i != j)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                fake.requests.append(self.path)
                url = urllib.parse.urlsplit(self.path)
                parts = url.path.split("/")
                if parts[1:4] != ["table", "v1", "driving"] or len(parts) != 5:
                    return self.reply(400, {"code": "InvalidUrl", "message": "bad path"})
                query = urllib.parse.parse_qs(url.query)
                coords = parts[-1].split(";")
                n = len(coords)

                def indices(name):
                    text = query.get(name, ["all"])[0]
                    return list(range(n)) if text == "all" else [int(x) for x in text.split(";")]

                try:
                    places = [[float(x) for x in c.split(",")] for c in coords]
                    sources, dests = indices("sources"), indices("destinations")
                except ValueError:
                    places, sources, dests = [], [], []
                if not places or any(
                    len(p) != 2 or not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90) for p in places
                ):
                    return self.reply(400, {"code": "InvalidQuery", "message": "bad query"})
                wanted = query.get("annotations", ["duration"])[0].split(",")
                if not set(wanted) <= {"duration", "distance"}:
                    return self.reply(400, {"code": "InvalidOptions", "message": "annotations"})
                if any(not 0 <= k < n for k in sources + dests):
                    return self.reply(400, {"code": "InvalidOptions", "message": "index"})
                if len(sources) > fake.max_table or len(dests) > fake.max_table:
                    return self.reply(400, {"code": "TooBig", "message": "Too many locations"})
                body = {"code": fake.code}
                if "duration" in wanted:
                    body["durations"] = [[answer(places, i, j)[0] for j in dests] for i in sources]
                if "distance" in wanted:
                    body["distances"] = [[answer(places, i, j)[1] for j in dests] for i in sources]
                self.reply(200, body)

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.max_table = max_table
        self.code = code
        self.unreachable = unreachable
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # a short poll interval: shutdown() returns within 50 ms, not 0.5 s
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
