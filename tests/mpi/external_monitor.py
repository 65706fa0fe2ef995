"""The external side of monitor_plugin.py: started beside the host in the same mpirun.

    mpirun -n 2 comin run --namelist nml : -n 1 python external_monitor.py

Joins the plugin communicator "monitor" with comin's small external API and
prints the global water vapour total the host ranks send every step.
"""
import json

from comin.parallel import join, roles

plug = join("monitor")["monitor"]
who = roles(plug, "external")
totals = []
while True:
    parts = plug.gather(("external", 0.0), root=plug.Get_rank())
    host_parts = [p for p in parts if p[0] != "external"]
    if any(kind == "done" for kind, _ in host_parts):
        break
    totals.append(sum(v for _, v in host_parts))
print("MONITOR_EXTERNAL " + json.dumps({"plug_size": plug.Get_size(), "hosts": who.get("host"),
                                        "totals": totals}), flush=True)
