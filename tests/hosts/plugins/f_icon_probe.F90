! Fortran plugin of the ICON-style host (tests/hosts/fortran_host/icon_host.F90): prints at
! every time-loop start the fields icon_probe.py and c_icon_probe.c print, through
! comin_descrdata_get_domain (POINTER components onto the host's patch, ALLOCATABLE ones
! as handed over; start_block keeps ICON's lower bound min_rlcell).
MODULE f_icon_probe_plugin
  USE, INTRINSIC :: iso_fortran_env, ONLY: output_unit
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: f_icon_probe_main

CONTAINS

  SUBROUTINE timeloop_start() BIND(C)
    TYPE(t_comin_descrdata_domain), POINTER :: dom
    TYPE(t_comin_descrdata_global), POINTER :: glb
    TYPE(t_comin_plugin_info) :: info
    CHARACTER(LEN=:), ALLOCATABLE :: dt
    CHARACTER(LEN=256) :: buf
    CALL comin_current_get_plugin_info(info)
    CALL comin_current_get_datetime(dt)
    dom => comin_descrdata_get_domain(1)
    glb => comin_descrdata_get_global()
    WRITE (buf, '(A,I0,A,I0,A,F0.1,A,I0,A,F0.1,A,I0,A,I0,A,I0)') " domain 1 nshift=", dom%nshift, &
      &  " ncells=", dom%cells%ncells, " area_sum=", SUM(dom%cells%area), &
      &  " owned=", COUNT(dom%cells%decomp_domain >= 0), " clon_sum=", SUM(dom%cells%clon), &
      &  " start_block(", LBOUND(dom%cells%start_block, 1), ")=", &
      &  dom%cells%start_block(glb%min_rlcell), " nlev=", dom%nlev
    WRITE (output_unit, '(A)') info%name // ": " // dt // TRIM(buf) // " " // TRIM(dom%grid_filename)
    FLUSH(output_unit)
  END SUBROUTINE timeloop_start

  SUBROUTINE f_icon_probe_main() BIND(C, name="f_icon_probe_main")
    CALL comin_callback_register(EP_ATM_TIMELOOP_START, timeloop_start)
  END SUBROUTINE f_icon_probe_main

END MODULE f_icon_probe_plugin
