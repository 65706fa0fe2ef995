! A Fortran plugin in ComIn 0.2's idiom (vruggiero/ICON externals/comin/plugins/
! simple_fortran of 0.2): variables as TYPE(t_comin_var_ptr), POINTER with pos_jc/pos_jk/
! pos_jb/pos_jn, comin_var_to_3d, the descriptor list walked as linked items
! (t_comin_var_descr_list_item: item_value, next()), comin_setup_get_verbosity_level.
! It compiles and runs unchanged against comin beside ComIn 0.3 plugins.
MODULE v02_plugin
  USE comin_plugin_interface, ONLY: comin_callback_register, comin_var_get, &
    &  t_comin_var_descriptor, t_comin_var_ptr, comin_var_request_add, &
    &  comin_descrdata_get_global, t_comin_descrdata_global, &
    &  EP_SECONDARY_CONSTRUCTOR, EP_ATM_WRITE_OUTPUT_BEFORE, COMIN_FLAG_READ, COMIN_FLAG_WRITE, &
    &  comin_var_get_descr_list_head, t_comin_var_descr_list_item, comin_plugin_finish, &
    &  comin_metadata_set, comin_var_to_3d, comin_setup_get_verbosity_level
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: comin_main

  INTEGER, PARAMETER :: wp = SELECTED_REAL_KIND(12, 307)
  TYPE(t_comin_var_ptr), POINTER, SAVE :: pres => NULL(), v02_var => NULL(), v02_tracer => NULL()
  TYPE(t_comin_var_ptr), POINTER, SAVE :: qv => NULL()

CONTAINS

  SUBROUTINE say(text)
    CHARACTER(LEN=*), INTENT(IN) :: text
    WRITE (0, '(A)') "v02 " // text
    FLUSH(0)
  END SUBROUTINE say

  SUBROUTINE comin_main() BIND(C)
    TYPE(t_comin_var_descriptor) :: var_d, tracer_d
    CHARACTER(LEN=64) :: buf
    WRITE (buf, '(A,I0)') "verbosity ", comin_setup_get_verbosity_level()
    CALL say(TRIM(buf))
    var_d = t_comin_var_descriptor(id=1, name="v02_var")
    CALL comin_var_request_add(var_d, .FALSE.)
    CALL comin_metadata_set(var_d, "tracer", .FALSE.)
    tracer_d = t_comin_var_descriptor(id=-1, name="v02_tracer")
    CALL comin_var_request_add(tracer_d, .FALSE.)
    CALL comin_metadata_set(tracer_d, "tracer", .TRUE.)
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary)
    CALL comin_callback_register(EP_ATM_WRITE_OUTPUT_BEFORE, diagfct)
  END SUBROUTINE comin_main

  SUBROUTINE secondary() BIND(C)
    TYPE(t_comin_var_descr_list_item), POINTER :: item
    TYPE(t_comin_var_descriptor) :: var_desc
    REAL(wp), POINTER :: slice(:,:,:)
    INTEGER :: n
    CHARACTER(LEN=128) :: buf

    n = 0
    item => comin_var_get_descr_list_head()
    DO WHILE (ASSOCIATED(item))
      ASSOCIATE (descriptor => item%item_value)
        IF (descriptor%name == "pres" .AND. descriptor%id == 1) CALL say("found pres(1) in the list")
      END ASSOCIATE
      n = n + 1
      item => item%next()
    END DO
    WRITE (buf, '(A,L1)') "list has more than 10 variables ", n > 10
    CALL say(TRIM(buf))

    var_desc%name = "pres"
    var_desc%id = 1
    CALL comin_var_get([EP_ATM_WRITE_OUTPUT_BEFORE], var_desc, COMIN_FLAG_READ, pres)
    IF (.NOT. ASSOCIATED(pres)) CALL comin_plugin_finish("v02 secondary", "pres not found")
    IF (ANY([pres%pos_jc, pres%pos_jk, pres%pos_jb] /= [1, 2, 3])) &
      &  CALL comin_plugin_finish("v02 secondary", "Dimension check failed!")
    WRITE (buf, '(A,4(1X,I0),A,L1)') "pres pos", pres%pos_jc, pres%pos_jk, pres%pos_jb, pres%pos_jn, &
      &  " lcontainer ", LOGICAL(pres%lcontainer)
    CALL say(TRIM(buf))
    CALL comin_var_get([EP_ATM_WRITE_OUTPUT_BEFORE], t_comin_var_descriptor(name="qv", id=1), &
      &                COMIN_FLAG_READ, qv)
    IF (ANY([qv%pos_jc, qv%pos_jk, qv%pos_jb] /= [1, 2, 3])) &
      &  CALL comin_plugin_finish("v02 secondary", "Dimension check failed!")
    CALL comin_var_get([EP_ATM_WRITE_OUTPUT_BEFORE], t_comin_var_descriptor(name="v02_var", id=1), &
      &                COMIN_FLAG_WRITE, v02_var)
    CALL comin_var_get([EP_ATM_WRITE_OUTPUT_BEFORE], t_comin_var_descriptor(name="v02_tracer", id=1), &
      &                COMIN_FLAG_WRITE, v02_tracer)
    IF (.NOT. (ASSOCIATED(v02_var) .AND. ASSOCIATED(v02_tracer))) &
      &  CALL comin_plugin_finish("v02 secondary", "requested variables not found")
    slice => comin_var_to_3d(v02_tracer)
    slice(:, :, :) = 1.0_wp
    WRITE (buf, '(A,3(1X,I0),A,I0)') "tracer slice shape", SHAPE(slice), " ncontained ", v02_tracer%ncontained
    CALL say(TRIM(buf))
    slice => comin_var_to_3d(qv)
    WRITE (buf, '(A,3(1X,I0))') "qv slice shape", SHAPE(slice)
    CALL say(TRIM(buf))
  END SUBROUTINE secondary

  SUBROUTINE diagfct() BIND(C)
    TYPE(t_comin_descrdata_global), POINTER :: glb
    CHARACTER(LEN=128) :: buf
    glb => comin_descrdata_get_global()
    v02_var%ptr = pres%ptr + 42.0_wp
    WRITE (buf, '(A,L1,A,I0)') "v02_var = pres + 42: ", ALL(ABS(v02_var%ptr - pres%ptr - 42.0_wp) < 1e-9_wp), &
      &  " n_dom ", glb%n_dom
    CALL say(TRIM(buf))
  END SUBROUTINE diagfct

END MODULE v02_plugin
