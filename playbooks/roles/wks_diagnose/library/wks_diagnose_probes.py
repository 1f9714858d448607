#!/usr/bin/python
"""Run the diagnosis's read-only probes on a workstation in one module call."""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: wks_diagnose_probes
short_description: Run read-only probes (commands without a shell) and return their output
description:
  - Runs every probe's command (an argument list, never through a shell) with C locale and a
    time limit, and returns exit code, standard output and standard error per probe, shaped
    like a registered command result (a probe with C(items) like a loop's C(results)).
  - One module call instead of one task per probe: a diagnosis costs one SSH round trip.
  - Changes nothing; supports check mode.
options:
  probes:
    description: The probes, run in order.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The probe's name in the result.
        type: str
        required: true
      argv:
        description: The command and its arguments.
        type: list
        elements: str
        required: true
      items:
        description: Run the command once per item, the item appended as the last argument.
        type: list
        elements: str
      items_from:
        description:
          - Append the first word of every output line of an earlier probe (all in one call);
            skipped when that probe found nothing.
        type: str
      if_exists:
        description: Run only if this path exists (else the probe is skipped).
        type: str
      skip:
        description: Skip the probe (with I(skip_reason)).
        type: bool
        default: false
      skip_reason:
        description: Why the probe is skipped.
        type: str
        default: skipped
  timeout:
    description: Seconds each command may take.
    type: int
    default: 60
author: remoteops
"""

RETURN = r"""
probes:
  description: Per probe C(rc), C(stdout), C(stderr), or C(skipped) with C(skip_reason), or
    C(results) (one per item, with C(item)).
  type: dict
  returned: always
"""

MAX_OUTPUT = 256 * 1024


def run(argv, timeout):
    if not shutil.which(argv[0]):
        return {"rc": 127, "stdout": "", "stderr": f"{argv[0]}: command not found"}
    env = dict(os.environ, LC_ALL="C", LANG="C")
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"rc": 124, "stdout": "", "stderr": f"timed out after {timeout} s"}
    except OSError as exc:
        return {"rc": 126, "stdout": "", "stderr": str(exc)}
    return {
        "rc": proc.returncode,
        "stdout": proc.stdout[:MAX_OUTPUT].decode("utf-8", "replace").rstrip("\n"),
        "stderr": proc.stderr[:MAX_OUTPUT].decode("utf-8", "replace").rstrip("\n"),
    }


def probe_result(probe, found, timeout):
    """One probe's result (``found`` holds the earlier probes' results, for items_from)."""
    argv = [str(a) for a in probe["argv"]]
    if probe.get("skip"):
        return {"skipped": True, "skip_reason": probe.get("skip_reason") or "skipped"}
    if probe.get("if_exists") and not os.path.exists(probe["if_exists"]):
        return {"skipped": True, "skip_reason": f"{probe['if_exists']} does not exist"}
    source = probe.get("items_from")
    if source:
        earlier = found.get(source) or {}
        lines = (earlier.get("stdout") or "").splitlines() if earlier.get("rc") == 0 else []
        items = [line.split()[0] for line in lines if line.split()]
        if not items:
            return {"skipped": True, "skip_reason": f"{source} found nothing"}
        return run(argv + items, timeout)
    if probe.get("items") is not None:
        return {"results": [dict(run(argv + [str(i)], timeout), item=i) for i in probe["items"]]}
    return run(argv, timeout)


def main():
    module = AnsibleModule(
        argument_spec={
            "probes": {"type": "list", "elements": "dict", "required": True},
            "timeout": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
    )
    probes = module.params["probes"]
    for probe in probes:
        if not probe.get("name") or not probe.get("argv"):
            module.fail_json(msg=f"every probe needs a name and an argv: {probe!r}")
    timeout = module.params["timeout"]
    found = {}
    # Independent probes run side by side (they only read); those that take their items
    # from another probe run after it.
    first = [p for p in probes if not p.get("items_from")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = pool.map(lambda p: probe_result(p, found, timeout), first)
        for probe, result in zip(first, results, strict=True):
            found[probe["name"]] = result
    for probe in probes:
        if probe.get("items_from"):
            found[probe["name"]] = probe_result(probe, found, timeout)
    module.exit_json(changed=False, probes={p["name"]: found[p["name"]] for p in probes})


if __name__ == "__main__":
    main()
