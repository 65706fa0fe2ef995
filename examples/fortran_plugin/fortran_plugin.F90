!> A Fortran plugin for comin (ComIn 0.3's Fortran API, module comin_plugin_interface).
!!
!! It requests a 2-D variable "t2m_celsius", reads the host's temperature "temp" every
!! time step, writes its lowest level in degrees Celsius into the requested field (host
!! memory through Fortran pointers, no copy), loops over the cells as ICON does
!! (start_block/end_block of the descriptive data, comin_descrdata_get_cell_indices) and
!! prints the warmest cell with its latitude and longitude (clat/clon of the grid).
!!
!! Build (see CMakeLists.txt):
!!   cmake -S examples/fortran_plugin -B build -Dcomin_DIR=$(python -c 'import comin; print(comin.get_cmake_dir())')
!!   cmake --build build
!! or:  gfortran -shared -fPIC $(comin-config --fflags) fortran_plugin.F90 $(comin-config --flibs) \
!!        -o libfortran_plugin.so
!! Run:  comin run --steps 3 "build/libfortran_plugin.so"
MODULE fortran_plugin
  USE, INTRINSIC :: iso_c_binding, ONLY: c_double
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: comin_main

  TYPE(t_comin_var_handle), SAVE :: temp, t2m
  REAL(c_double), PARAMETER :: rad2deg = 57.29577951308232_c_double

CONTAINS

  SUBROUTINE secondary_constructor() BIND(C, name="")
    CALL comin_var_get([EP_ATM_TIMELOOP_END], t_comin_var_descriptor("temp", 1), &
      &                COMIN_FLAG_READ, temp)
    CALL comin_var_get([EP_ATM_TIMELOOP_END], t_comin_var_descriptor("t2m_celsius", 1), &
      &                COMIN_FLAG_WRITE, t2m)
  END SUBROUTINE secondary_constructor

  SUBROUTINE timeloop_end() BIND(C, name="")
    TYPE(t_comin_descrdata_global), POINTER :: g
    TYPE(t_comin_descrdata_domain), POINTER :: dom
    REAL(c_double), POINTER :: t(:,:,:), out(:,:,:)
    CHARACTER(LEN=:), ALLOCATABLE :: now
    CHARACTER(LEN=160) :: line
    INTEGER :: jb, jc, is, ie, i_startblk, i_endblk, nlev, wc, wb
    REAL(c_double) :: warmest

    g => comin_descrdata_get_global()
    dom => comin_descrdata_get_domain(1)
    CALL temp%to_3d(t)          ! (nproma, nlev, nblks)
    CALL t2m%to_3d(out)         ! (nproma, nblks, 1)
    nlev = SIZE(t, 2)
    ! every cell, halos included: refin_ctrl levels 1 .. min_rlcell
    i_startblk = dom%cells%start_block(1)
    i_endblk = dom%cells%end_block(g%min_rlcell)
    warmest = -HUGE(warmest)
    wc = 1
    wb = 1
    DO jb = i_startblk, i_endblk
      CALL comin_descrdata_get_cell_indices(1, jb, i_startblk, i_endblk, is, ie, 1, g%min_rlcell)
      DO jc = is, ie
        out(jc, jb, 1) = t(jc, nlev, jb) - 273.15_c_double
        IF (out(jc, jb, 1) > warmest) THEN
          warmest = out(jc, jb, 1)
          wc = jc
          wb = jb
        END IF
      END DO
    END DO
    CALL comin_current_get_datetime(now)
    WRITE(line, '(A,A,I0,A,F0.2,A,F0.2,A,F0.2)') now, " warmest cell ", &
      &  (wb - 1) * g%nproma + wc, ": ", warmest, " C at lat ", &
      &  dom%cells%clat(wc, wb) * rad2deg, " lon ", dom%cells%clon(wc, wb) * rad2deg
    CALL comin_print_info(TRIM(line))
  END SUBROUTINE timeloop_end

  SUBROUTINE comin_main() BIND(C, name="comin_main")
    TYPE(t_comin_var_descriptor) :: t2m_d
    TYPE(t_comin_descrdata_global), POINTER :: g
    TYPE(t_comin_descrdata_domain), POINTER :: dom
    CHARACTER(LEN=80) :: line

    t2m_d = t_comin_var_descriptor("t2m_celsius", -1)
    CALL comin_var_request_add(t2m_d, .FALSE.)
    CALL comin_metadata_set(t2m_d, "zaxis_id", COMIN_ZAXIS_2D)
    CALL comin_metadata_set(t2m_d, "units", "degC")
    g => comin_descrdata_get_global()
    dom => comin_descrdata_get_domain(1)
    WRITE(line, '(A,I0,A,I0)') "domain 1: ", dom%cells%ncells, " cells, nproma ", g%nproma
    CALL comin_print_info(TRIM(line))
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary_constructor)
    CALL comin_callback_register(EP_ATM_TIMELOOP_END, timeloop_end)
  END SUBROUTINE comin_main

END MODULE fortran_plugin
