"""``make demo``: the whole story on the sample company in inventory/, with the real commands.

IT checks the inventory and (as root) provisions and diagnoses two lab workstations that
stand in for the PCs of E0001 and E0002; HR renders every agreement packet; operations plan
the van runs and write run sheets, the map and the invitations; the support rota is planned
and exported; then a few signatures and deliveries are recorded with the same commands
people use, and management reads the readiness report. Each command is printed before it
runs.

It can run again: rendering is incremental, a stored plan is kept (with loaded runs a new
plan would be refused), steps already recorded are not recorded twice. The lab is stopped at
the end, also after an error or Ctrl-C.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INVENTORY = REPO / "inventory"
REMOTEOPS = [str(Path(sys.executable).with_name("remoteops")), "--inventory", "inventory"]
FIRST_DAY = dt.date(2026, 12, 1)
LAB_EMPLOYEES = ("E0001", "E0002")


def say(text: str) -> None:
    print(f"\n== {text}", flush=True)


def remoteops(*args: str, check: bool = True) -> int:
    print("$ remoteops " + shlex.join(args), flush=True)
    done = subprocess.run([*REMOTEOPS, *args], cwd=REPO, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"The demo stopped: 'remoteops {shlex.join(args)}' failed.")
    return done.returncode


def store():
    from remoteops.state import StateStore, default_state_path

    return StateStore(default_state_path(INVENTORY))


def lab(root: bool) -> bool:
    say("IT: two lab workstations stand in for the PCs of E0001 and E0002")
    if not root:
        print(
            "Skipped: the lab starts local Debian workstations with chroot and namespaces, "
            "which needs root. Run 'sudo make demo' to see provisioning and the remote check."
        )
        return False
    remoteops("lab", "down")  # whatever an interrupted demo left running
    if remoteops("lab", "up", "2", "--employees", ",".join(LAB_EMPLOYEES), check=False):
        print("Skipped: the lab could not start (see above); the rest of the story goes on.")
        return False
    remoteops("provision", "lab")
    # The lab has no headset and cannot resolve the company's servers: the remote check
    # finds that, as it would on a real PC before it is plugged in at home.
    remoteops("support", "fleet", "lab", check=False)
    return True


def plan_runs() -> None:
    say(f"Operations: the van runs that bring the equipment home, from {FIRST_DAY}")
    from remoteops.routes.store import current_runs

    with store() as st, st.reading() as conn:
        planned = bool(current_runs(conn))
    if planned:
        print("A plan is stored already (an earlier demo); it is kept.")
        remoteops("routes", "status")
    else:
        remoteops("routes", "plan", "--from", str(FIRST_DAY), "--days", "8", "--seconds", "10")
    remoteops("routes", "sheet", str(FIRST_DAY))
    remoteops("routes", "map")
    remoteops("routes", "notify", str(FIRST_DAY))


def support_rota() -> None:
    say("Support: the rota for 4 weeks from 2027-01-04 (phone, chat, tickets, triage, on-call)")
    # Planned again on every run: the rota's days are replaced, other days' duties stay.
    remoteops("rota", "plan", "--from", "2027-01-04", "--weeks", "4")
    remoteops("rota", "export", "--week", "2027-W01")


def record_signatures() -> None:
    say("HR: signed agreements come back (recorded with 'contracts mark')")
    for eid in (*LAB_EMPLOYEES, "E0003", "E0005"):
        for document in ("home-office", "data-protection", "equipment-loan"):
            remoteops("contracts", "mark", eid, document, "signed")
    remoteops("contracts", "mark", "E0006", "home-office", "signed")
    remoteops("contracts", "mark", "E0006", "data-protection", "sent")


def record_deliveries() -> None:
    say("Operations: the first day's van is loaded; stops delivered, one not at home")
    from remoteops.routes.store import current_runs, employee_delivery

    with store() as st, st.reading() as conn:
        runs = current_runs(conn)
        states = {
            s.employee_id: employee_delivery(conn, s.employee_id).state
            for r in runs
            for s in r.run.stops
        }
    first = next((r for r in runs if r.day == FIRST_DAY), None)
    if first is None:
        print("No run on the first day; nothing to record.")
        return
    chosen = [first]
    for eid in LAB_EMPLOYEES:  # the lab employees get theirs too, wherever they are planned
        run = next((r for r in runs if any(s.employee_id == eid for s in r.run.stops)), None)
        if run is not None and run not in chosen:
            chosen.append(run)
    for run in chosen:
        if run.status == "planned":
            remoteops("routes", "load", str(run.day), "--van", run.van)
    stops = first.run.stops
    names = {s.employee_id: s.name for r in chosen for s in r.run.stops}
    wanted = [s.employee_id for s in stops[:-1]] + [e for e in LAB_EMPLOYEES if e in names]
    todo = [e for e in dict.fromkeys(wanted) if states.get(e) in ("planned", "on-van")]
    for eid in todo:
        remoteops("routes", "deliver", eid, "--received-by", names[eid])
    last = stops[-1].employee_id
    if last not in LAB_EMPLOYEES and states.get(last) in ("planned", "on-van"):
        remoteops("routes", "fail", last, "--reason", "not-home", "--note", "card left")
    elif not todo:
        print("Recorded by an earlier demo already; nothing to add.")


def index(out: Path) -> None:
    say(f"What the demo wrote under {out.relative_to(REPO)}/ (owner-only)")
    for folder in sorted(p for p in out.rglob("*") if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.is_file())
        if not files:
            continue
        kinds = Counter(p.suffix or p.name for p in files)
        what = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        examples = ", ".join(p.name for p in files[:3]) + (", ..." if len(files) > 3 else "")
        print(f"  {folder.relative_to(REPO)}/: {what}  ({examples})")


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    root = os.geteuid() == 0
    lab_started = False
    try:
        say("IT: check the sample company in inventory/")
        remoteops("check")
        lab_started = lab(root)
        say("HR: every scheduled employee's agreement packet (PDF/A; unchanged ones are kept)")
        remoteops("contracts", "render", "--all")
        plan_runs()
        support_rota()
        record_signatures()
        record_deliveries()
        say("Management: who can work from home, and what holds the others back")
        report = REPO / "out" / "readiness" / "readiness.html"
        remoteops("readiness", "--summary", "--html", str(report.relative_to(REPO)))
        if lab_started:
            print(
                "E0001 and E0002 are set up, signed and delivered; their remote check still "
                "fails (a lab PC has no headset and cannot resolve the company's servers), so "
                "they count as blocked by IT, as a real PC does until it is plugged in at home."
            )
        if lab_started:
            later = dt.date.today() + dt.timedelta(days=15)
            say(f"The same report on {later} if nobody checks the lab PCs again: unknown")
            remoteops("readiness", "--summary", "--as-of", str(later))
        index(REPO / "out")
        print(f"\nThe readiness report: {report}")
        print("Try: .venv/bin/remoteops readiness --team Outbound   or   remoteops --help")
        return 0
    finally:
        if lab_started:
            say("Stopping the lab")
            remoteops("lab", "down", check=False)


if __name__ == "__main__":
    sys.exit(main())
