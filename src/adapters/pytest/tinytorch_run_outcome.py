# pytest plugin shipped with tinytorch-milestones, loaded with -p: records what really happened to each test.
"""Run outcome.

pytest's exit status alone cannot tell a milestone test that passed from one
that was skipped, xfailed, or that ended the whole process with ``os._exit(0)``.
Loaded with ``-p tinytorch_run_outcome``, this plugin appends one JSON line per
event to the file named by ``TINYTORCH_MILESTONES_OUTCOME``: the collected node
ids, every phase report (setup, call, teardown) with its outcome, and a last
line when the session finishes. The sidecar counts a milestone as passed only
when that last line is there and every collected test ran and passed.
"""

import json
import os

_PATH = os.environ.pop("TINYTORCH_MILESTONES_OUTCOME", None)


def _write(record):
    if not _PATH:
        return
    # One open, write and close a line: the line is on disk even if the test ends the process next.
    with open(_PATH, "a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")


def _skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
    return None


def pytest_collection_finish(session):
    _write({"collected": [item.nodeid for item in session.items]})


def pytest_runtest_logreport(report):
    record = {"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome}
    if hasattr(report, "wasxfail"):
        record["xfail"] = str(report.wasxfail)
    if report.skipped and not hasattr(report, "wasxfail"):
        record["reason"] = _skip_reason(report)
    _write(record)


def pytest_sessionfinish(session, exitstatus):
    _write({"finished": int(exitstatus)})
