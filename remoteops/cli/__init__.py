"""The ``remoteops`` command line: a thin Typer layer over the library.

Each command parses its options, calls one library function and prints the result; library
errors (:class:`~remoteops.errors.RemoteOpsError`) become one readable sentence and exit
code 1 (2 for usage errors). ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import errno
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from remoteops import __version__
from remoteops.cli import (
    check,
    contracts,
    employees,
    lab,
    log,
    provision,
    readiness,
    rota,
    routes,
    state,
    support,
)
from remoteops.cli.common import INVENTORY_ENV, Session, console
from remoteops.errors import RemoteOpsError
from remoteops.state import STATE_ENV

app = typer.Typer(
    name="remoteops",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"remoteops {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    inventory: Annotated[
        Path,
        typer.Option(
            "--inventory",
            "-i",
            envvar=INVENTORY_ENV,
            help="The company folder (employees.csv, assets.csv, hosts.yml, company.yml).",
        ),
    ] = Path("inventory"),
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            envvar=STATE_ENV,
            help="The state database: a file (default: .remoteops/state.db beside the "
            "inventory) or postgresql://user@host/database for a shared one.",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (developers).")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Get the company's staff working from home: inventory, workstations, agreements,
    delivery runs.

    Example:

        remoteops check

        remoteops employees list --team Outbound
    """
    session = Session(inventory=inventory, state_path=state, debug=debug)
    ctx.obj = session
    ctx.call_on_close(session.close)


app.command("check")(check.check)
app.add_typer(employees.app, name="employees")
app.add_typer(provision.app, name="provision")
app.add_typer(lab.app, name="lab")
app.add_typer(contracts.app, name="contracts")
app.add_typer(routes.app, name="routes")
app.add_typer(support.app, name="support")
app.add_typer(readiness.app, name="readiness")
app.add_typer(rota.app, name="rota")
app.add_typer(state.app, name="state")
app.command("log")(log.log)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the app and map every error to a message and exit code.

    Typer itself reports usage errors (exit 2); :class:`RemoteOpsError` becomes one
    sentence plus a hint (exit 1, or 2 for usage); anything else is a bug, said so plainly.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="remoteops", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except RemoteOpsError as exc:
        if debug:
            traceback.print_exc()
        _print_error(exc.message, exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        console(stderr=True).print("Interrupted; nothing half-written was kept.")
        return 130
    except OSError as exc:
        if debug:
            traceback.print_exc()
        _print_error(*_os_error_message(exc))
        return 1
    except Exception as exc:
        if debug:
            traceback.print_exc()
        if _is_database_error(exc):
            _print_error(
                f"The state database cannot be read or written: {_first_line(exc)}.",
                "If it is a file that is damaged, move it away (keep it: the history in it "
                "can often be read with sqlite3's .recover) and run the command again; "
                "remoteops starts a new one. Nothing half-written was kept.",
            )
            return 1
        _print_error(
            f"Unexpected error: {type(exc).__name__}: {exc}",
            "This is a bug in remoteops; run again with --debug and report the output.",
        )
        return 1
    finally:
        _print_notices()
    return 0


#: What the user can do about the usual operating-system errors while writing.
_OS_ERROR_HINTS = {
    errno.ENOSPC: "The disk is full: free some space and run the command again.",
    errno.EDQUOT: "Your disk quota is used up: free some space and run the command again.",
    errno.EFBIG: "The file is larger than this system allows (a file-size limit, see "
    "'ulimit -f'): raise the limit or write to another disk.",
    errno.EACCES: "You lack the permission: choose a folder of your own (e.g. with --out or "
    "--state) or ask the folder's owner.",
    errno.EPERM: "The operation is not permitted here: choose a folder of your own.",
    errno.EROFS: "The disk is read-only: choose another folder (e.g. with --out or --state).",
    errno.ENOTDIR: "A part of the path is a file, not a folder: choose another path.",
    errno.EISDIR: "The path is a folder where a file was expected: give a file name.",
    errno.EEXIST: "Something is already there: remove it or choose another path.",
    errno.ENOENT: "Check the path; a folder on the way may be missing.",
}


def _os_error_message(exc: OSError) -> tuple[str, str]:
    where = f" {exc.filename}" if exc.filename else ""
    what = exc.strerror or str(exc)
    hint = _OS_ERROR_HINTS.get(exc.errno or -1, "Check the path and the disk, then try again.")
    return (
        f"Could not read or write{where}: {what}.",
        f"{hint} Earlier results were kept; nothing half-written was left behind.",
    )


def _print_notices() -> None:
    from remoteops.files import take_notices

    notes = take_notices()
    if notes:
        err = console(stderr=True)
        for note in notes:
            err.print(f"Note: {note}", markup=False)


def _print_error(message: str, hint: str | None) -> None:
    from rich.markup import escape

    err = console(stderr=True)
    err.print(f"[bold red]Error:[/] {escape(message)}")
    if hint:
        err.print(escape(hint))


def _is_database_error(exc: BaseException) -> bool:
    """A database driver's error that no feature turned into a :class:`RemoteOpsError`
    (SQLAlchemy is imported only by commands that use the state store)."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DBAPIError)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]
