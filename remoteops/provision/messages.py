"""Ansible's failure messages, said in plain words for IT staff."""

from __future__ import annotations

import re

NO_LOG_TEXT = "the output has been hidden"

# (pattern in Ansible's message, what it means) for hosts that could not be reached.
_UNREACHABLE = (
    (
        r"Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED"
        r"|unrecognized or mismatching host key",  # the last: Mitogen's words
        "its SSH host key is unknown or has changed; check the machine, then add its key "
        "to known_hosts",
    ),
    (r"Permission denied", "it refused the admin's SSH key"),
    (r"Connection refused", "nothing answers on its SSH port (is sshd running?)"),
    (
        r"timed out|No route to host|Network is unreachable",
        "it does not answer (switched off, or not connected to the VPN?)",
    ),
    (r"Could not resolve hostname|Name or service not known", "its name cannot be resolved"),
    (r"Connection closed|Connection reset", "it closed the SSH connection"),
)


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unreachable_message(result: dict) -> str:
    raw = str(result.get("msg") or "")
    for pattern, meaning in _UNREACHABLE:
        if re.search(pattern, raw, re.IGNORECASE):
            return f"Unreachable: {meaning}."
    return _clip(f"Unreachable: {_first_line(raw) or 'no answer over SSH'}")


def failure_message(result: dict) -> str:
    """The first useful line of a failed task's result."""
    msg = str(result.get("msg") or "")
    if NO_LOG_TEXT in msg or result.get("censored"):
        return "The task failed; its output is hidden because it handles a secret."
    text = _first_line(msg)
    generic = not text or text.lower().startswith(
        ("non-zero return code", "failed to validate", "module failure", "task failed")
    )
    detail = _first_line(result.get("stderr") or "") or _first_line(result.get("stdout") or "")
    if generic and detail:
        text = f"{text}: {detail}" if text else detail
    if not text:
        rc = result.get("rc")
        text = f"the command ended with exit code {rc}" if rc is not None else "the task failed"
    return _clip(text[0].upper() + text[1:])


_ERROR_LINE = re.compile(r"^(?:\[ERROR\]:|ERROR!)\s*(.*)$")


def ansible_errors(output: str) -> list[str]:
    """Lines Ansible printed as errors (``[ERROR]: ...`` or ``ERROR! ...``)."""
    found = []
    for line in output.splitlines():
        match = _ERROR_LINE.match(line.strip())
        if match and match.group(1).strip():
            found.append(match.group(1).strip())
    return found
