! Host-side bad input from Fortran with errors_return on: one line "<case> <code>" per case
! (the C twin is tests/hosts/c_host/host_errors.c).  comin_host_api: comin's host module
! with its additions (errors_return for the host's own calls, requests by position).
PROGRAM host_errors
  USE, INTRINSIC :: iso_c_binding, ONLY: c_loc, c_null_ptr
  USE comin_host_api
  IMPLICIT NONE
  TYPE(t_comin_descrdata_global) :: g
  TYPE(t_comin_plugin_description) :: none(0)
  TYPE(t_comin_var_handle) :: h
  TYPE(t_comin_var_descriptor) :: d
  REAL(wp), TARGET :: a(4, 2)
  INTEGER :: ds(5), ival
  CHARACTER(LEN=16) :: cat

  ds = [COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_UNUSED, &
    &   COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED]
  a = 0.0_wp
  CALL comin_setup_init(.TRUE.)
  CALL comin_error_set_errors_return(.TRUE.)
  CALL comin_setup_check("host_errors", wp)
  CALL report("check_without_handler")
  CALL comin_setup_errhandler(handler)
  CALL comin_setup_check("host_errors", 4)
  CALL report("wrong_precision")
  CALL comin_plugin_primaryconstructor(none)
  CALL report("primary_without_n_dom")
  g%n_dom = 1
  g%nproma = 4
  CALL comin_descrdata_set_global(g)
  CALL report("descrdata_ok")
  CALL comin_plugin_primaryconstructor(none)
  CALL report("primary_ok")
  CALL comin_var_list_append(t_comin_var_descriptor("f", 1), c_loc(a), c_null_ptr, [4, 2, 1, 1, 1], &
    &                        COMIN_VAR_DATATYPE_DOUBLE, ds, .FALSE., 0, h)
  CALL report("append_ok")
  CALL comin_var_list_append(t_comin_var_descriptor("f", 1), c_loc(a), c_null_ptr, [4, 2, 1, 1, 1], &
    &                        COMIN_VAR_DATATYPE_DOUBLE, ds, .FALSE., 0, h)
  CALL report("append_twice")
  CALL comin_metadata_set(t_comin_var_descriptor("nothere", 1), "units", "K")
  CALL report("metadata_on_unknown_variable")
  CALL comin_request_get_descriptor(1, d)
  CALL report("request_out_of_range")
  CALL comin_metadata_get_or(1, "zaxis_id", ival, 7)
  CALL report("request_metadata_out_of_range")
  CALL comin_callback_context_call(99, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  CALL report("ep_id_out_of_range")
  CALL comin_callback_context_call(EP_ATM_TIMELOOP_START, 1, .FALSE.)
  CALL report("ep_ok")
  CALL comin_error_set_errors_return(.FALSE.)
  CALL comin_callback_context_call(99, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  WRITE (*, '(A)') "not reached"
CONTAINS
  SUBROUTINE report(what)
    CHARACTER(LEN=*), INTENT(IN) :: what
    CHARACTER(LEN=128) :: msg
    INTEGER :: code
    code = comin_error_get()
    CALL comin_error_get_message(code, cat, msg)
    WRITE (*, "(A,1X,I0,1X,A)") what, code, TRIM(cat)
    CALL comin_error_reset()
  END SUBROUTINE report
  SUBROUTINE handler(routine, text)
    CHARACTER(LEN=*), INTENT(IN) :: routine
    CHARACTER(LEN=*), INTENT(IN), OPTIONAL :: text
    IF (.NOT. PRESENT(text)) ERROR STOP "comin passes text"
    WRITE (*, '(A)') "handler: " // routine // ": " // text
    ERROR STOP 7
  END SUBROUTINE handler
END PROGRAM host_errors
