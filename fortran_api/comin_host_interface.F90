!> comin_host_interface: ComIn's host interface, exactly as ComIn exports it.
!!
!! A host written for ComIn (ICON's adapter, ComIn's replay tool and minimal example)
!! writes `USE comin_host_interface` without ONLY: this module makes public the names
!! of ComIn 0.3's module of that name (src/comin_host_interface.F90) and the ComIn
!! 0.2-only names comin implements, and nothing else, so that a host's own names
!! (its `wp`, its error codes, ...) never clash with comin's.  Everything comes from
!! comin_host_api (comin's host module, with comin's additions) and from
!! comin_plugin_interface; tests/test_host_interface.py holds the list it is checked
!! against.
MODULE comin_host_interface
  USE comin_constants, ONLY: &
    &  EP_SECONDARY_CONSTRUCTOR, EP_ATM_YAC_DEFCOMP_BEFORE, EP_ATM_YAC_DEFCOMP_AFTER, &
    &  EP_ATM_YAC_SYNCDEF_BEFORE, EP_ATM_YAC_SYNCDEF_AFTER, EP_ATM_YAC_ENDDEF_BEFORE, &
    &  EP_ATM_YAC_ENDDEF_AFTER, EP_ATM_INIT_FINALIZE, EP_ATM_TIMELOOP_BEFORE, &
    &  EP_ATM_TIMELOOP_START, EP_ATM_TIMELOOP_END, EP_ATM_TIMELOOP_AFTER, &
    &  EP_ATM_INTEGRATE_BEFORE, EP_ATM_INTEGRATE_START, EP_ATM_INTEGRATE_END, &
    &  EP_ATM_INTEGRATE_AFTER, EP_ATM_WRITE_OUTPUT_BEFORE, EP_ATM_WRITE_OUTPUT_AFTER, &
    &  EP_ATM_CHECKPOINT_BEFORE, EP_ATM_CHECKPOINT_AFTER, EP_ATM_ADVECTION_BEFORE, &
    &  EP_ATM_ADVECTION_AFTER, EP_ATM_PHYSICS_BEFORE, EP_ATM_PHYSICS_AFTER, &
    &  EP_ATM_NUDGING_BEFORE, EP_ATM_NUDGING_AFTER, EP_ATM_SURFACE_BEFORE, &
    &  EP_ATM_SURFACE_AFTER, EP_ATM_TURBULENCE_BEFORE, EP_ATM_TURBULENCE_AFTER, &
    &  EP_ATM_MICROPHYSICS_BEFORE, EP_ATM_MICROPHYSICS_AFTER, EP_ATM_CONVECTION_BEFORE, &
    &  EP_ATM_CONVECTION_AFTER, EP_ATM_RADIATION_BEFORE, EP_ATM_RADIATION_AFTER, &
    &  EP_ATM_RADHEAT_BEFORE, EP_ATM_RADHEAT_AFTER, EP_ATM_GWDRAG_BEFORE, &
    &  EP_ATM_GWDRAG_AFTER, EP_FINISH, EP_DESTRUCTOR, &
    &  COMIN_ZAXIS_NONE, COMIN_ZAXIS_2D, COMIN_ZAXIS_3D, COMIN_ZAXIS_3D_HALF, &
    &  COMIN_ZAXIS_UNDEF, COMIN_DOMAIN_OUTSIDE_LOOP, COMIN_HGRID_UNSTRUCTURED_CELL, &
    &  COMIN_HGRID_UNSTRUCTURED_EDGE, COMIN_HGRID_UNSTRUCTURED_VERTEX, &
    &  COMIN_METADATA_TYPEID_UNDEFINED, COMIN_METADATA_TYPEID_INTEGER, &
    &  COMIN_METADATA_TYPEID_REAL, COMIN_METADATA_TYPEID_CHARACTER, &
    &  COMIN_METADATA_TYPEID_LOGICAL, COMIN_VAR_DATATYPE_DOUBLE, COMIN_VAR_DATATYPE_FLOAT, &
    &  COMIN_VAR_DATATYPE_INT, COMIN_DIM_SEMANTICS_UNDEF, COMIN_DIM_SEMANTICS_NPROMA, &
    &  COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_UNBLOCK, COMIN_DIM_SEMANTICS_LEVEL, &
    &  COMIN_DIM_SEMANTICS_CONTAINER, COMIN_DIM_SEMANTICS_OTHER, COMIN_DIM_SEMANTICS_UNUSED, &
    &  COMIN_SUCCESS
  USE comin_plugin_interface, ONLY: t_comin_setup_version_info, comin_setup_get_version, &
    &  t_comin_var_handle, t_comin_var_descriptor, t_comin_var_metadata_iterator, &
    &  t_comin_descrdata_global, t_comin_descrdata_domain, &
    &  t_comin_descrdata_simulation_interval, comin_metadata_get_iterator, &
    &  comin_var_get_descr_list_head, comin_var_get_descr_list_next, &
    &  comin_var_get_descr_list_var_desc, comin_var_descr_list_iterator_delete, &
    &  comin_callback_get_ep_name, comin_metadata_get, comin_metadata_get_typeid, &
    &  t_comin_var_ptr, t_comin_var_descr_list_item
  USE comin_host_api, ONLY: &
    &  comin_setup_set_verbosity_level, comin_setup_get_verbosity_level, &
    &  comin_descrdata_set_fct_glb2loc_cell, comin_setup_errhandler, comin_setup_init, &
    &  comin_setup_check, comin_plugin_primaryconstructor, comin_setup_finalize, &
    &  t_comin_plugin_description, comin_callback_context_call, &
    &  comin_var_list_finalize, comin_var_request_list_finalize, comin_var_list_append, &
    &  comin_request_get_list, comin_var_set_sync_device_mem, comin_var_descr_list_finalize, &
    &  t_comin_request_item, comin_var_set_sync_halo, comin_var_set_cptr, &
    &  comin_metadata_set, comin_metadata_get_or, &
    &  comin_parallel_get_host_mpi_comm, comin_parallel_mpi_handshake, &
    &  comin_descrdata_finalize, comin_descrdata_set_global, comin_descrdata_set_domain, &
    &  comin_descrdata_set_simulation_interval, comin_current_set_datetime, &
    &  comin_descrdata_set_timesteplength, mpi_handshake, mpi_handshake_dummy, &
    &  comin_ftnlist_is_end, comin_ftnlist_iterator_begin, comin_ftnlist_iterator_delete, &
    &  comin_ftnlist_iterator_next, comin_ftnlist_iterator_value, &
    &  comin_var_update, comin_request_get_list_head, t_var_request_list_item
  IMPLICIT NONE
  PRIVATE

  ! ComIn 0.3 (src/comin_host_interface.F90), in its order
  PUBLIC :: comin_setup_set_verbosity_level
  PUBLIC :: comin_descrdata_set_fct_glb2loc_cell
  PUBLIC :: comin_setup_errhandler
  PUBLIC :: comin_setup_init
  PUBLIC :: comin_setup_check, comin_plugin_primaryconstructor, comin_setup_finalize
  PUBLIC :: t_comin_plugin_description
  PUBLIC :: comin_callback_context_call
  PUBLIC :: t_comin_setup_version_info, comin_setup_get_version
  PUBLIC :: EP_SECONDARY_CONSTRUCTOR, EP_ATM_YAC_DEFCOMP_BEFORE, EP_ATM_YAC_DEFCOMP_AFTER
  PUBLIC :: EP_ATM_YAC_SYNCDEF_BEFORE, EP_ATM_YAC_SYNCDEF_AFTER, EP_ATM_YAC_ENDDEF_BEFORE
  PUBLIC :: EP_ATM_YAC_ENDDEF_AFTER, EP_ATM_INIT_FINALIZE, EP_ATM_TIMELOOP_BEFORE
  PUBLIC :: EP_ATM_TIMELOOP_START, EP_ATM_TIMELOOP_END, EP_ATM_TIMELOOP_AFTER
  PUBLIC :: EP_ATM_INTEGRATE_BEFORE, EP_ATM_INTEGRATE_START, EP_ATM_INTEGRATE_END
  PUBLIC :: EP_ATM_INTEGRATE_AFTER, EP_ATM_WRITE_OUTPUT_BEFORE, EP_ATM_WRITE_OUTPUT_AFTER
  PUBLIC :: EP_ATM_CHECKPOINT_BEFORE, EP_ATM_CHECKPOINT_AFTER, EP_ATM_ADVECTION_BEFORE
  PUBLIC :: EP_ATM_ADVECTION_AFTER, EP_ATM_PHYSICS_BEFORE, EP_ATM_PHYSICS_AFTER
  PUBLIC :: EP_ATM_NUDGING_BEFORE, EP_ATM_NUDGING_AFTER, EP_ATM_SURFACE_BEFORE
  PUBLIC :: EP_ATM_SURFACE_AFTER, EP_ATM_TURBULENCE_BEFORE, EP_ATM_TURBULENCE_AFTER
  PUBLIC :: EP_ATM_MICROPHYSICS_BEFORE, EP_ATM_MICROPHYSICS_AFTER, EP_ATM_CONVECTION_BEFORE
  PUBLIC :: EP_ATM_CONVECTION_AFTER, EP_ATM_RADIATION_BEFORE, EP_ATM_RADIATION_AFTER
  PUBLIC :: EP_ATM_RADHEAT_BEFORE, EP_ATM_RADHEAT_AFTER, EP_ATM_GWDRAG_BEFORE
  PUBLIC :: EP_ATM_GWDRAG_AFTER, EP_FINISH, EP_DESTRUCTOR
  PUBLIC :: COMIN_ZAXIS_NONE, COMIN_ZAXIS_2D, COMIN_ZAXIS_3D, COMIN_ZAXIS_3D_HALF, COMIN_ZAXIS_UNDEF
  PUBLIC :: COMIN_DOMAIN_OUTSIDE_LOOP
  PUBLIC :: comin_callback_get_ep_name
  PUBLIC :: COMIN_HGRID_UNSTRUCTURED_CELL, COMIN_HGRID_UNSTRUCTURED_EDGE
  PUBLIC :: COMIN_HGRID_UNSTRUCTURED_VERTEX
  PUBLIC :: COMIN_METADATA_TYPEID_UNDEFINED, COMIN_METADATA_TYPEID_INTEGER
  PUBLIC :: COMIN_METADATA_TYPEID_REAL, COMIN_METADATA_TYPEID_CHARACTER
  PUBLIC :: COMIN_METADATA_TYPEID_LOGICAL
  PUBLIC :: COMIN_VAR_DATATYPE_DOUBLE, COMIN_VAR_DATATYPE_FLOAT, COMIN_VAR_DATATYPE_INT
  PUBLIC :: COMIN_DIM_SEMANTICS_UNDEF, COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_BLOCK
  PUBLIC :: COMIN_DIM_SEMANTICS_UNBLOCK, COMIN_DIM_SEMANTICS_LEVEL
  PUBLIC :: COMIN_DIM_SEMANTICS_CONTAINER, COMIN_DIM_SEMANTICS_OTHER
  PUBLIC :: COMIN_DIM_SEMANTICS_UNUSED
  PUBLIC :: comin_var_list_finalize
  PUBLIC :: comin_var_request_list_finalize
  PUBLIC :: t_comin_var_handle, t_comin_var_descriptor, comin_var_list_append
  PUBLIC :: comin_request_get_list
  PUBLIC :: comin_var_set_sync_device_mem
  PUBLIC :: comin_var_get_descr_list_head
  PUBLIC :: comin_var_get_descr_list_next
  PUBLIC :: comin_var_get_descr_list_var_desc
  PUBLIC :: comin_var_descr_list_iterator_delete
  PUBLIC :: comin_var_descr_list_finalize
  PUBLIC :: t_comin_request_item
  PUBLIC :: comin_var_set_sync_halo
  PUBLIC :: comin_var_set_cptr
  PUBLIC :: comin_metadata_set
  PUBLIC :: comin_metadata_get_typeid
  PUBLIC :: comin_metadata_get_iterator
  PUBLIC :: comin_metadata_get_or
  PUBLIC :: comin_metadata_get
  PUBLIC :: t_comin_var_metadata_iterator
  PUBLIC :: comin_parallel_get_host_mpi_comm
  PUBLIC :: comin_parallel_mpi_handshake
  PUBLIC :: comin_descrdata_finalize
  PUBLIC :: t_comin_descrdata_global, comin_descrdata_set_global
  PUBLIC :: t_comin_descrdata_domain, comin_descrdata_set_domain
  PUBLIC :: t_comin_descrdata_simulation_interval, comin_descrdata_set_simulation_interval
  PUBLIC :: comin_current_set_datetime, comin_descrdata_set_timesteplength
  PUBLIC :: mpi_handshake, mpi_handshake_dummy
  PUBLIC :: COMIN_SUCCESS
  PUBLIC :: comin_ftnlist_is_end
  PUBLIC :: comin_ftnlist_iterator_begin
  PUBLIC :: comin_ftnlist_iterator_delete
  PUBLIC :: comin_ftnlist_iterator_next
  PUBLIC :: comin_ftnlist_iterator_value

  ! ComIn 0.2 only (vruggiero/ICON src/comin_host_interface.F90)
  PUBLIC :: comin_setup_get_verbosity_level
  PUBLIC :: t_comin_var_ptr, t_comin_var_descr_list_item
  PUBLIC :: comin_var_update, comin_request_get_list_head, t_var_request_list_item

END MODULE comin_host_interface
