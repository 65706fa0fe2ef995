"""The stateful test: random sequences of host and plugin calls across ComIn's lifecycle.

:class:`comin.testing.stateful.ComInLifecycle` (shipped in the package for other
hosts' test suites) drives a Host and Python plugins step by step beside the
executable specification; every result, error code, callback order and access
list must equal the model's after every step.
"""
from hypothesis import settings

from comin.testing.stateful import ComInLifecycle

ComInLifecycle.TestCase.settings = settings(stateful_step_count=30, deadline=None)
TestComInLifecycle = ComInLifecycle.TestCase
