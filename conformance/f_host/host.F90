! The Fortran host driver of the conformance suite: runs host scripts over
! comin_host_interface, the way conformance/c_host/host.c does over comin_host.h (see
! there and comin.testing.scenarios for the script and the trace).  A server: one script
! path per line on stdin, "done" on stdout after each.  Descriptive data goes through
! ComIn's derived types (comin_descrdata_set_global / _set_domain with every domain
! described so far); requests are read by position.  A Fortran host cannot pass a null
! procedure, so the "null" forms of errhandler/glb2loc/halo/device are not available:
! they are logged as "H <call> fail null".
MODULE conformance_f_host
  USE, INTRINSIC :: iso_c_binding, ONLY: c_double, c_float, c_int, c_int64_t, c_loc, c_null_ptr, &
    &                                    c_ptr
  USE comin_host_api
  ! a plugin function a host is not meant to call (the conformance suite checks it fails)
  USE comin_plugin_interface, ONLY: t_comin_plugin_info, comin_current_get_plugin_info
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: serve

  INTEGER, PARAMETER :: dp = c_double, maxdom = 16, maxvars = 256, maxplugins = 16
  INTEGER, PARAMETER :: linelen = 4096, maxtok = 32, toklen = 1024

  TYPE :: t_field
    CHARACTER(LEN=:), ALLOCATABLE :: name
    INTEGER :: jg = 0, datatype = 0
    REAL(c_double), ALLOCATABLE :: d(:)
    REAL(c_float), ALLOCATABLE :: f(:)
    INTEGER(c_int), ALLOCATABLE :: i(:)
  END TYPE t_field

  TYPE(t_field), TARGET, SAVE :: fields(maxvars)
  INTEGER, SAVE :: nfields = 0, nproma = 1, ndomains = 0
  ! the host's own data; the domain type's POINTER components point at it (as ICON's do)
  INTEGER(c_int), TARGET, SAVE :: ids(maxdom) = 0, nlev(maxdom) = 0, nblks(maxdom) = 0, &
    &                             ncells(maxdom) = 0
  TYPE(t_comin_descrdata_domain), SAVE :: domains(maxdom)
  CHARACTER(LEN=:), ALLOCATABLE, SAVE :: trace_path

CONTAINS

#include "../text_protocol.inc"

  SUBROUTINE emit(text)
    CHARACTER(LEN=*), INTENT(IN) :: text
    INTEGER :: u
    OPEN(NEWUNIT=u, FILE=trace_path, POSITION="append", ACTION="write", STATUS="unknown")
    WRITE(u, '(A)') text
    CLOSE(u)
  END SUBROUTINE emit

  FUNCTION descr(name, jg) RESULT(d)
    CHARACTER(LEN=*), INTENT(IN) :: name
    INTEGER, INTENT(IN) :: jg
    TYPE(t_comin_var_descriptor) :: d
    d%name = TRIM(name)
    d%id = jg
  END FUNCTION descr

  !> "H <what> ok" or "H <what> err <code>"; the code is cleared.
  SUBROUTINE result(what)
    CHARACTER(LEN=*), INTENT(IN) :: what
    INTEGER :: code
    code = comin_error_get()
    IF (code /= COMIN_SUCCESS) THEN
      CALL emit("H " // what // " err " // itoa(code))
    ELSE
      CALL emit("H " // what // " ok")
    END IF
    CALL comin_error_reset()
  END SUBROUTINE result

  SUBROUTINE handler(routine, text)          ! ComIn's interface: text is OPTIONAL
    CHARACTER(LEN=*), INTENT(IN) :: routine
    CHARACTER(LEN=*), INTENT(IN), OPTIONAL :: text
    IF (PRESENT(text)) THEN
      CALL emit("H finish " // to_hex(routine) // " " // to_hex(text))
    ELSE
      CALL emit("H finish " // to_hex(routine) // " " // to_hex(""))
    END IF
    ERROR STOP 3
  END SUBROUTINE handler

  FUNCTION glb2loc(jg, global_idx) RESULT(loc)
    INTEGER, INTENT(IN) :: jg, global_idx
    INTEGER :: loc
    loc = global_idx + 1000 * jg
  END FUNCTION glb2loc

  SUBROUTINE halo(handle, mode)
    TYPE(t_comin_var_handle), INTENT(IN) :: handle
    INTEGER, INTENT(IN) :: mode
    TYPE(t_comin_var_descriptor) :: d
    d = handle%descriptor()
    CALL emit("H halo " // d%name // " " // itoa(d%id) // " " // itoa(mode))
  END SUBROUTINE halo

  SUBROUTINE device(handle, direction)
    TYPE(t_comin_var_handle), INTENT(IN) :: handle
    LOGICAL, INTENT(IN) :: direction
    TYPE(t_comin_var_descriptor) :: d
    d = handle%descriptor()
    CALL emit("H device " // d%name // " " // itoa(d%id) // " " // itoa(MERGE(1, 0, direction)))
  END SUBROUTINE device

  !> (shape, dim semantics, lcontainer, ncontained) of a kind (comin.testing.model.layout).
  LOGICAL FUNCTION layout(kind, jg, sh, sem, lcont, ncont)
    CHARACTER(LEN=*), INTENT(IN) :: kind
    INTEGER, INTENT(IN) :: jg
    INTEGER, INTENT(OUT) :: sh(5), sem(5), ncont
    LOGICAL, INTENT(OUT) :: lcont
    INTEGER :: n, l, b, u, c, x
    n = COMIN_DIM_SEMANTICS_NPROMA
    l = COMIN_DIM_SEMANTICS_LEVEL
    b = COMIN_DIM_SEMANTICS_BLOCK
    u = COMIN_DIM_SEMANTICS_UNUSED
    c = COMIN_DIM_SEMANTICS_CONTAINER
    x = COMIN_DIM_SEMANTICS_UNDEF
    layout = .TRUE.
    lcont = .FALSE.
    ncont = 0
    sh = [nproma, nlev(jg), nblks(jg), 1, 1]
    sem = [n, l, b, u, u]
    SELECT CASE (kind)
    CASE ("field3d")
    CASE ("field2d")
      sh = [nproma, nblks(jg), 1, 1, 1]
      sem = [n, b, u, u, u]
    CASE ("container")
      sh = [nproma, nlev(jg), nblks(jg), 2, 1]
      sem = [n, l, b, c, u]
      lcont = .TRUE.
      ncont = 2
    CASE ("container_irregular")
      sh = [nproma, nlev(jg), nblks(jg), 2, 1]
      sem = [n, x, b, c, u]
      lcont = .TRUE.
      ncont = 2
    CASE ("irregular")
      sem = [n, x, b, u, u]
    CASE ("tracer")
      ncont = 1
    CASE DEFAULT
      layout = .FALSE.
    END SELECT
  END FUNCTION layout

  REAL(dp) FUNCTION field_sum(k)
    INTEGER, INTENT(IN) :: k
    SELECT CASE (fields(k)%datatype)
    CASE (COMIN_VAR_DATATYPE_DOUBLE)
      field_sum = SUM(fields(k)%d)
    CASE (COMIN_VAR_DATATYPE_FLOAT)
      field_sum = SUM(REAL(fields(k)%f, dp))
    CASE DEFAULT
      field_sum = SUM(REAL(fields(k)%i, dp))
    END SELECT
  END FUNCTION field_sum

  !> The request list; the metadata of the scenario keys, probed by type (sorted keys).
  SUBROUTINE requests()
    CHARACTER(LEN=8), PARAMETER :: keys(5) = [CHARACTER(LEN=8) :: "restart", "scale", "tracer", &
      &                                       "units", "zaxis_id"]
    INTEGER, PARAMETER :: sentinel = -123456789
    TYPE(t_comin_var_descriptor) :: d
    INTEGER, ALLOCATABLE :: ids(:)
    CHARACTER(LEN=:), ALLOCATABLE :: line, s, prefix
    INTEGER :: i, k, iv
    REAL(dp) :: x
    LOGICAL :: l
    DO i = 1, comin_request_get_list_size()
      CALL comin_request_get_descriptor(i, d)
      CALL comin_request_get_plugin_ids(i, ids)
      line = "H request " // d%name // " " // itoa(d%id) // " " // &
        &    itoa(MERGE(1, 0, comin_request_get_lmodexclusive(i)))
      DO k = 1, SIZE(ids)
        line = line // " " // itoa(ids(k))
      END DO
      CALL emit(line)
      DO k = 1, 5
        prefix = "H request_meta " // d%name // " " // itoa(d%id) // " " // TRIM(keys(k))
        CALL comin_error_reset()
        CALL comin_metadata_get_or(i, TRIM(keys(k)), iv, sentinel)
        IF (comin_error_get() == COMIN_SUCCESS) THEN
          IF (iv /= sentinel) CALL emit(prefix // " i " // itoa(iv))
          CYCLE
        END IF
        CALL comin_error_reset()
        CALL comin_metadata_get_or(i, TRIM(keys(k)), x, 0.0_dp)
        IF (comin_error_get() == COMIN_SUCCESS) THEN
          CALL emit(prefix // " f " // ftoa(x))
          CYCLE
        END IF
        CALL comin_error_reset()
        CALL comin_metadata_get_or(i, TRIM(keys(k)), l, .FALSE.)
        IF (comin_error_get() == COMIN_SUCCESS) THEN
          CALL emit(prefix // " b " // itoa(MERGE(1, 0, l)))
          CYCLE
        END IF
        CALL comin_error_reset()
        CALL comin_metadata_get_or(i, TRIM(keys(k)), s, "")
        CALL emit(prefix // " s " // to_hex(s))
      END DO
      CALL comin_error_reset()
    END DO
  END SUBROUTINE requests

  SUBROUTINE expose(tok)
    CHARACTER(LEN=toklen), INTENT(IN) :: tok(maxtok)
    TYPE(t_comin_var_handle) :: h
    INTEGER :: jg, sh(5), sem(5), ncont, n, k, datatype
    LOGICAL :: lcont
    TYPE(c_ptr) :: p
    jg = atoi(tok(3))
    IF (nfields == maxvars .OR. jg < 1 .OR. jg > maxdom) THEN
      CALL emit("H expose err -1")
      RETURN
    END IF
    IF (.NOT. layout(TRIM(tok(4)), jg, sh, sem, lcont, ncont)) THEN
      CALL emit("H expose err -1")
      RETURN
    END IF
    n = PRODUCT(sh)
    k = nfields + 1
    SELECT CASE (tok(5)(1:1))
    CASE ("d")
      datatype = COMIN_VAR_DATATYPE_DOUBLE
    CASE ("f")
      datatype = COMIN_VAR_DATATYPE_FLOAT
    CASE DEFAULT
      datatype = COMIN_VAR_DATATYPE_INT
    END SELECT
    CALL fill(k, datatype, n, jg, p)
    CALL comin_var_list_append(descr(TRIM(tok(2)), jg), p, MERGE(p, c_null_ptr, atoi(tok(6)) /= 0), &
      &                        sh, datatype, sem, lcont, ncont, h)
    IF (comin_error_get() == COMIN_SUCCESS) THEN
      nfields = k
      fields(k)%name = TRIM(tok(2))
      fields(k)%jg = jg
      fields(k)%datatype = datatype
    END IF
    CALL result("expose")
  END SUBROUTINE expose

  !> The host's field k with comin.testing.model.fill_value, and its address.
  SUBROUTINE fill(k, datatype, n, jg, p)
    INTEGER, INTENT(IN) :: k, datatype, n, jg
    TYPE(c_ptr), INTENT(OUT) :: p
    INTEGER :: i
    IF (ALLOCATED(fields(k)%d)) DEALLOCATE(fields(k)%d)
    IF (ALLOCATED(fields(k)%f)) DEALLOCATE(fields(k)%f)
    IF (ALLOCATED(fields(k)%i)) DEALLOCATE(fields(k)%i)
    SELECT CASE (datatype)
    CASE (COMIN_VAR_DATATYPE_DOUBLE)
      ALLOCATE(fields(k)%d(n))
      fields(k)%d = [(REAL(MOD(i, 5) + jg, dp), i = 0, n - 1)]
      p = c_loc(fields(k)%d)
    CASE (COMIN_VAR_DATATYPE_FLOAT)
      ALLOCATE(fields(k)%f(n))
      fields(k)%f = [(REAL(MOD(i, 5) + jg, c_float), i = 0, n - 1)]
      p = c_loc(fields(k)%f)
    CASE DEFAULT
      ALLOCATE(fields(k)%i(n))
      fields(k)%i = [(INT(MOD(i, 5) + jg, c_int), i = 0, n - 1)]
      p = c_loc(fields(k)%i)
    END SELECT
  END SUBROUTINE fill

  SUBROUTINE run_script(script)
    CHARACTER(LEN=*), INTENT(IN) :: script
    CHARACTER(LEN=linelen) :: line
    CHARACTER(LEN=toklen) :: tok(maxtok)
    CHARACTER(LEN=:), ALLOCATABLE :: op, text
    TYPE(t_comin_plugin_description) :: plugins(maxplugins)
    TYPE(t_comin_descrdata_global) :: g
    TYPE(t_comin_plugin_info) :: info
    INTEGER :: uin, ios, nt, nplugins, slash, jg, k
    LOGICAL :: null

    slash = INDEX(script, "/", BACK=.TRUE.)
    trace_path = script(1:slash) // "trace.out"
    nfields = 0
    ndomains = 0
    nplugins = 0
    OPEN(NEWUNIT=uin, FILE=script, STATUS="old", ACTION="read", IOSTAT=ios)
    IF (ios /= 0) THEN
      CALL emit("H abort cannot-open-script")
      RETURN
    END IF
    DO
      READ(uin, '(A)', IOSTAT=ios) line
      IF (ios /= 0) EXIT
      CALL split(line, tok, nt)
      IF (nt == 0) CYCLE
      op = TRIM(tok(1))
      null = nt > 1 .AND. TRIM(tok(MIN(nt, maxtok))) == "null"
      SELECT CASE (op)
      CASE ("plugin")
        IF (nplugins < maxplugins) THEN
          nplugins = nplugins + 1
          plugins(nplugins)%name = TRIM(tok(2))
          plugins(nplugins)%plugin_library = TRIM(tok(3))
          plugins(nplugins)%options = from_hex(TRIM(tok(4)))
        END IF
      CASE ("init")
        CALL comin_setup_init(.TRUE.)
        CALL comin_error_set_errors_return(.TRUE.)      ! the host's own calls give codes
        IF (comin_error_get() == COMIN_SUCCESS) nfields = 0   ! a new session: its own fields
        CALL result(op)
      CASE ("errhandler", "glb2loc", "halo", "device")
        IF (null) THEN
          CALL emit("H " // op // " fail null")
          CYCLE
        END IF
        SELECT CASE (op)
        CASE ("errhandler")
          CALL comin_setup_errhandler(handler)
        CASE ("glb2loc")
          CALL comin_descrdata_set_fct_glb2loc_cell(glb2loc)
        CASE ("halo")
          CALL comin_var_set_sync_halo(halo)
        CASE DEFAULT
          CALL comin_var_set_sync_device_mem(device)
        END SELECT
        CALL result(op)
      CASE ("plugin_info")                      ! a plugin function called by the host
        CALL comin_current_get_plugin_info(info)
        CALL result(op)
      CASE ("typeid")
        k = comin_metadata_get_typeid(descr(TRIM(tok(2)), atoi(tok(3))), TRIM(tok(4)))
        IF (comin_error_get() /= COMIN_SUCCESS) THEN
          CALL emit("H typeid err " // itoa(comin_error_get()))
        ELSE
          CALL emit("H typeid " // itoa(k))
        END IF
        CALL comin_error_reset()
      CASE ("check")
        CALL comin_setup_check("host", atoi(tok(2)))
        CALL result(op)
      CASE ("global")
        nproma = atoi(tok(3))
        g%n_dom = atoi(tok(2))
        g%nproma = nproma
        g%has_device = atoi(tok(4)) /= 0
        CALL comin_descrdata_set_global(g)
        CALL result(op)
      CASE ("domain")
        jg = atoi(tok(2))
        IF (jg < 1 .OR. jg > maxdom) THEN
          CALL emit("H domain err -1")
          CYCLE
        END IF
        nlev(jg) = atoi(tok(3))
        nblks(jg) = (atoi(tok(4)) + nproma - 1) / nproma
        ids(jg) = jg
        ncells(jg) = atoi(tok(4))
        domains(jg)%id => ids(jg)
        domains(jg)%nlev => nlev(jg)
        domains(jg)%cells%ncells => ncells(jg)
        domains(jg)%cells%nblks => nblks(jg)
        ndomains = MAX(ndomains, jg)
        CALL comin_descrdata_set_domain(domains(1:ndomains))
        CALL result(op)
      CASE ("timestep")
        CALL comin_descrdata_set_timesteplength(atoi(tok(2)), hexfloat(TRIM(tok(3))))
        CALL result(op)
      CASE ("datetime")
        CALL comin_current_set_datetime(from_hex(TRIM(tok(2))))
        CALL result(op)
      CASE ("primary")
        CALL comin_plugin_primaryconstructor(plugins(1:nplugins))
        CALL result(op)
      CASE ("requests")
        CALL requests()
      CASE ("expose")
        CALL expose(tok)
      CASE ("meta")
        SELECT CASE (tok(5)(1:1))
        CASE ("b")
          CALL comin_metadata_set(descr(TRIM(tok(2)), atoi(tok(3))), TRIM(tok(4)), atoi(tok(6)) /= 0)
        CASE ("i")
          CALL comin_metadata_set(descr(TRIM(tok(2)), atoi(tok(3))), TRIM(tok(4)), atoi(tok(6)))
        CASE ("f")
          CALL comin_metadata_set(descr(TRIM(tok(2)), atoi(tok(3))), TRIM(tok(4)), hexfloat(TRIM(tok(6))))
        CASE DEFAULT
          text = from_hex(TRIM(tok(6)))
          CALL comin_metadata_set(descr(TRIM(tok(2)), atoi(tok(3))), TRIM(tok(4)), text)
        END SELECT
        CALL result(op)
      CASE ("ep")
        CALL emit("H ep " // itoa(atoi(tok(2))) // " " // itoa(atoi(tok(3))) // " " // itoa(atoi(tok(4))))
        CALL comin_callback_context_call(atoi(tok(2)), atoi(tok(3)), atoi(tok(4)) /= 0)
        CALL result("ep_result")
        DO k = 1, nfields
          CALL emit("H array " // fields(k)%name // " " // itoa(fields(k)%jg) // " " // ftoa(field_sum(k)))
        END DO
      CASE ("finalize")
        CALL comin_var_list_finalize()
        CALL comin_var_request_list_finalize()
        CALL comin_var_descr_list_finalize()
        CALL comin_descrdata_finalize()
        CALL comin_setup_finalize()
        CALL result(op)
      CASE DEFAULT
        CALL emit("H abort unknown-call-" // op)
      END SELECT
    END DO
    CLOSE(uin)
    DO k = 1, nfields
      IF (ALLOCATED(fields(k)%d)) DEALLOCATE(fields(k)%d)
      IF (ALLOCATED(fields(k)%f)) DEALLOCATE(fields(k)%f)
      IF (ALLOCATED(fields(k)%i)) DEALLOCATE(fields(k)%i)
    END DO
    nfields = 0
    DO k = 1, maxdom
      ids(k) = 0
      NULLIFY(domains(k)%id, domains(k)%nlev, domains(k)%cells%ncells, domains(k)%cells%nblks)
    END DO
  END SUBROUTINE run_script

  SUBROUTINE serve()
    USE, INTRINSIC :: iso_fortran_env, ONLY: input_unit, output_unit
    CHARACTER(LEN=linelen) :: line
    INTEGER :: ios
    DO
      READ(input_unit, '(A)', IOSTAT=ios) line
      IF (ios /= 0) EXIT
      IF (LEN_TRIM(line) == 0) CYCLE
      CALL run_script(TRIM(line))
      WRITE(output_unit, '(A)') "done"
      FLUSH(output_unit)
    END DO
  END SUBROUTINE serve

END MODULE conformance_f_host

PROGRAM conformance_host
  USE conformance_f_host, ONLY: serve
  CALL serve()
END PROGRAM conformance_host
