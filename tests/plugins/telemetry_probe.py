"""Scrapes the telemetry plugin's endpoint from inside a run (tests/test_telemetry.py).

Arguments: the endpoint's URL (``http://127.0.0.1:PORT/``), an output path,
``--at EP_NAME`` (default EP_ATM_TIMELOOP_AFTER).  At that entry point host
rank 0 writes ``{"metrics": <the text of /metrics>, "timings":
<profile_get_timings()>, "history": <the /api/history JSON>}`` to the path.
The telemetry plugin hands its endpoint the whole time loop in its own
EP_ATM_TIMELOOP_AFTER callback: a probe loaded after it scrapes there, one
loaded before it (``comin run --telemetry`` loads the telemetry plugin
last) at EP_DESTRUCTOR.
"""
import argparse
import json
import urllib.request

import comin
from comin.parallel import world_rank

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("out")
parser.add_argument("--at", default="EP_ATM_TIMELOOP_AFTER")
args = parser.parse_args(comin.current_get_plugin_info().args)


@comin.register_callback(getattr(comin, args.at))
def scrape():
    if world_rank() != 0:
        return
    with urllib.request.urlopen(args.url + "metrics", timeout=20) as r:
        metrics = r.read().decode()
    timings = comin.profile_get_timings() if hasattr(comin, "profile_get_timings") else None
    with urllib.request.urlopen(args.url + "api/history", timeout=20) as r:
        history = json.loads(r.read().decode())
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"metrics": metrics, "timings": timings, "history": history}, f)
