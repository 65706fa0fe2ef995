! Fortran probe plugin of the scale hosts (tests/hosts): requests a 2-D field on every
! domain (id -1), copies the lowest temperature level into it at EP_ATM_INTEGRATE_START
! and prints what it sees (each line flushed: the order is the same in every host).
MODULE f_probe_plugin
  USE, INTRINSIC :: iso_fortran_env, ONLY: output_unit
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: comin_main

  CHARACTER(LEN=:), ALLOCATABLE, SAVE :: myname
  TYPE(t_comin_var_handle), SAVE :: temp(2), lowest(2)

CONTAINS

  FUNCTION f1(x) RESULT(s)
    REAL(wp), INTENT(IN) :: x
    CHARACTER(LEN=32) :: buf
    CHARACTER(LEN=:), ALLOCATABLE :: s
    WRITE (buf, '(F0.1)') x
    s = TRIM(ADJUSTL(buf))
    IF (s(1:1) == '.') s = '0' // s
  END FUNCTION f1

  SUBROUTINE say(text)
    CHARACTER(LEN=*), INTENT(IN) :: text
    WRITE (output_unit, '(A)') myname // ": " // text
    FLUSH(output_unit)
  END SUBROUTINE say

  SUBROUTINE secondary() BIND(C, name="")
    INTEGER :: jg, s(5)
    CHARACTER(LEN=16) :: buf
    DO jg = 1, 2
      CALL comin_var_get([EP_ATM_INTEGRATE_START], t_comin_var_descriptor("temp", jg), COMIN_FLAG_READ, temp(jg))
      CALL comin_var_get([EP_ATM_INTEGRATE_START], t_comin_var_descriptor("f_lowest", jg), COMIN_FLAG_WRITE, &
        &                lowest(jg))
      s = lowest(jg)%array_shape()
      WRITE (buf, '(I0,1X,I0,1X,I0)') s(1), s(2), s(3)
      CALL say("secondary: f_lowest shape " // TRIM(buf))
    END DO
  END SUBROUTINE secondary

  SUBROUTINE integrate_start() BIND(C, name="")
    INTEGER :: jg
    REAL(wp), POINTER :: t(:,:,:,:,:), low(:,:,:,:,:)
    CHARACTER(LEN=16) :: buf
    jg = comin_current_get_domain_id()
    CALL temp(jg)%get_ptr(t)
    CALL lowest(jg)%get_ptr(low)
    low(:, :, 1, 1, 1) = t(:, SIZE(t, 2), :, 1, 1)
    WRITE (buf, '(I0)') jg
    CALL say("integrate start domain " // TRIM(buf) // " temp sum " // f1(SUM(t)) // &
      &      " lowest sum " // f1(SUM(low)))
  END SUBROUTINE integrate_start

  SUBROUTINE destructor() BIND(C, name="")
    CALL say("destructor")
  END SUBROUTINE destructor

  SUBROUTINE comin_main() BIND(C, name="comin_main")
    TYPE(t_comin_plugin_info) :: info
    CHARACTER(LEN=32) :: buf
    CALL comin_current_get_plugin_info(info)
    myname = info%name
    WRITE (buf, '(I0,1X,I0)') info%id, comin_descrdata_get_cell_npromz(1)
    CALL say("primary constructor id/npromz(1) " // TRIM(buf) // " options '" // info%options // "'")
    CALL comin_var_request_add(t_comin_var_descriptor("f_lowest", -1), .FALSE.)
    CALL comin_metadata_set(t_comin_var_descriptor("f_lowest", -1), "zaxis_id", COMIN_ZAXIS_2D)
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary)
    CALL comin_callback_register(EP_ATM_INTEGRATE_START, integrate_start)
    CALL comin_callback_register(EP_DESTRUCTOR, destructor)
  END SUBROUTINE comin_main

END MODULE f_probe_plugin
