! A Fortran plugin that ends the run with comin_plugin_finish in its second
! EP_ATM_TIMELOOP_START callback; the line after the call must never be printed.
MODULE finish_plugin
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: comin_main

  INTEGER, SAVE :: calls = 0

CONTAINS

  SUBROUTINE timeloop_start() BIND(C, name="")
    calls = calls + 1
    CALL comin_print_info("fortran call")
    IF (calls == 2) THEN
      CALL comin_plugin_finish("finish_plugin", "stopping on purpose")
      CALL comin_print_info("fortran after finish")
    END IF
  END SUBROUTINE timeloop_start

  SUBROUTINE comin_main() BIND(C, name="comin_main")
    CALL comin_callback_register(EP_ATM_TIMELOOP_START, timeloop_start)
  END SUBROUTINE comin_main

END MODULE finish_plugin
