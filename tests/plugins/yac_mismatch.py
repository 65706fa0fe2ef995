"""A YAC plugin whose coupling does not match: its target field is defined nowhere."""
from yac import YAC, Field, InterpolationStack, Location, NNNReductionType, Reduction, TimeUnit

import comin

yac = YAC.from_id(comin.descrdata_get_global().yac_instance_id)
component = yac.predef_comp("mismatch")


@comin.EP_ATM_YAC_DEFCOMP_AFTER
def define():
    points = yac.get_grid("icon_atmos_grid").get_points(Location.CELL, "cell_centers")
    Field.create("here", component, points, 1, "600", TimeUnit.SECOND)
    stack = InterpolationStack()
    stack.add_nnn(NNNReductionType.AVG, n=1, scale=1.0)
    yac.def_couple("mismatch", "icon_atmos_grid", "here", "mismatch", "icon_atmos_grid", "nowhere",
                   "600", TimeUnit.SECOND, Reduction.TIME_NONE, stack)
