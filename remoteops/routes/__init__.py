"""Delivery runs: bring each employee's boxed workstation home.

- :mod:`remoteops.routes.travel`: the travel model (great-circle with speeds by time of day,
  a CSV road matrix, or an OSRM server).
- :mod:`remoteops.routes.problem`: what is to be planned (stops with their due dates, van-days)
  and the working-day calendar.
- :mod:`remoteops.routes.planning`: :func:`~remoteops.routes.planning.plan_deliveries`, which
  returns a :class:`~remoteops.routes.plan.DeliveryPlan` (runs, late, left over).
- :mod:`remoteops.routes.repair`: swaps and insertions that bring late employees on time,
  each checked by driving the runs again.
- :mod:`remoteops.routes.model`: the problem as the solver sees it (employees as day options
  on a multi-day timeline; on time, then van-days, then driving), built in one place.
- :mod:`remoteops.routes.whatif`: ``--what-if`` comparisons and computed fixes for late plans.
- :mod:`remoteops.routes.solver`: the only module that talks to PyVRP.
- :mod:`remoteops.routes.store`: plans, loading, deliveries and replanning in the state
  database.
- :mod:`remoteops.routes.sheets`: run sheets (PDF, CSV), the static map and calendar
  invitations.
- :mod:`remoteops.routes.maps`: the interactive HTML map (Leaflet inline, vendored in
  ``leaflet/``; inventory text only as JSON data, never as template source or HTML).

- :mod:`remoteops.routes.static_map`: the static PNG map (Web Mercator, one colour per run).

None of these import PyVRP, WeasyPrint, segno, matplotlib or icalendar at import time.
"""

#: Why a stop can fail (``routes fail --reason``); the state store checks the same list.
FAIL_REASONS = ("not-home", "refused", "wrong-address", "damaged", "other")
