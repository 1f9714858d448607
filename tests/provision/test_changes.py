"""``remoteops provision --diff``: Ansible's diff results as unified diffs for people."""

from __future__ import annotations

from remoteops.provision.results import MAX_DIFF_LINES, Change, HostResult, change_from_result


def test_a_template_diff_becomes_a_unified_diff():
    diff = [
        {
            "before": "Support: 030 1\nMo-Fr\n",
            "after": "Support: 030 2\nMo-Fr\n",
            "before_header": "/etc/motd",
            "after_header": "/etc/motd (from etc/motd.j2)",
        }
    ]
    change = change_from_result("Show the support contact", diff)
    assert change == Change(
        "Show the support contact",
        "--- /etc/motd\n+++ /etc/motd (from etc/motd.j2)\n@@ -1,2 +1,2 @@\n"
        "-Support: 030 1\n+Support: 030 2\n Mo-Fr",
    )


def test_a_file_state_and_prepared_text_and_no_difference():
    state = {
        "before": {"path": "/etc/x", "state": "absent"},
        "after": {"path": "/etc/x", "state": "directory"},
    }
    change = change_from_result("Create /etc/x", state)
    assert change.diff.splitlines()[-2:] == ['-state: "absent"', '+state: "directory"']
    prepared = change_from_result("Install", {"prepared": "The following NEW packages: jq"})
    assert prepared.diff == "The following NEW packages: jq"
    assert change_from_result("Same", {"before": "a\n", "after": "a\n"}) is None
    assert change_from_result("Nothing", None) is None
    assert change_from_result("Empty", []) is None


def test_a_long_diff_is_cut_and_says_how_much_more():
    after = "".join(f"line {k}\n" for k in range(500))
    change = change_from_result("Big", {"before": "", "after": after})
    lines = change.diff.splitlines()
    assert len(lines) == MAX_DIFF_LINES + 1
    assert lines[-1] == f"... ({3 + 500 - MAX_DIFF_LINES} more lines)"


def test_changes_are_shown_not_compared_or_stored():
    """A run read back from the state store has no changes; it still equals the run."""
    with_changes = HostResult("lab-01", "changed", changes=(Change("t", "-a\n+b"),))
    assert with_changes == HostResult("lab-01", "changed")
