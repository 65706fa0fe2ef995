! The Fortran driver of the conformance suite: one Fortran plugin that interprets a
! scenario through the Fortran API (module comin_plugin_interface).  It reads and writes
! exactly what the C driver (conformance/c_driver/driver.c) does, so
! comin.testing.scenarios runs both the same way; see driver.c for the operations and
! the results.  Differences that are the Fortran API's own: var_info reports the handle's
! ncontained() as the host passed it (1-based), and the datatype from the metadata
! (handle%get_ptr does not check it); metadata_keys walks comin_metadata_get_iterator.
!
! One library serves every plugin of a scenario: the operations file is the current
! plugin's options, the handles are kept per plugin id.
MODULE conformance_f_driver
  USE, INTRINSIC :: iso_c_binding, ONLY: c_double, c_float, c_int, c_int64_t, c_ptr, &
    &                                    c_associated, c_loc, c_f_pointer
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: comin_main

  INTEGER, PARAMETER :: maxtok = 64, toklen = 1024, linelen = 8192, maxhandles = 256
  INTEGER, PARAMETER :: dp = c_double

  TYPE :: t_kept
    INTEGER :: pid = 0, jg = 0, flag = 0
    CHARACTER(LEN=:), ALLOCATABLE :: name
    TYPE(t_comin_var_handle) :: h
  END TYPE t_kept
  TYPE(t_kept), SAVE :: handles(maxhandles)
  INTEGER, SAVE :: nhandles = 0

CONTAINS

#include "../text_protocol.inc"

  SUBROUTINE emit(text)
    CHARACTER(LEN=*), INTENT(IN) :: text
    TYPE(t_comin_plugin_info) :: info
    INTEGER :: u, slash
    CALL comin_current_get_plugin_info(info)
    slash = INDEX(info%options, "/", BACK=.TRUE.)
    OPEN(NEWUNIT=u, FILE=info%options(1:slash) // "trace.out", POSITION="append", ACTION="write", &
      &  STATUS="unknown")
    WRITE(u, '(A)') text
    CLOSE(u)
  END SUBROUTINE emit

  FUNCTION descr(name, jg) RESULT(d)
    CHARACTER(LEN=*), INTENT(IN) :: name, jg
    TYPE(t_comin_var_descriptor) :: d
    ! component by component: gfortran (12) mis-sets the length of a deferred-length
    ! component in a structure constructor from a non-constant string at -O1
    d%name = TRIM(name)
    d%id = atoi(jg)
  END FUNCTION descr

  INTEGER FUNCTION find_handle(pid, name, jg)
    INTEGER, INTENT(IN) :: pid, jg
    CHARACTER(LEN=*), INTENT(IN) :: name
    INTEGER :: i
    find_handle = 0
    DO i = 1, nhandles
      IF (handles(i)%pid == pid .AND. handles(i)%jg == jg) THEN
        IF (handles(i)%name == name) THEN
          find_handle = i
          RETURN
        END IF
      END IF
    END DO
  END FUNCTION find_handle

  SUBROUTINE keep_handle(pid, name, jg, flag, h)
    INTEGER, INTENT(IN) :: pid, jg, flag
    CHARACTER(LEN=*), INTENT(IN) :: name
    TYPE(t_comin_var_handle), INTENT(IN) :: h
    INTEGER :: i
    i = find_handle(pid, name, jg)
    IF (i == 0) THEN
      IF (nhandles == maxhandles) RETURN
      nhandles = nhandles + 1
      i = nhandles
    END IF
    handles(i)%pid = pid
    handles(i)%jg = jg
    handles(i)%flag = flag
    handles(i)%name = name
    handles(i)%h = h
  END SUBROUTINE keep_handle

  SUBROUTINE perform(phase)
    CHARACTER(LEN=*), INTENT(IN) :: phase
    TYPE(t_comin_plugin_info) :: info
    CHARACTER(LEN=linelen) :: line
    CHARACTER(LEN=toklen) :: tok(maxtok)
    CHARACTER(LEN=:), ALLOCATABLE :: result, op
    INTEGER :: uin, ios, nt, code

    CALL comin_current_get_plugin_info(info)
    OPEN(NEWUNIT=uin, FILE=info%options, STATUS="old", ACTION="read", IOSTAT=ios)
    IF (ios /= 0) THEN
      CALL comin_plugin_finish("conformance driver", "cannot open the scenario file")
      RETURN
    END IF
    DO
      READ(uin, '(A)', IOSTAT=ios) line
      IF (ios /= 0) EXIT
      CALL split(line, tok, nt)
      IF (nt < 2) CYCLE
      IF (TRIM(tok(1)) /= phase) CYCLE
      op = TRIM(tok(2))
      result = "ok none"
      CALL comin_error_reset()
      CALL perform_one(info%id, op, tok, nt, result)
      code = comin_error_get()
      IF (code /= COMIN_SUCCESS) result = "err " // itoa(code)
      CALL emit("P " // itoa(info%id) // " " // phase // " " // op // " " // result)
      CALL comin_error_reset()
    END DO
    CLOSE(uin)
  END SUBROUTINE perform

  SUBROUTINE perform_one(pid, op, tok, nt, result)
    INTEGER, INTENT(IN) :: pid, nt
    CHARACTER(LEN=*), INTENT(IN) :: op
    CHARACTER(LEN=toklen), INTENT(IN) :: tok(maxtok)
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(INOUT) :: result
    CHARACTER(LEN=:), ALLOCATABLE :: str
    TYPE(t_comin_descrdata_global), POINTER :: g
    TYPE(t_comin_descrdata_domain), POINTER :: dom
    TYPE(t_comin_setup_version_info) :: version
    TYPE(t_comin_plugin_info) :: info
    TYPE(t_comin_var_descriptor) :: d
    TYPE(c_ptr) :: it

    SELECT CASE (op)
    CASE ("var_request_add")
      CALL comin_var_request_add(descr(tok(3), tok(4)), atoi(tok(5)) /= 0)
    CASE ("metadata_set")
      SELECT CASE (tok(6)(1:1))
      CASE ("b")
        CALL comin_metadata_set(descr(tok(3), tok(4)), TRIM(tok(5)), atoi(tok(7)) /= 0)
      CASE ("i")
        CALL comin_metadata_set(descr(tok(3), tok(4)), TRIM(tok(5)), atoi(tok(7)))
      CASE ("f")
        CALL comin_metadata_set(descr(tok(3), tok(4)), TRIM(tok(5)), hexfloat(TRIM(tok(7))))
      CASE DEFAULT
        str = from_hex(TRIM(tok(7)))
        CALL comin_metadata_set(descr(tok(3), tok(4)), TRIM(tok(5)), str)
      END SELECT
    CASE ("metadata_get", "metadata_get_typed")
      IF (nt > 5) THEN
        CALL metadata_get(descr(tok(3), tok(4)), TRIM(tok(5)), tok(6)(1:1), result)
      ELSE
        CALL metadata_get(descr(tok(3), tok(4)), TRIM(tok(5)), "?", result)
      END IF
    CASE ("metadata_typeid")
      result = "ok int " // itoa(comin_metadata_get_typeid(descr(tok(3), tok(4)), TRIM(tok(5))))
    CASE ("metadata_keys")
      CALL metadata_keys(descr(tok(3), tok(4)), result)
    CASE ("callback_register")
      SELECT CASE (atoi(tok(3)))
      CASE (EP_SECONDARY_CONSTRUCTOR)
        CALL comin_callback_register(atoi(tok(3)), secondary)
      CASE (EP_ATM_TIMELOOP_START)
        CALL comin_callback_register(atoi(tok(3)), loop)
      CASE DEFAULT
        CALL comin_callback_register(atoi(tok(3)), noop)
      END SELECT
    CASE ("callback_get_ep_name")
      CALL comin_callback_get_ep_name(atoi(tok(3)), str)
      result = "ok str " // to_hex(str)
    CASE ("var_get")
      CALL var_get(pid, tok, result)
    CASE ("var_info", "var_read", "var_elem", "var_write")
      CALL var_op(pid, op, tok, result)
    CASE ("var_ptr")
      CALL var_ptr(TRIM(tok(3)), descr(tok(4), tok(5)), result)
    CASE ("var_shape_null")
      CALL var_shape_null(result)
    CASE ("var_descr_list")
      result = "ok descrs"
      it = comin_var_get_descr_list_head()
      DO WHILE (c_associated(it))
        CALL comin_var_get_descr_list_var_desc(it, d)
        result = result // " " // d%name // " " // itoa(d%id)
        it = comin_var_get_descr_list_next(it)
      END DO
    CASE ("current_ep")
      result = "ok int " // itoa(INT(comin_current_get_ep()))
    CASE ("current_domain")
      result = "ok int " // itoa(INT(comin_current_get_domain_id()))
    CASE ("datetime")
      CALL comin_current_get_datetime(str)
      result = "ok str " // to_hex(str)
    CASE ("plugin_info")
      CALL comin_current_get_plugin_info(info)
      result = "ok info " // itoa(info%id) // " " // to_hex(info%name)
    CASE ("version")
      version = comin_setup_get_version()
      result = "ok ints " // itoa(INT(version%version_no_major)) // " " // &
        &      itoa(INT(version%version_no_minor)) // " " // itoa(INT(version%version_no_patch))
    CASE ("descr_global")
      g => comin_descrdata_get_global()
      IF (.NOT. ASSOCIATED(g)) RETURN
      SELECT CASE (TRIM(tok(3)))
      CASE ("n_dom")
        result = "ok int " // itoa(g%n_dom)
      CASE ("nproma")
        result = "ok int " // itoa(g%nproma)
      CASE DEFAULT
        result = "ok bool " // itoa(MERGE(1, 0, LOGICAL(g%has_device)))
      END SELECT
    CASE ("descr_domain")
      dom => comin_descrdata_get_domain(atoi(tok(3)))
      IF (.NOT. ASSOCIATED(dom)) RETURN
      SELECT CASE (TRIM(tok(4)))
      CASE ("nlev")
        result = "ok int " // itoa(dom%nlev)
      CASE ("id")
        result = "ok int " // itoa(dom%id)
      CASE ("ncells")
        result = "ok int " // itoa(dom%cells%ncells)
      CASE DEFAULT
        result = "ok int " // itoa(dom%cells%nblks)
      END SELECT
    CASE ("timestep")
      result = "ok float " // ftoa(REAL(comin_descrdata_get_timesteplength(atoi(tok(3))), dp))
    CASE ("glb2loc")
      result = "ok int " // itoa(comin_descrdata_index_lookup_glb2loc_cell(atoi(tok(3)), atoi(tok(4))))
    CASE ("index")
      result = "ok int " // itoa(INT(comin_descrdata_get_index(atoi(tok(3)))))
    CASE ("block")
      result = "ok int " // itoa(INT(comin_descrdata_get_block(atoi(tok(3)))))
    CASE ("npromz")
      result = "ok int " // itoa(comin_descrdata_get_cell_npromz(atoi(tok(3))))
    CASE DEFAULT
      result = "fail unknown-op"
    END SELECT
  END SUBROUTINE perform_one

  !> The value of key: typed by comin_metadata_get_typeid (t "?"), or through getter t.
  SUBROUTINE metadata_get(d, key, t, result)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: d
    CHARACTER(LEN=*), INTENT(IN) :: key
    CHARACTER, INTENT(IN) :: t
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(INOUT) :: result
    CHARACTER :: kind
    INTEGER :: tid, i
    LOGICAL :: l
    REAL(wp) :: x
    CHARACTER(LEN=:), ALLOCATABLE :: s

    kind = t
    IF (kind == "?") THEN
      tid = comin_metadata_get_typeid(d, key)
      IF (comin_error_get() /= COMIN_SUCCESS) RETURN
      SELECT CASE (tid)
      CASE (COMIN_METADATA_TYPEID_LOGICAL)
        kind = "b"
      CASE (COMIN_METADATA_TYPEID_REAL)
        kind = "f"
      CASE (COMIN_METADATA_TYPEID_CHARACTER)
        kind = "s"
      CASE DEFAULT
        kind = "i"          ! INTEGER, or missing: the integer getter reports the error
      END SELECT
    END IF
    SELECT CASE (kind)
    CASE ("b")
      CALL comin_metadata_get(d, key, l)
      result = "ok bool " // itoa(MERGE(1, 0, l))
    CASE ("f")
      CALL comin_metadata_get(d, key, x)
      result = "ok float " // ftoa(REAL(x, dp))
    CASE ("s")
      CALL comin_metadata_get(d, key, s)
      IF (.NOT. ALLOCATED(s)) s = ""
      result = "ok str " // to_hex(s)
    CASE DEFAULT
      CALL comin_metadata_get(d, key, i)
      result = "ok int " // itoa(i)
    END SELECT
  END SUBROUTINE metadata_get

  !> The keys of a variable, sorted.
  SUBROUTINE metadata_keys(d, result)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: d
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(INOUT) :: result
    TYPE(t_comin_var_metadata_iterator) :: iter
    CHARACTER(LEN=64) :: keys(maxtok), tmp
    INTEGER :: nk, i, j

    CALL comin_metadata_get_iterator(d, iter)
    IF (comin_error_get() /= COMIN_SUCCESS) RETURN
    nk = 0
    DO WHILE (.NOT. iter%is_end() .AND. nk < maxtok)
      nk = nk + 1
      keys(nk) = iter%key()
      CALL iter%next()
    END DO
    CALL iter%delete()
    DO i = 2, nk                      ! insertion sort
      tmp = keys(i)
      j = i - 1
      DO WHILE (j >= 1)
        IF (keys(j) <= tmp) EXIT
        keys(j + 1) = keys(j)
        j = j - 1
      END DO
      keys(j + 1) = tmp
    END DO
    result = "ok keys"
    DO i = 1, nk
      result = result // " " // TRIM(keys(i))
    END DO
  END SUBROUTINE metadata_keys

  SUBROUTINE var_get(pid, tok, result)
    INTEGER, INTENT(IN) :: pid
    CHARACTER(LEN=toklen), INTENT(IN) :: tok(maxtok)
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(INOUT) :: result
    TYPE(t_comin_var_handle) :: h
    TYPE(t_comin_var_descriptor) :: got
    INTEGER :: n, i, flag
    INTEGER, ALLOCATABLE :: ctx(:)

    flag = atoi(tok(5))
    n = atoi(tok(6))
    ALLOCATE(ctx(n))
    DO i = 1, n
      ctx(i) = atoi(tok(6 + i))
    END DO
    CALL comin_var_get(ctx, descr(tok(3), tok(4)), flag, h)
    IF (comin_error_get() /= COMIN_SUCCESS) RETURN
    IF (h%valid()) THEN
      got = h%descriptor()
      CALL keep_handle(pid, TRIM(tok(3)), atoi(tok(4)), flag, h)
      result = "ok var " // got%name // " " // itoa(got%id) // " " // itoa(flag)
    ELSE
      result = "ok nullhandle " // TRIM(tok(3)) // " " // TRIM(tok(4)) // " " // itoa(flag)
    END IF
  END SUBROUTINE var_get

  !> var_info, var_read, var_elem, var_write through the handle of an earlier var_get.
  SUBROUTINE var_op(pid, op, tok, result)
    INTEGER, INTENT(IN) :: pid
    CHARACTER(LEN=*), INTENT(IN) :: op
    CHARACTER(LEN=toklen), INTENT(IN) :: tok(maxtok)
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(INOUT) :: result
    REAL(c_double), POINTER :: pd(:,:,:,:,:), fd(:)
    REAL(c_float), POINTER :: pf(:,:,:,:,:), ff(:)
    INTEGER(c_int), POINTER :: pi(:,:,:,:,:), fi(:)
    INTEGER :: k, n, sh(5), ds(5), datatype, v, i
    REAL(dp) :: x
    TYPE(t_comin_var_handle) :: h

    k = find_handle(pid, TRIM(tok(3)), atoi(tok(4)))
    IF (k == 0) THEN
      result = "fail nohandle"
      RETURN
    END IF
    h = handles(k)%h
    CALL comin_metadata_get(h%descriptor(), "datatype", datatype)
    sh = h%array_shape()
    n = PRODUCT(sh)
    SELECT CASE (datatype)
    CASE (COMIN_VAR_DATATYPE_DOUBLE)
      CALL h%get_ptr(pd)
      CALL c_f_pointer(c_loc(pd(1, 1, 1, 1, 1)), fd, [n])
    CASE (COMIN_VAR_DATATYPE_FLOAT)
      CALL h%get_ptr(pf)
      CALL c_f_pointer(c_loc(pf(1, 1, 1, 1, 1)), ff, [n])
    CASE DEFAULT
      CALL h%get_ptr(pi)
      CALL c_f_pointer(c_loc(pi(1, 1, 1, 1, 1)), fi, [n])
    END SELECT
    SELECT CASE (op)
    CASE ("var_info")
      ds = h%dim_semantics()
      result = "ok ints"
      DO i = 1, 5
        result = result // " " // itoa(sh(i))
      END DO
      DO i = 1, 5
        result = result // " " // itoa(ds(i))
      END DO
      result = result // " " // itoa(h%ncontained()) // " " // itoa(MERGE(1, 0, LOGICAL(h%lcontainer()))) &
        &      // " " // itoa(datatype)
    CASE ("var_read")
      SELECT CASE (datatype)
      CASE (COMIN_VAR_DATATYPE_DOUBLE)
        x = SUM(fd)
      CASE (COMIN_VAR_DATATYPE_FLOAT)
        x = SUM(REAL(ff, dp))
      CASE DEFAULT
        x = SUM(REAL(fi, dp))
      END SELECT
      result = "ok float " // ftoa(x)
    CASE ("var_elem")
      i = atoi(tok(5)) + 1
      IF (i < 1 .OR. i > n) THEN
        result = "fail index"
        RETURN
      END IF
      SELECT CASE (datatype)
      CASE (COMIN_VAR_DATATYPE_DOUBLE)
        x = fd(i)
      CASE (COMIN_VAR_DATATYPE_FLOAT)
        x = REAL(ff(i), dp)
      CASE DEFAULT
        x = REAL(fi(i), dp)
      END SELECT
      result = "ok float " // ftoa(x)
    CASE DEFAULT
      v = atoi(tok(5))
      SELECT CASE (datatype)
      CASE (COMIN_VAR_DATATYPE_DOUBLE)
        fd = fd + v
      CASE (COMIN_VAR_DATATYPE_FLOAT)
        ff = ff + REAL(v, c_float)
      CASE DEFAULT
        fi = fi + v
      END SELECT
    END SELECT
  END SUBROUTINE var_op

  !> The host (or device) memory of a variable as a pointer of one kind: "ok ptr 0|1".
  SUBROUTINE var_ptr(kind, d, result)
    CHARACTER(LEN=*), INTENT(IN) :: kind
    TYPE(t_comin_var_descriptor), INTENT(IN) :: d
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(INOUT) :: result
    TYPE(t_comin_var_handle) :: h
    REAL(c_double), POINTER :: pd(:,:,:,:,:)
    REAL(c_float), POINTER :: pf(:,:,:,:,:)
    INTEGER(c_int), POINTER :: pi(:,:,:,:,:)
    TYPE(c_ptr) :: p
    LOGICAL :: got

    CALL comin_var_get([EP_ATM_TIMELOOP_START], d, COMIN_FLAG_READ, h)
    IF (comin_error_get() /= COMIN_SUCCESS) RETURN
    SELECT CASE (kind)
    CASE ("d")
      CALL h%get_ptr(pd)
      got = ASSOCIATED(pd)
    CASE ("f")
      CALL h%get_ptr(pf)
      got = ASSOCIATED(pf)
    CASE ("i")
      CALL h%get_ptr(pi)
      got = ASSOCIATED(pi)
    CASE DEFAULT
      SELECT CASE (kind)
      CASE ("dd")
        p = h%get_device_ptr(COMIN_VAR_DATATYPE_DOUBLE)
      CASE ("df")
        p = h%get_device_ptr(COMIN_VAR_DATATYPE_FLOAT)
      CASE DEFAULT
        p = h%get_device_ptr(COMIN_VAR_DATATYPE_INT)
      END SELECT
      got = c_associated(p)
    END SELECT
    result = "ok ptr " // itoa(MERGE(1, 0, got))
  END SUBROUTINE var_ptr

  SUBROUTINE var_shape_null(result)
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(INOUT) :: result
    TYPE(t_comin_var_handle) :: nothing
    INTEGER :: sh(5)
    sh = nothing%array_shape()
    result = "ok shape " // itoa(SUM(sh))
  END SUBROUTINE var_shape_null

  SUBROUTINE enter()
    TYPE(t_comin_plugin_info) :: info
    CALL comin_current_get_plugin_info(info)
    CALL emit("P " // itoa(info%id) // " enter " // itoa(INT(comin_current_get_ep())))
  END SUBROUTINE enter

  RECURSIVE SUBROUTINE secondary() BIND(C, name="")
    CALL enter()
    CALL perform("secondary")
  END SUBROUTINE secondary

  RECURSIVE SUBROUTINE loop() BIND(C, name="")
    CALL enter()
    CALL perform("loop")
  END SUBROUTINE loop

  SUBROUTINE noop() BIND(C, name="")
    CALL enter()
  END SUBROUTINE noop

  SUBROUTINE comin_main() BIND(C, name="comin_main")
    TYPE(t_comin_plugin_info) :: info
    INTEGER :: i
    CALL comin_current_get_plugin_info(info)
    DO i = 1, nhandles                ! a new session: forget this plugin id's old handles
      IF (handles(i)%pid == info%id) handles(i)%pid = 0
    END DO
    CALL comin_error_set_errors_return(.TRUE.)
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary)
    CALL comin_callback_register(EP_ATM_TIMELOOP_START, loop)
    CALL perform("primary")
  END SUBROUTINE comin_main

END MODULE conformance_f_driver
