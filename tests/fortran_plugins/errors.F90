! Error paths of the Fortran API (tests/c_plugins/errors.c is the C counterpart).
! The plugin's options pick the mode:
!   "return"        errors_return on: provoke every error reachable from a Fortran
!                   plugin and print "<what> <code> <neutral value>", then the
!                   messages of comin_error_get_message;
!   "off <what>"    errors_return off: provoke one error (the run ends through the host).
! Every error is reset after its line, so each line shows the code of one call.
MODULE errors_plugin
  USE, INTRINSIC :: iso_c_binding, ONLY: c_double, c_float, c_int, c_ptr, c_null_ptr, &
    &                                    c_associated
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: comin_main

  CHARACTER(LEN=:), ALLOCATABLE, SAVE :: mode, what

CONTAINS

  FUNCTION d(i) RESULT(s)
    INTEGER, INTENT(IN) :: i
    CHARACTER(LEN=:), ALLOCATABLE :: s
    CHARACTER(LEN=32) :: buf
    WRITE(buf, '(I0)') i
    s = TRIM(buf)
  END FUNCTION d

  !> "<name> <stored code> <neutral value>", then the stored code is reset.
  SUBROUTINE check(name, neutral)
    CHARACTER(LEN=*), INTENT(IN) :: name
    INTEGER, INTENT(IN) :: neutral
    CALL comin_print_info(name // " " // d(comin_error_get()) // " " // d(neutral))
    CALL comin_error_reset()
  END SUBROUTINE check

  INTEGER FUNCTION b(l)
    LOGICAL, INTENT(IN) :: l
    b = MERGE(1, 0, l)
  END FUNCTION b

  SUBROUTINE not_reached(where)
    CHARACTER(LEN=*), INTENT(IN) :: where
    CALL comin_print_info("NOT REACHED after finish in " // where)
  END SUBROUTINE not_reached

  !> errors_return off: one error ends the run.
  SUBROUTINE provoke()
    TYPE(t_comin_var_handle) :: h, null_handle
    TYPE(t_comin_var_descriptor) :: nosuch, temp
    INTEGER(c_int), POINTER :: ip(:,:,:,:,:)
    REAL(c_double), POINTER :: s3(:,:,:)
    TYPE(t_comin_descrdata_domain), POINTER :: dom
    TYPE(c_ptr) :: p
    INTEGER :: v, sh(5)
    CHARACTER(LEN=:), ALLOCATABLE :: name

    nosuch = t_comin_var_descriptor("nosuch", 1)
    temp = t_comin_var_descriptor("temp", 1)
    SELECT CASE (what)
    CASE ("var_get_notfound")
      CALL comin_var_get([EP_ATM_TIMELOOP_START], nosuch, COMIN_FLAG_READ, h)
    CASE ("request_after")
      CALL comin_var_request_add(nosuch, .FALSE.)
    CASE ("ep_name")
      CALL comin_callback_get_ep_name(666, name)
    CASE ("wrong_type")
      CALL comin_var_get([EP_ATM_TIMELOOP_START], temp, COMIN_FLAG_READ, h)
      CALL h%get_ptr(ip)
    CASE ("metadata_key")
      CALL comin_metadata_get(temp, "nokey", v)
    CASE ("plugin_comm")
      v = comin_parallel_get_plugin_mpi_comm()
    CASE ("error_check")
      CALL comin_error_set_errors_return(.TRUE.)
      CALL comin_var_get([EP_ATM_TIMELOOP_START], nosuch, COMIN_FLAG_READ, h)
      CALL comin_print_info("stored " // d(comin_error_get()))
      CALL comin_error_check()
    CASE ("domain_not_set")
      dom => comin_descrdata_get_domain(5)
    CASE ("shape_of_null")
      sh = null_handle%array_shape()
    CASE ("to_3d_container")
      CALL comin_var_get([EP_ATM_TIMELOOP_START], t_comin_var_descriptor("container", 1), &
        &                COMIN_FLAG_READ, h)
      CALL h%to_3d(s3)
    CASE ("device_bad_datatype")
      CALL comin_var_get([EP_ATM_TIMELOOP_START], temp, COMIN_FLAG_READ, h)
      p = h%get_device_ptr(99)
    CASE DEFAULT
      CALL comin_print_info("unknown case " // what)
      RETURN
    END SELECT
    CALL not_reached(what)
  END SUBROUTINE provoke

  SUBROUTINE secondary() BIND(C, name="")
    TYPE(t_comin_var_descriptor) :: temp, nosuch, cont, got
    TYPE(t_comin_var_handle) :: h, null_handle
    TYPE(t_comin_var_metadata_iterator) :: mit
    TYPE(t_comin_descrdata_domain), POINTER :: dom
    INTEGER(c_int), POINTER :: ip(:,:,:,:,:), i3(:,:,:)
    REAL(c_float), POINTER :: fp(:,:,:,:,:), f3(:,:,:)
    REAL(c_double), POINTER :: dp(:,:,:,:,:)
    TYPE(c_ptr) :: p, it
    INTEGER :: v, sh(5), ds(5), tid, is, ie
    REAL(wp) :: dt
    CHARACTER(LEN=:), ALLOCATABLE :: name, key

    IF (mode == "off") THEN
      CALL provoke()
      RETURN
    END IF
    IF (mode /= "return") RETURN
    temp = t_comin_var_descriptor("temp", 1)
    nosuch = t_comin_var_descriptor("nosuch", 1)
    cont = t_comin_var_descriptor("container", 1)
    CALL comin_var_request_add(nosuch, .FALSE.)
    CALL check("request_after_primary", 0)
    CALL comin_metadata_set(temp, "k", 1)
    CALL check("metadata_set_after_primary", 0)
    CALL comin_callback_register(EP_ATM_TIMELOOP_END, timeloop)
    CALL check("register_after_primary", 0)
    CALL comin_var_get([EP_ATM_TIMELOOP_START], nosuch, COMIN_FLAG_READ, h)
    CALL check("var_get_not_found", b(h%valid()))
    CALL comin_var_get([666], temp, COMIN_FLAG_READ, h)
    CALL check("var_get_bad_ep", b(h%valid()))
    CALL comin_var_get([EP_ATM_TIMELOOP_START], temp, IOR(COMIN_FLAG_READ, COMIN_FLAG_DEVICE), h)
    CALL check("var_get_device", b(h%valid()))
    CALL comin_var_get([EP_ATM_TIMELOOP_START], cont, IOR(COMIN_FLAG_READ, COMIN_FLAG_SYNC_HALO), h)
    CALL check("var_get_container_halo", b(h%valid()))
    v = 42
    CALL comin_metadata_get(temp, "nokey", v)
    CALL check("metadata_key_not_found", v)
    v = 42
    CALL comin_metadata_get(nosuch, "units", v)
    CALL check("metadata_var_not_found", v)
    v = 42
    CALL comin_metadata_get(temp, "units", v)
    CALL check("metadata_wrong_type", v)
    tid = comin_metadata_get_typeid(nosuch, "units")
    CALL check("typeid_var_not_found", tid)
    CALL comin_metadata_get_iterator(nosuch, mit)
    CALL check("metadata_iterator_var_not_found", b(.NOT. mit%is_end()))
    CALL mit%delete()
    CALL comin_metadata_get_iterator(temp, mit)
    DO WHILE (.NOT. mit%is_end())
      CALL mit%next()
    END DO
    key = mit%key()
    CALL check("metadata_iterator_key_at_end", LEN(key))
    CALL mit%delete()
    CALL comin_var_get([EP_ATM_TIMELOOP_START], temp, COMIN_FLAG_READ, h)
    CALL check("var_get_ok", b(.NOT. h%valid()))
    CALL h%get_ptr(ip)
    CALL check("ptr_int_of_double", b(ASSOCIATED(ip)))
    CALL h%get_ptr(fp)
    CALL check("ptr_float_of_double", b(ASSOCIATED(fp)))
    CALL h%get_ptr(dp)
    CALL check("ptr_double_ok", b(.NOT. ASSOCIATED(dp)))
    CALL h%to_3d(f3)
    CALL check("to_3d_float_of_double", b(ASSOCIATED(f3)))
    CALL h%to_3d(i3)
    CALL check("to_3d_int_of_double", b(ASSOCIATED(i3)))
    p = h%get_device_ptr(COMIN_VAR_DATATYPE_DOUBLE)
    CALL check("device_ptr_double", b(c_associated(p)))
    p = h%get_device_ptr()
    CALL check("device_ptr", b(c_associated(p)))
    p = h%get_device_ptr(COMIN_VAR_DATATYPE_FLOAT)
    CALL check("device_ptr_float_of_double", b(c_associated(p)))
    p = h%get_device_ptr(COMIN_VAR_DATATYPE_INT)
    CALL check("device_ptr_int_of_double", b(c_associated(p)))
    CALL null_handle%get_ptr(dp)
    CALL check("ptr_of_null", b(ASSOCIATED(dp)))
    sh = null_handle%array_shape()
    CALL check("shape_of_null", SUM(sh))
    ds = null_handle%dim_semantics()
    CALL check("dim_semantics_of_null", SUM(ds))
    CALL check_ncontained(null_handle)
    got = null_handle%descriptor()
    CALL check("descriptor_of_null", LEN(got%name))
    CALL check("lcontainer_of_null", b(null_handle%lcontainer()))
    it = c_null_ptr
    got = t_comin_var_descriptor("unchanged", 3)
    CALL comin_var_get_descr_list_var_desc(it, got)
    CALL check("descr_list_var_desc_of_null", got%id)
    CALL comin_callback_get_ep_name(666, name)
    CALL check("ep_name_unknown", LEN(name))
    dt = comin_descrdata_get_timesteplength(7)
    CALL check("timestep_not_set", INT(dt))
    dom => comin_descrdata_get_domain(5)
    CALL check("domain_not_set", b(ASSOCIATED(dom)))
    dom => comin_descrdata_get_domain(0)
    CALL check("domain_zero", b(ASSOCIATED(dom)))
    is = -9
    ie = -9
    CALL comin_descrdata_get_cell_indices(5, 1, 1, 2, is, ie, 0, 0)
    CALL check("cell_indices_domain", is)
    CALL comin_error_set_errors_return(.FALSE.)
    CALL comin_print_info("errors_return test done")
  END SUBROUTINE secondary

  SUBROUTINE check_ncontained(h)
    TYPE(t_comin_var_handle), INTENT(IN) :: h
    INTEGER :: nc
    nc = h%ncontained()
    CALL check("ncontained_of_null", nc)
  END SUBROUTINE check_ncontained

  SUBROUTINE timeloop() BIND(C, name="")
    CALL comin_print_info("timeloop " // mode)
  END SUBROUTINE timeloop

  SUBROUTINE comin_main() BIND(C, name="comin_main")
    TYPE(t_comin_plugin_info) :: info
    TYPE(t_comin_var_descriptor) :: temp, x, xall, nosuch, tr
    TYPE(t_comin_var_handle) :: h
    TYPE(t_comin_descrdata_domain), POINTER :: dom
    CHARACTER(LEN=11) :: category
    CHARACTER(LEN=96) :: message
    INTEGER :: v, k, tid

    CALL comin_current_get_plugin_info(info)
    k = INDEX(info%options, " ")
    IF (k > 0) THEN
      mode = info%options(1:k - 1)
      what = info%options(k + 1:)
    ELSE
      mode = info%options
      what = ""
    END IF
    IF (mode == "off" .AND. what == "register_unknown_ep") THEN
      CALL comin_callback_register(666, timeloop)
      CALL not_reached(what)
    END IF
    IF (mode == "off" .AND. what == "tracer_one_domain") THEN
      tr = t_comin_var_descriptor("tr", 1)
      CALL comin_var_request_add(tr, .FALSE.)
      CALL comin_metadata_set(tr, "tracer", .TRUE.)
      CALL not_reached(what)
    END IF
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary)
    CALL comin_callback_register(EP_ATM_TIMELOOP_START, timeloop)
    IF (mode /= "return") RETURN

    CALL comin_error_set_errors_return(.TRUE.)
    temp = t_comin_var_descriptor("temp", 1)
    x = t_comin_var_descriptor("fx", 1)
    xall = t_comin_var_descriptor("fxall", -1)
    nosuch = t_comin_var_descriptor("nosuch", 1)
    CALL comin_var_get([EP_ATM_TIMELOOP_START], temp, COMIN_FLAG_READ, h)
    CALL check("var_get_in_primary", b(h%valid()))
    v = 42
    CALL comin_metadata_get(temp, "zaxis_id", v)
    CALL check("metadata_get_in_primary", v)
    tid = comin_metadata_get_typeid(temp, "zaxis_id")
    CALL check("typeid_in_primary", tid)
    CALL comin_metadata_set(nosuch, "k", 1)
    CALL check("metadata_set_not_requested", 0)
    CALL comin_var_request_add(x, .TRUE.)
    CALL check("request_exclusive_ok", 0)
    CALL comin_var_request_add(x, .FALSE.)
    CALL check("request_exists_is_exclusive", 0)
    CALL comin_var_request_add(xall, .FALSE.)
    CALL check("request_all_ok", 0)
    CALL comin_var_request_add(xall, .TRUE.)
    CALL check("request_exclusive_of_existing", 0)
    CALL comin_metadata_set(x, "tracer", .TRUE.)
    CALL check("tracer_not_for_all_domains", 0)
    CALL comin_metadata_set(xall, "k", 1)
    CALL check("metadata_set_ok", 0)
    CALL comin_metadata_set(xall, "k", 1.5_wp)
    CALL check("metadata_inconsistent_type", 0)
    CALL comin_metadata_set(xall, "k", "text")
    CALL check("metadata_inconsistent_type_character", 0)
    CALL comin_callback_register(666, timeloop)
    CALL check("register_unknown_ep", 0)
    dom => comin_descrdata_get_domain(5)
    CALL check("domain_not_set_primary", b(ASSOCIATED(dom)))
    CALL comin_error_get_message(COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND, category, message)
    CALL comin_print_info("message '" // TRIM(category) // "' '" // TRIM(message) // "'")
    CALL comin_error_get_message(COMIN_ERROR_FATAL, category, message)
    CALL comin_print_info("message '" // TRIM(category) // "' '" // TRIM(message) // "'")
    CALL comin_current_get_plugin_info(info)
    CALL comin_print_info("info errors_return " // d(b(info%errors_return)))
  END SUBROUTINE comin_main

END MODULE errors_plugin
