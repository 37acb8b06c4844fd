# pytest plugin shipped with tinytorch-milestones, loaded with -p: a test that returns False fails.
"""Honest returns.

TinyTorch's learning tests return True or False instead of asserting, and plain
pytest counts a returned False as a pass. Loaded with ``-p tinytorch_honest_returns``,
this plugin makes a test that returns False (or numpy's False) fail, while a test
that returns True or None still passes. It quiets pytest's return-not-None warning
for boolean returns only; any other return value is left to pytest.
"""

import functools
import inspect

import pytest

# The runner looks for this phrase in the output to tell this failure from others.
MARKER = "returned False (honest returns)"


def _is_bool(value):
    if isinstance(value, bool):
        return True
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool_", "bool")


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    original = pyfuncitem.obj
    if inspect.iscoroutinefunction(original) or inspect.isasyncgenfunction(original):
        return (yield)
    returned = []

    @functools.wraps(original)
    def capture(*args, **kwargs):
        value = original(*args, **kwargs)
        if _is_bool(value):
            returned.append(bool(value))
            return None
        return value

    pyfuncitem.obj = capture
    try:
        outcome = yield
    finally:
        pyfuncitem.obj = original
    if returned == [False]:
        pytest.fail(f"{pyfuncitem.name} {MARKER}: a milestone test that returns False has failed.", pytrace=False)
    return outcome
