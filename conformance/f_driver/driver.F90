! The Fortran driver of the conformance suite: one Fortran plugin that interprets a
! scenario through the Fortran API (module comin_plugin_interface).  It reads and writes
! exactly what the C driver (conformance/c_driver/driver.c) does, so
! comin.testing.scenarios runs both the same way; see driver.c for the format:
!
!   PHASE var_request_add NAME JG EXCL(0|1)
!   PHASE metadata_set NAME JG KEY T VALUE   T: b (0|1), i (int), f (C99 hex float), s (x<hex>)
!   PHASE metadata_get NAME JG KEY
!   PHASE callback_register EP
!   PHASE callback_get_ep_name EP
!   PHASE var_get NAME JG FLAG N EP1 .. EPN
!   PHASE var_ptr T NAME JG      T: d, f, i (get_ptr of that kind), dd, df, di (get_device_ptr)
!   PHASE var_shape_null         array_shape() of a handle that refers to nothing
!
! Every callback re-reads the options (the ops file) of the current plugin; the driver
! keeps no state of its own (one library serves every plugin of a scenario).
MODULE conformance_f_driver
  USE, INTRINSIC :: iso_c_binding, ONLY: c_double, c_float, c_int, c_int64_t, c_ptr, &
    &                                    c_associated
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: comin_main

  INTEGER, PARAMETER :: maxtok = 64, toklen = 1024, linelen = 8192

CONTAINS

  FUNCTION itoa(i) RESULT(s)
    INTEGER, INTENT(IN) :: i
    CHARACTER(LEN=:), ALLOCATABLE :: s
    CHARACTER(LEN=32) :: buf
    WRITE(buf, '(I0)') i
    s = TRIM(buf)
  END FUNCTION itoa

  INTEGER FUNCTION atoi(s)
    CHARACTER(LEN=*), INTENT(IN) :: s
    READ(s, *) atoi
  END FUNCTION atoi

  !> "x" followed by the bytes of s in hex.
  FUNCTION to_hex(s) RESULT(h)
    CHARACTER(LEN=*), INTENT(IN) :: s
    CHARACTER(LEN=:), ALLOCATABLE :: h
    CHARACTER(LEN=2) :: b
    INTEGER :: i
    h = "x"
    DO i = 1, LEN(s)
      WRITE(b, '(Z2.2)') ICHAR(s(i:i))
      h = h // b
    END DO
  END FUNCTION to_hex

  INTEGER FUNCTION hexdigit(c)
    CHARACTER, INTENT(IN) :: c
    hexdigit = INDEX("0123456789abcdef", c) - 1
    IF (hexdigit < 0) hexdigit = INDEX("0123456789ABCDEF", c) - 1
  END FUNCTION hexdigit

  !> "x<hex bytes>" decoded.
  FUNCTION from_hex(h) RESULT(s)
    CHARACTER(LEN=*), INTENT(IN) :: h
    CHARACTER(LEN=:), ALLOCATABLE :: s
    INTEGER :: i
    s = ""
    DO i = 2, LEN_TRIM(h) - 1, 2
      s = s // ACHAR(16 * hexdigit(h(i:i)) + hexdigit(h(i + 1:i + 1)))
    END DO
  END FUNCTION from_hex

  !> A C99 hexadecimal float ([-]0x<h>.<hhh>p<e>, Python's float.hex()), exactly.
  REAL(c_double) FUNCTION hexfloat(s)
    CHARACTER(LEN=*), INTENT(IN) :: s
    INTEGER :: i, k, p, e, nfrac
    INTEGER(c_int64_t) :: m
    LOGICAL :: negative, frac

    negative = s(1:1) == "-"
    i = MERGE(4, 3, negative)             ! after "0x"
    p = INDEX(s, "p")
    m = 0
    nfrac = 0
    frac = .FALSE.
    DO k = i, p - 1
      IF (s(k:k) == ".") THEN
        frac = .TRUE.
        CYCLE
      END IF
      m = m * 16 + hexdigit(s(k:k))
      IF (frac) nfrac = nfrac + 1
    END DO
    READ(s(p + 1:LEN_TRIM(s)), *) e
    hexfloat = SCALE(REAL(m, c_double), e - 4 * nfrac)
    IF (negative) hexfloat = -hexfloat
  END FUNCTION hexfloat

  !> Enough digits to read back the same double.
  FUNCTION ftoa(x) RESULT(s)
    REAL(c_double), INTENT(IN) :: x
    CHARACTER(LEN=:), ALLOCATABLE :: s
    CHARACTER(LEN=40) :: buf
    WRITE(buf, '(ES26.17E3)') x
    s = TRIM(ADJUSTL(buf))
  END FUNCTION ftoa

  SUBROUTINE split(line, tok, nt)
    CHARACTER(LEN=*), INTENT(IN) :: line
    CHARACTER(LEN=toklen), INTENT(OUT) :: tok(maxtok)
    INTEGER, INTENT(OUT) :: nt
    INTEGER :: i, start
    nt = 0
    i = 1
    DO WHILE (i <= LEN_TRIM(line) .AND. nt < maxtok)
      IF (line(i:i) == " ") THEN
        i = i + 1
        CYCLE
      END IF
      start = i
      DO WHILE (i <= LEN_TRIM(line))
        IF (line(i:i) == " ") EXIT
        i = i + 1
      END DO
      nt = nt + 1
      tok(nt) = line(start:i - 1)
    END DO
  END SUBROUTINE split

  SUBROUTINE perform(phase)
    CHARACTER(LEN=*), INTENT(IN) :: phase
    TYPE(t_comin_plugin_info) :: info
    CHARACTER(LEN=linelen) :: line
    CHARACTER(LEN=toklen) :: tok(maxtok)
    CHARACTER(LEN=:), ALLOCATABLE :: result, op, str
    INTEGER :: uin, uout, ios, nt, code

    CALL comin_current_get_plugin_info(info)
    OPEN(NEWUNIT=uin, FILE=info%options, STATUS="old", ACTION="read", IOSTAT=ios)
    IF (ios /= 0) THEN
      CALL comin_plugin_finish("conformance driver", "cannot open the scenario file")
      RETURN
    END IF
    OPEN(NEWUNIT=uout, FILE=info%options // ".out", POSITION="append", ACTION="write", &
      &  STATUS="unknown")
    DO
      READ(uin, '(A)', IOSTAT=ios) line
      IF (ios /= 0) EXIT
      CALL split(line, tok, nt)
      IF (nt < 2) CYCLE
      IF (TRIM(tok(1)) /= phase) CYCLE
      op = TRIM(tok(2))
      result = "ok none"
      CALL comin_error_reset()
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
      CASE ("metadata_get")
        CALL metadata_get(descr(tok(3), tok(4)), TRIM(tok(5)), result)
      CASE ("callback_register")
        SELECT CASE (atoi(tok(3)))
        CASE (EP_SECONDARY_CONSTRUCTOR)
          CALL comin_callback_register(atoi(tok(3)), secondary)
        CASE (EP_ATM_TIMELOOP_START)
          CALL comin_callback_register(atoi(tok(3)), timeloop)
        CASE DEFAULT
          CALL comin_callback_register(atoi(tok(3)), noop)
        END SELECT
      CASE ("callback_get_ep_name")
        CALL comin_callback_get_ep_name(atoi(tok(3)), str)
        result = "ok str " // to_hex(str)
      CASE ("var_get")
        CALL var_get(tok, result)
      CASE ("var_ptr")
        CALL var_ptr(TRIM(tok(3)), descr(tok(4), tok(5)), result)
      CASE ("var_shape_null")
        CALL var_shape_null(result)
      CASE DEFAULT
        result = "ok unknown-op"
      END SELECT
      code = comin_error_get()
      IF (code /= COMIN_SUCCESS) THEN
        WRITE(uout, '(A)') phase // " " // op // " err " // itoa(code)
      ELSE
        WRITE(uout, '(A)') phase // " " // op // " " // result
      END IF
      CALL comin_error_reset()
    END DO
    CLOSE(uin)
    CLOSE(uout)
  END SUBROUTINE perform

  FUNCTION descr(name, jg) RESULT(d)
    CHARACTER(LEN=*), INTENT(IN) :: name, jg
    TYPE(t_comin_var_descriptor) :: d
    ! component by component: gfortran (12) mis-sets the length of a deferred-length
    ! component in a structure constructor from a non-constant string at -O1
    d%name = TRIM(name)
    d%id = atoi(jg)
  END FUNCTION descr

  SUBROUTINE metadata_get(d, key, result)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: d
    CHARACTER(LEN=*), INTENT(IN) :: key
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(INOUT) :: result
    INTEGER :: tid, i
    LOGICAL :: l
    REAL(wp) :: x
    CHARACTER(LEN=:), ALLOCATABLE :: s

    tid = comin_metadata_get_typeid(d, key)
    IF (comin_error_get() /= COMIN_SUCCESS) RETURN
    SELECT CASE (tid)
    CASE (COMIN_METADATA_TYPEID_LOGICAL)
      CALL comin_metadata_get(d, key, l)
      result = "ok bool " // itoa(MERGE(1, 0, l))
    CASE (COMIN_METADATA_TYPEID_REAL)
      CALL comin_metadata_get(d, key, x)
      result = "ok float " // ftoa(x)
    CASE (COMIN_METADATA_TYPEID_CHARACTER)
      CALL comin_metadata_get(d, key, s)
      result = "ok str " // to_hex(s)
    CASE DEFAULT
      ! INTEGER, or UNDEFINED (no such key): the integer getter reports the error
      CALL comin_metadata_get(d, key, i)
      IF (tid == COMIN_METADATA_TYPEID_INTEGER) THEN
        result = "ok int " // itoa(i)
      ELSE
        result = "ok undefined " // itoa(i)
      END IF
    END SELECT
  END SUBROUTINE metadata_get

  SUBROUTINE var_get(tok, result)
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
      result = "ok var " // got%name // " " // itoa(got%id) // " " // itoa(flag)
    ELSE
      result = "ok nullhandle " // TRIM(tok(3)) // " " // TRIM(tok(4)) // " " // itoa(flag)
    END IF
  END SUBROUTINE var_get

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

  RECURSIVE SUBROUTINE secondary() BIND(C, name="")
    CALL perform("secondary")
  END SUBROUTINE secondary

  RECURSIVE SUBROUTINE timeloop() BIND(C, name="")
    CALL perform("timeloop")
  END SUBROUTINE timeloop

  SUBROUTINE noop() BIND(C, name="")
  END SUBROUTINE noop

  SUBROUTINE comin_main() BIND(C, name="comin_main")
    CALL comin_error_set_errors_return(.TRUE.)
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary)
    CALL comin_callback_register(EP_ATM_TIMELOOP_START, timeloop)
    CALL perform("primary")
  END SUBROUTINE comin_main

END MODULE conformance_f_driver
