! A Fortran plugin in upstream's idiom whose primary constructor is not comin_main (as
! upstream's test_parallel_plugin_setup): it writes to unit 0 with WRITE(0,*) as upstream's
! plugins do, beside comin's own messages, and prints its own (default) name.
MODULE own_constructor_plugin
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: own_constructor_setup

CONTAINS

  SUBROUTINE secondary() BIND(C)
    WRITE (0, '(A)') "fortran unit 0: secondary constructor"
  END SUBROUTINE secondary

  SUBROUTINE own_constructor_setup() BIND(C, name="own_constructor_setup")
    TYPE(t_comin_plugin_info) :: info
    CALL comin_current_get_plugin_info(info)
    WRITE (0, '(A,A)') "fortran unit 0: primary constructor of ", info%name
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary)
  END SUBROUTINE own_constructor_setup

END MODULE own_constructor_plugin
