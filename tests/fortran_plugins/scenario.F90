! The equivalence scenario as a Fortran plugin (tests/c_plugins/scenario.c and
! scenario.py are the same in C and Python): requests + metadata, callbacks, var_get
! with read/write, host memory through get_ptr, descriptive data (the derived types of
! comin_descrdata_get_global/_domain/_simulation_interval), the variable and metadata
! iterators, index helpers, current state.
! Every line it shares with the Python scenario is printed with comin_print_info in
! the same format; lines only this plugin prints start with "fortran ".
MODULE scenario_plugin
  USE, INTRINSIC :: iso_c_binding, ONLY: c_double, c_float, c_int, c_ptr, c_associated
  USE comin_plugin_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: comin_main

  TYPE(t_comin_var_handle), SAVE :: h_temp, h_eq, h_pres, h_cont, h_qv
  INTEGER, SAVE :: step = 0

CONTAINS

  ! -- formatting like C's printf ----------------------------------------------------------

  !> %d
  FUNCTION d(i) RESULT(s)
    INTEGER, INTENT(IN) :: i
    CHARACTER(LEN=:), ALLOCATABLE :: s
    CHARACTER(LEN=32) :: buf
    WRITE(buf, '(I0)') i
    s = TRIM(buf)
  END FUNCTION d

  !> %.<nd>f
  FUNCTION f(x, nd) RESULT(s)
    REAL(wp), INTENT(IN) :: x
    INTEGER, INTENT(IN) :: nd
    CHARACTER(LEN=:), ALLOCATABLE :: s
    CHARACTER(LEN=64) :: buf, fmt
    WRITE(fmt, '(A,I0,A)') '(F0.', nd, ')'
    WRITE(buf, fmt) x
    s = TRIM(ADJUSTL(buf))
    ! a leading zero as in C ("0.500", "-0.500")
    IF (s(1:1) == '.') s = '0' // s
    IF (LEN(s) > 1) THEN
      IF (s(1:2) == '-.') s = '-0' // s(2:)
    END IF
  END FUNCTION f

  !> %.6e
  FUNCTION e6(x) RESULT(s)
    REAL(wp), INTENT(IN) :: x
    CHARACTER(LEN=:), ALLOCATABLE :: s
    CHARACTER(LEN=64) :: buf
    INTEGER :: k
    WRITE(buf, '(ES20.6E2)') x
    s = TRIM(ADJUSTL(buf))
    k = INDEX(s, 'E')
    IF (k > 0) s(k:k) = 'e'
  END FUNCTION e6

  ! -- callbacks ----------------------------------------------------------------------------

  SUBROUTINE secondary() BIND(C, name="")
    TYPE(t_comin_var_descriptor) :: temp, eq, pres, unknown, got
    TYPE(t_comin_var_handle) :: h_unknown
    TYPE(t_comin_var_metadata_iterator) :: mit
    TYPE(t_comin_plugin_info) :: info
    TYPE(c_ptr) :: it
    INTEGER :: sh(5), ds(5), zaxis, nc, code, n, found
    REAL(wp) :: scale
    LOGICAL :: flagged
    CHARACTER(LEN=:), ALLOCATABLE :: units
    REAL(c_float), POINTER :: tsp(:,:,:,:,:)
    INTEGER(c_int), POINTER :: tint(:,:,:,:,:)

    temp = t_comin_var_descriptor("temp", 1)
    eq = t_comin_var_descriptor("eqvar", 1)
    pres = t_comin_var_descriptor("pres", 1)
    CALL comin_var_get([EP_ATM_TIMELOOP_START], temp, COMIN_FLAG_READ, h_temp)
    CALL comin_var_get([EP_ATM_TIMELOOP_END, EP_ATM_TIMELOOP_START], eq, &
      &                IOR(COMIN_FLAG_READ, COMIN_FLAG_WRITE), h_eq)
    CALL comin_var_get([EP_ATM_TIMELOOP_START], pres, IOR(COMIN_FLAG_READ, COMIN_FLAG_SYNC_HALO), &
      &                h_pres)
    sh = h_temp%array_shape()
    ds = h_temp%dim_semantics()
    ! ncontained() is Fortran's (C + 1); the shared line prints C's value
    nc = h_temp%ncontained() - 1
    CALL comin_print_info("temp shape " // d(sh(1)) // " " // d(sh(2)) // " " // d(sh(3)) // &
      &                   " " // d(sh(4)) // " " // d(sh(5)))
    CALL comin_print_info("temp dim_semantics " // d(ds(1)) // " " // d(ds(2)) // " " // &
      &                   d(ds(3)) // " " // d(ds(4)) // " " // d(ds(5)) // " ncontained " // d(nc))
    got = h_eq%descriptor()
    CALL comin_print_info("eqvar descriptor " // got%name // " " // d(got%id))
    CALL comin_metadata_get(eq, "zaxis_id", zaxis)
    CALL comin_metadata_get(eq, "scale", scale)
    CALL comin_metadata_get(eq, "flagged", flagged)
    CALL comin_metadata_get(eq, "units", units)
    CALL comin_print_info("eqvar metadata zaxis_id=" // d(zaxis) // " scale=" // f(scale, 4) // &
      &                   " flagged=" // d(MERGE(1, 0, flagged)) // " units=" // units)
    CALL comin_print_info("eqvar typeids " // d(comin_metadata_get_typeid(eq, "zaxis_id")) // &
      &                   " " // d(comin_metadata_get_typeid(eq, "scale")) // &
      &                   " " // d(comin_metadata_get_typeid(eq, "units")) // &
      &                   " " // d(comin_metadata_get_typeid(eq, "flagged")) // &
      &                   " " // d(comin_metadata_get_typeid(eq, "nokey")))
    ! the list of exposed variables, then an iterator deleted before its end
    n = 0
    found = 0
    it = comin_var_get_descr_list_head()
    DO WHILE (c_associated(it))
      CALL comin_var_get_descr_list_var_desc(it, got)
      n = n + 1
      IF (got%name == "eqvar" .AND. got%id == 1) found = 1
      it = comin_var_get_descr_list_next(it)
    END DO
    CALL comin_print_info("exposed variables " // d(n) // " eqvar listed " // d(found))
    it = comin_var_get_descr_list_head()
    CALL comin_var_descr_list_iterator_delete(it)
    CALL comin_print_info("iterator deleted " // d(MERGE(1, 0, .NOT. c_associated(it))))
    n = 0
    found = 0
    CALL comin_metadata_get_iterator(eq, mit)
    DO WHILE (.NOT. mit%is_end())
      IF (mit%key() == "units") found = 1
      n = n + 1
      CALL mit%next()
    END DO
    CALL mit%delete()
    CALL comin_print_info("eqvar keys " // d(n) // " units listed " // d(found))

    CALL comin_print_info("fortran valid " // d(MERGE(1, 0, h_temp%valid())) // " " // &
      &                   d(MERGE(1, 0, h_eq%valid())) // " " // d(MERGE(1, 0, h_pres%valid())))

    ! the error path: an unknown variable with errors_return on
    CALL comin_error_set_errors_return(.TRUE.)
    unknown = t_comin_var_descriptor("no_such_variable", 1)
    CALL comin_var_get([EP_ATM_TIMELOOP_START], unknown, COMIN_FLAG_READ, h_unknown)
    code = comin_error_get()
    CALL comin_print_info("fortran unknown variable error " // d(code) // " valid " // &
      &                   d(MERGE(1, 0, h_unknown%valid())) // " expected " // &
      &                   d(COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND))
    CALL comin_error_reset()
    CALL comin_print_info("fortran after reset " // d(comin_error_get()))
    ! temp holds doubles: the REAL(c_float) and INTEGER(c_int) pointers are not associated
    CALL h_temp%get_ptr(tsp)
    code = comin_error_get()
    CALL comin_error_reset()
    CALL h_temp%get_ptr(tint)
    CALL comin_print_info("fortran wrong type " // d(MERGE(1, 0, ASSOCIATED(tsp))) // " " // &
      &                   d(code) // " " // d(MERGE(1, 0, ASSOCIATED(tint))) // " " // &
      &                   d(comin_error_get()))
    CALL comin_error_reset()
    CALL comin_current_get_plugin_info(info)
    CALL comin_print_info("fortran errors_return now " // d(MERGE(1, 0, info%errors_return)))
    CALL comin_error_set_errors_return(.FALSE.)

    ! containers: lcontainer(), ncontained() and to_3d
    CALL comin_var_get([EP_ATM_TIMELOOP_START], t_comin_var_descriptor("container", 1), &
      &                COMIN_FLAG_READ, h_cont)
    CALL comin_var_get([EP_ATM_TIMELOOP_START], t_comin_var_descriptor("qv", 1), &
      &                COMIN_FLAG_READ, h_qv)
    CALL comin_print_info("fortran containers " // d(MERGE(1, 0, h_temp%lcontainer())) // " " // &
      &                   d(MERGE(1, 0, h_cont%lcontainer())) // " " // d(h_qv%ncontained()) // &
      &                   " " // d(MERGE(1, 0, h_qv%lcontainer())))
  END SUBROUTINE secondary

  SUBROUTINE timeloop_start() BIND(C, name="")
    CHARACTER(LEN=:), ALLOCATABLE :: dt
    REAL(c_double), POINTER :: t(:,:,:,:,:), eq(:,:,:,:,:), q(:,:,:,:,:), t3(:,:,:), q3(:,:,:)

    CALL comin_current_get_datetime(dt)
    CALL h_temp%get_ptr(t)
    CALL comin_print_info("start " // dt // " ep " // d(comin_current_get_ep()) // " temp " // &
      &                   e6(t(1,1,1,1,1)) // " " // e6(t(3,2,4,1,1)))
    CALL h_eq%get_ptr(eq)
    CALL comin_print_info("start eqvar " // f(flat_element(eq, 5), 3))
    CALL h_temp%to_3d(t3)
    CALL h_qv%to_3d(q3)
    CALL h_qv%get_ptr(q)
    CALL comin_print_info("fortran to_3d " // d(SIZE(t3, 1)) // " " // d(SIZE(t3, 2)) // " " // &
      &                   d(SIZE(t3, 3)) // " same " // &
      &                   d(MERGE(1, 0, t3(3, 2, 4) == t(3, 2, 4, 1, 1))) // " qv " // &
      &                   d(SIZE(q3, 1)) // " " // d(SIZE(q3, 2)) // " " // d(SIZE(q3, 3)) // &
      &                   " same " // d(MERGE(1, 0, q3(3, 2, 4) == q(3, 2, 4, 1, 1))))
  END SUBROUTINE timeloop_start

  !> Element i (0-based, Fortran order) of a 5-D array.
  FUNCTION flat_element(a, i) RESULT(x)
    REAL(c_double), INTENT(IN) :: a(:,:,:,:,:)
    INTEGER, INTENT(IN) :: i
    REAL(wp) :: x
    REAL(c_double) :: flat(SIZE(a))
    flat = RESHAPE(a, [SIZE(a)])
    x = flat(i + 1)
  END FUNCTION flat_element

  SUBROUTINE physics() BIND(C, name="")
    CALL comin_print_info("physics domain " // d(comin_current_get_domain_id()) // " ep " // &
      &                   d(comin_current_get_ep()))
  END SUBROUTINE physics

  SUBROUTINE timeloop_end() BIND(C, name="")
    REAL(c_double), POINTER :: eq(:,:,:,:,:)
    INTEGER :: i, j1, j2, j3, j4, j5

    step = step + 1
    CALL h_eq%get_ptr(eq)
    i = 0
    DO j5 = 1, SIZE(eq, 5)
      DO j4 = 1, SIZE(eq, 4)
        DO j3 = 1, SIZE(eq, 3)
          DO j2 = 1, SIZE(eq, 2)
            DO j1 = 1, SIZE(eq, 1)
              eq(j1, j2, j3, j4, j5) = REAL(step, c_double) * 10.0_c_double + REAL(MOD(i, 7), c_double)
              i = i + 1
            END DO
          END DO
        END DO
      END DO
    END DO
    CALL comin_print_info("end step " // d(step) // " wrote " // d(i) // " values")
  END SUBROUTINE timeloop_end

  ! -- primary constructor ------------------------------------------------------------------

  SUBROUTINE comin_main() BIND(C, name="comin_main")
    TYPE(t_comin_plugin_info) :: info
    TYPE(t_comin_var_descriptor) :: eq
    TYPE(t_comin_setup_version_info) :: version
    TYPE(t_comin_descrdata_global), POINTER :: g
    TYPE(t_comin_descrdata_domain), POINTER :: dom
    TYPE(t_comin_descrdata_simulation_interval), POINTER :: iv
    CHARACTER(LEN=:), ALLOCATABLE :: ep_name
    INTEGER :: nblks, jb, cs, ce, es, ee, vs, ve, nvct, nglb

    CALL comin_current_get_plugin_info(info)
    CALL comin_print_info("plugin id " // d(info%id) // " options '" // info%options // "'")
    eq = t_comin_var_descriptor("eqvar", -1)
    CALL comin_var_request_add(eq, .FALSE.)
    CALL comin_metadata_set(eq, "zaxis_id", COMIN_ZAXIS_2D)
    CALL comin_metadata_set(eq, "scale", 2.5_wp)
    CALL comin_metadata_set(eq, "flagged", .TRUE.)
    CALL comin_metadata_set(eq, "units", "kg m-2")
    CALL comin_callback_register(EP_SECONDARY_CONSTRUCTOR, secondary)
    CALL comin_callback_register(EP_ATM_TIMELOOP_START, timeloop_start)
    CALL comin_callback_register(EP_ATM_TIMELOOP_END, timeloop_end)
    CALL comin_callback_register(EP_ATM_PHYSICS_BEFORE, physics)

    g => comin_descrdata_get_global()
    nvct = SIZE(g%vct_a)
    CALL comin_print_info("global n_dom " // d(g%n_dom) // " nproma " // d(g%nproma) // &
      &                   " vct_a " // d(nvct) // " " // f(g%vct_a(1), 3) // " " // &
      &                   f(g%vct_a(nvct), 3) // " lrestart " // d(MERGE(1, 0, g%lrestartrun)))
    CALL comin_print_info("host_revision '" // g%host_revision // "'")
    dom => comin_descrdata_get_domain(1)
    CALL comin_print_info("domain nlev " // d(dom%nlev) // " ncells " // d(dom%cells%ncells) // &
      &                   " nblks " // d(dom%cells%nblks))
    CALL comin_print_info("clon " // d(SIZE(dom%cells%clon, 1)) // " " // &
      &                   d(SIZE(dom%cells%clon, 2)) // " " // f(dom%cells%clon(1, 1), 6) // &
      &                   " " // f(dom%cells%clon(2, 2), 6))
    ! start_index has the lower bound min_rlcell: level 0 is start_index(0)
    CALL comin_print_info("start_index " // d(SIZE(dom%cells%start_index)) // " first " // &
      &                   d(dom%cells%start_index(g%min_rlcell)) // " interior " // &
      &                   d(dom%cells%start_index(0)))
    nglb = SIZE(dom%cells%glb_index)
    CALL comin_print_info("glb_index " // d(nglb) // " " // d(dom%cells%glb_index(1)) // " " // &
      &                   d(dom%cells%glb_index(nglb)))
    CALL comin_print_info("grid '" // dom%grid_filename // "' id " // d(dom%id) // &
      &                   " n_childdom " // d(dom%n_childdom) // " nshift " // d(dom%nshift) // &
      &                   " uuid " // d(SIZE(dom%grid_uuid)) // " " // d(INT(dom%grid_uuid(1))) // &
      &                   " used " // d(SIZE(dom%number_of_grid_used)) // " " // &
      &                   d(dom%number_of_grid_used(1)))
    CALL comin_print_info("edges " // d(dom%edges%nedges) // " " // d(dom%edges%nblks) // &
      &                   " elat " // f(dom%edges%elat(2, 1), 6) // " verts " // &
      &                   d(dom%verts%nverts) // " " // d(dom%verts%nblks) // " vlon " // &
      &                   f(dom%verts%vlon(1, 2), 6))
    CALL comin_print_info("vertex_idx " // d(SIZE(dom%cells%vertex_idx, 1)) // " " // &
      &                   d(SIZE(dom%cells%vertex_idx, 2)) // " " // &
      &                   d(SIZE(dom%cells%vertex_idx, 3)) // " value " // &
      &                   d(dom%cells%vertex_idx(2, 1, 3)) // " hhl " // &
      &                   d(SIZE(dom%cells%hhl, 2)) // " " // f(dom%cells%hhl(1, 1, 1), 3))
    CALL comin_print_info("edges start_index " // d(SIZE(dom%edges%start_index)) // &
      &                   " interior " // d(dom%edges%start_index(0)) // " verts end_block " // &
      &                   d(dom%verts%end_block(0)))
    CALL comin_print_info("timestep " // f(comin_descrdata_get_timesteplength(1), 3))
    iv => comin_descrdata_get_simulation_interval()
    CALL comin_print_info("exp_start " // TRIM(iv%exp_start))
    CALL comin_print_info("run_stop " // TRIM(iv%run_stop))
    CALL comin_print_info("exp_stop " // TRIM(iv%exp_stop))
    CALL comin_print_info("run_start " // TRIM(iv%run_start))
    CALL comin_print_info("plugin name " // info%name)
    CALL comin_print_info("host rank " // d(comin_parallel_get_host_mpi_rank()) // " comm " // &
      &                   d(MERGE(1, 0, comin_parallel_get_host_mpi_comm() /= -1)))
    CALL comin_print_debug("not printed: log_debug is off")
    CALL comin_print_warning("a warning")
    CALL comin_print_info("index " // d(comin_descrdata_get_index(17)) // " " // &
      &                   d(comin_descrdata_get_index(-17)) // " block " // &
      &                   d(comin_descrdata_get_block(17)) // " " // d(comin_descrdata_get_block(1)))
    nblks = dom%cells%nblks
    jb = 1
    DO WHILE (jb <= nblks)
      CALL comin_descrdata_get_cell_indices(1, jb, 1, nblks, cs, ce, g%min_rlcell_int, &
        &                                   g%min_rlcell_int)
      CALL comin_descrdata_get_edge_indices(1, jb, 1, nblks, es, ee, 1, 1)
      CALL comin_descrdata_get_vert_indices(1, jb, 1, nblks, vs, ve, 0, 0)
      CALL comin_print_info("indices block " // d(jb) // " cells " // d(cs) // " " // d(ce) // &
        &                   " edges " // d(es) // " " // d(ee) // " verts " // d(vs) // " " // d(ve))
      jb = jb + MERGE(nblks - 1, 1, nblks > 2)
    END DO
    CALL comin_print_info("npromz " // d(comin_descrdata_get_cell_npromz(1)) // " " // &
      &                   d(comin_descrdata_get_edge_npromz(1)) // " " // &
      &                   d(comin_descrdata_get_vert_npromz(1)))
    CALL comin_print_info("glb2loc " // &
      &                   d(comin_descrdata_index_lookup_glb2loc_cell(1, dom%cells%glb_index(3))))
    CALL comin_callback_get_ep_name(EP_ATM_TIMELOOP_END, ep_name)
    CALL comin_print_info("ep name " // ep_name)
    version = comin_setup_get_version()
    CALL comin_print_info("fortran version " // d(version%version_no_major) // "." // &
      &                   d(version%version_no_minor) // "." // d(version%version_no_patch))
    CALL comin_print_info("fortran info errors_return " // d(MERGE(1, 0, info%errors_return)) // &
      &                   " log " // d(MERGE(1, 0, info%log_debug)) // " " // &
      &                   d(MERGE(1, 0, info%log_info)) // " " // d(MERGE(1, 0, info%log_warning)))
  END SUBROUTINE comin_main

END MODULE scenario_plugin
