! Index mapping through ComIn's Fortran API, for conformance/test_indices.py: the
! operations and results of conformance/index_driver/index_driver.c, with Fortran's
! conventions (handle%ncontained() is 1-based, 0 = not contained).
MODULE index_driver
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: comin_main
  CHARACTER(LEN=1024), SAVE :: infile, outfile
CONTAINS

  SUBROUTINE run(secondary)
    LOGICAL, INTENT(IN) :: secondary
    CHARACTER(LEN=512) :: line
    CHARACTER(LEN=32) :: op
    CHARACTER(LEN=8) :: g
    CHARACTER(LEN=80) :: name
    INTEGER :: a, b, c, d, e, is, ie, n, ios, uin, uout
    TYPE(t_comin_var_handle) :: h
    TYPE(t_comin_var_descriptor) :: dsc
    OPEN(NEWUNIT=uin, FILE=TRIM(infile), STATUS="old", ACTION="read")
    OPEN(NEWUNIT=uout, FILE=TRIM(outfile), POSITION="append", ACTION="write")
    DO
      READ(uin, '(A)', IOSTAT=ios) line
      IF (ios /= 0) EXIT
      IF (LEN_TRIM(line) == 0) CYCLE
      READ(line, *) op
      IF ((TRIM(op) == "ncontained") .NEQV. secondary) CYCLE
      SELECT CASE (TRIM(op))
      CASE ("index")
        READ(line, *) op, a
        WRITE(uout, '(I0,1X,I0)') comin_descrdata_get_index(a), comin_descrdata_get_block(a)
      CASE ("indices")
        READ(line, *) op, g, a, b, c, d, e
        is = -99
        ie = -99
        SELECT CASE (g(1:1))
        CASE ("c")
          CALL comin_descrdata_get_cell_indices(1, a, b, c, is, ie, d, e)
        CASE ("e")
          CALL comin_descrdata_get_edge_indices(1, a, b, c, is, ie, d, e)
        CASE DEFAULT
          CALL comin_descrdata_get_vert_indices(1, a, b, c, is, ie, d, e)
        END SELECT
        WRITE(uout, '(I0,1X,I0)') is, ie
      CASE ("npromz")
        READ(line, *) op, g, a
        SELECT CASE (g(1:1))
        CASE ("c")
          n = comin_descrdata_get_cell_npromz(a)
        CASE ("e")
          n = comin_descrdata_get_edge_npromz(a)
        CASE DEFAULT
          n = comin_descrdata_get_vert_npromz(a)
        END SELECT
        WRITE(uout, '(I0)') n
      CASE ("glb2loc")
        READ(line, *) op, a, b
        WRITE(uout, '(I0)') comin_descrdata_index_lookup_glb2loc_cell(a, b)
      CASE ("ncontained")
        READ(line, *) op, name, a
        dsc%name = TRIM(name)              ! (not the structure constructor: a gfortran 12 bug)
        dsc%id = a
        CALL comin_var_get([EP_ATM_TIMELOOP_START], dsc, COMIN_FLAG_READ, h)
        WRITE(uout, '(I0)') h%ncontained()
      CASE DEFAULT
        WRITE(uout, '(2A)') "bad line: ", TRIM(line)
      END SELECT
    END DO
    CLOSE(uin)
    CLOSE(uout)
  END SUBROUTINE run

  SUBROUTINE secondary_constructor() BIND(C)
    CALL run(.TRUE.)
  END SUBROUTINE secondary_constructor

  SUBROUTINE comin_main() BIND(C, name="comin_main")
    TYPE(t_comin_plugin_info) :: info
    INTEGER :: blank
    CALL comin_current_get_plugin_info(info)
    ! not a list-directed READ: a "/" in a path would end it
    blank = INDEX(TRIM(ADJUSTL(info%options)), " ")
    IF (blank == 0) CALL comin_plugin_finish("index_driver", "options: INFILE OUTFILE")
    infile = ADJUSTL(info%options)
    outfile = ADJUSTL(infile(blank + 1:))
    infile = infile(1:blank - 1)
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary_constructor)
    CALL run(.FALSE.)
  END SUBROUTINE comin_main
END MODULE index_driver
