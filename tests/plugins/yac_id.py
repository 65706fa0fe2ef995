"""Prints the host's yac_instance_id (and, with YAC, the components after enddef) on rank 0."""
import comin

ID = comin.descrdata_get_global().yac_instance_id


@comin.EP_ATM_YAC_ENDDEF_AFTER
def report():
    comps = []
    if ID != -1:
        import yac
        comps = sorted(yac.YAC.from_id(ID).component_names)
    if comin.parallel_get_host_mpi_rank() == 0:
        print(f"YAC_ID {ID} components {comps}", flush=True)
