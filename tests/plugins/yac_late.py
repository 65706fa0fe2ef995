"""A YAC plugin that defines a field after the host's enddef (in the time loop)."""
from yac import YAC, Field, Location, TimeUnit

import comin

yac = YAC.from_id(comin.descrdata_get_global().yac_instance_id)
component = yac.predef_comp("late")


@comin.EP_ATM_TIMELOOP_START
def too_late():
    points = yac.get_grid("icon_atmos_grid").get_points(Location.CELL, "cell_centers")
    Field.create("late_field", component, points, 1, "600", TimeUnit.SECOND)
