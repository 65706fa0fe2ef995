"""Testing tools shipped with comin (as ``numpy.testing``, ``zarr.testing``).

* :mod:`comin.testing.model`: an executable specification of upstream ComIn's
  rules, routine by routine with their order of checks, independent of comin's core;
* :mod:`comin.testing.scenarios`: scenarios (a host script and plugins in
  Python, C or Fortran), their hypothesis strategies, the Python host driver and
  the runners of the C and Fortran host drivers; traces compared with the model;
* :mod:`comin.testing.pyops`: the plugin operations of the drivers in Python;
* :mod:`comin.testing.stateful`: the lifecycle as a hypothesis state machine
  (host and plugin calls step by step, compared with the model);
* :mod:`comin.testing.fixtures`: pytest fixtures (``comin_host``,
  ``comin_model``); enable with ``pytest_plugins = ["comin.testing.fixtures"]``.

A host-model developer or plugin author uses them in their own pytest suite::

    from hypothesis import given
    from comin.testing.scenarios import scenarios, run_model, run_python

    @given(scenarios())
    def test_my_build_behaves_like_comin(scn):
        assert run_python(scn) == run_model(scn)
"""
