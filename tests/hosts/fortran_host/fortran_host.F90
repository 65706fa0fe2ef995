! A scale Fortran host modelled on how ICON uses ComIn (the Fortran twin of
! tests/hosts/c_host/c_host.c; both print the same lines): two domains with a small
! grid, a few fields (3-D temperature, 2-D surface pressure, a tracer container with
! two tracers), descriptive data through ComIn's derived types, the plugins' requests
! allocated and exposed, a time loop with entry points per domain.
!
!   fortran_host [--steps N] PLUGIN...     PLUGIN = "name[@comm];library;options"
!
! Built with -DCOMIN_HOST_MPI it initialises MPI, hands MPI_COMM_WORLD to comin
! (comin_parallel_mpi_handshake) and prints on rank 0 only; each rank holds the same
! small grid.  It uses comin_host_api (comin's host module with its additions, e.g.
! comin_request_get_list_size and wp); icon_host.F90 is the host in ComIn's own form.
MODULE host_fields
  USE, INTRINSIC :: iso_c_binding, ONLY: c_loc, c_null_ptr, c_ptr, c_f_pointer
  USE, INTRINSIC :: iso_fortran_env, ONLY: output_unit
  USE comin_host_api
  IMPLICIT NONE

  INTEGER, PARAMETER :: nproma = 4, nlev = 3, ndom = 2
  INTEGER, PARAMETER :: ncells(ndom) = [10, 6]

  TYPE :: t_domain
    INTEGER :: jg, nblks
    REAL(wp), ALLOCATABLE :: temp(:,:,:), pres_sfc(:,:), tracers(:,:,:,:,:)
  END TYPE t_domain

  TYPE :: t_extra
    TYPE(t_comin_var_descriptor) :: d
    INTEGER :: zaxis, type_id
    REAL(wp), ALLOCATABLE :: field(:,:,:)
  END TYPE t_extra

  !> what ComIn's POINTER components of the descriptive data point at
  TYPE :: t_grid
    CHARACTER(LEN=16) :: grid_filename
    INTEGER :: id, nlev, n_childdom, ncells, nblks
    INTEGER, ALLOCATABLE :: glb_index(:)
  END TYPE t_grid

  TYPE(t_domain), TARGET, SAVE :: dom(ndom)
  TYPE(t_grid), TARGET, SAVE :: grid(ndom)
  TYPE(t_extra), ALLOCATABLE, TARGET, SAVE :: extra(:)
  LOGICAL, SAVE :: printing = .TRUE.

CONTAINS

  SUBROUTINE out(text)
    CHARACTER(LEN=*), INTENT(IN) :: text
    IF (.NOT. printing) RETURN
    WRITE (output_unit, '(A)') text
    FLUSH(output_unit)
  END SUBROUTINE out

  FUNCTION i0(i) RESULT(s)
    INTEGER, INTENT(IN) :: i
    CHARACTER(LEN=16) :: buf
    CHARACTER(LEN=:), ALLOCATABLE :: s
    WRITE (buf, '(I0)') i
    s = TRIM(buf)
  END FUNCTION i0

  FUNCTION f1(x) RESULT(s)
    REAL(wp), INTENT(IN) :: x
    CHARACTER(LEN=32) :: buf
    CHARACTER(LEN=:), ALLOCATABLE :: s
    WRITE (buf, '(F0.1)') x
    s = TRIM(ADJUSTL(buf))
    IF (s(1:1) == '.') s = '0' // s
  END FUNCTION f1

  SUBROUTINE errhandler(routine, text)
    CHARACTER(LEN=*), INTENT(IN) :: routine
    CHARACTER(LEN=*), INTENT(IN), OPTIONAL :: text
    IF (.NOT. PRESENT(text)) ERROR STOP "comin passes text"
    CALL out("host: finish called by " // routine // ": " // text)
    CALL comin_callback_context_call(EP_FINISH, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
    ERROR STOP 3
  END SUBROUTINE errhandler

  FUNCTION glb2loc(jg, global_idx) RESULT(loc)
    INTEGER, INTENT(IN) :: jg, global_idx
    INTEGER :: loc
    loc = -1
    IF (global_idx >= 1 .AND. global_idx <= ncells(jg)) loc = global_idx
  END FUNCTION glb2loc

  SUBROUTINE set_descrdata()
    TYPE(t_comin_descrdata_global) :: g
    TYPE(t_comin_descrdata_domain), ALLOCATABLE :: d(:)
    TYPE(t_comin_descrdata_simulation_interval) :: si
    INTEGER :: jg, nc, nb, i
    g%n_dom = ndom
    g%max_dom = ndom
    g%nproma = nproma
    g%wp = 8
    g%lrestartrun = .FALSE.
    g%host_revision = "c-host-1"
    ALLOCATE(g%vct_a(nlev + 1))
    g%vct_a = [30000.0_wp, 20000.0_wp, 10000.0_wp, 0.0_wp]
    CALL comin_descrdata_set_global(g)
    ALLOCATE(d(ndom))
    DO jg = 1, ndom
      nc = ncells(jg)
      nb = (nc + nproma - 1) / nproma
      grid(jg)%grid_filename = "grid_dom" // i0(jg) // ".nc"
      grid(jg)%id = jg
      grid(jg)%nlev = nlev
      grid(jg)%n_childdom = MERGE(1, 0, jg < ndom)
      grid(jg)%ncells = nc
      grid(jg)%nblks = nb
      grid(jg)%glb_index = [(i, i = 1, nc)]
      d(jg)%grid_filename => grid(jg)%grid_filename
      d(jg)%id => grid(jg)%id
      d(jg)%nlev => grid(jg)%nlev
      d(jg)%n_childdom => grid(jg)%n_childdom
      d(jg)%dom_start = 0.0_wp
      d(jg)%dom_end = 3600.0_wp
      d(jg)%cells%ncells => grid(jg)%ncells
      d(jg)%cells%ncells_global => grid(jg)%ncells
      d(jg)%cells%nblks => grid(jg)%nblks
      d(jg)%cells%glb_index => grid(jg)%glb_index
      ALLOCATE(d(jg)%cells%clon(nproma, nb))
      d(jg)%cells%clon = RESHAPE([(0.25_wp * i - jg, i = 0, nproma * nb - 1)], [nproma, nb])
    END DO
    CALL comin_descrdata_set_domain(d)
    DO jg = 1, ndom
      CALL comin_descrdata_set_timesteplength(jg, 60.0_wp / jg)
    END DO
    si%exp_start = "2026-01-01T00:00:00"
    si%exp_stop = "2026-01-01T01:00:00"
    si%run_start = "2026-01-01T00:00:00"
    si%run_stop = "2026-01-01T00:03:00"
    CALL comin_descrdata_set_simulation_interval(si)
    CALL comin_descrdata_set_fct_glb2loc_cell(glb2loc)
  END SUBROUTINE set_descrdata

  SUBROUTINE expose_host_fields(D)
    TYPE(t_domain), TARGET, INTENT(INOUT) :: D
    TYPE(t_comin_var_handle) :: h
    TYPE(t_comin_var_descriptor) :: descr
    INTEGER :: k, ds3d(5), ds2d(5), dscont(5)
    CHARACTER(LEN=2), PARAMETER :: names(2) = ["qv", "qc"]
    ds3d = [COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_LEVEL, COMIN_DIM_SEMANTICS_BLOCK, &
      &     COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED]
    ds2d = [COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_UNUSED, &
      &     COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED]
    dscont = [COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_LEVEL, COMIN_DIM_SEMANTICS_BLOCK, &
      &       COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_CONTAINER]
    descr = t_comin_var_descriptor("temp", D%jg)
    CALL comin_var_list_append(descr, c_loc(D%temp), c_null_ptr, [nproma, nlev, D%nblks, 1, 1], &
      &                        COMIN_VAR_DATATYPE_DOUBLE, ds3d, .FALSE., 0, h)
    CALL comin_metadata_set(descr, "units", "K")
    CALL comin_metadata_set(descr, "zaxis_id", COMIN_ZAXIS_3D)
    descr = t_comin_var_descriptor("pres_sfc", D%jg)
    CALL comin_var_list_append(descr, c_loc(D%pres_sfc), c_null_ptr, [nproma, D%nblks, 1, 1, 1], &
      &                        COMIN_VAR_DATATYPE_DOUBLE, ds2d, .FALSE., 0, h)
    CALL comin_metadata_set(descr, "units", "Pa")
    CALL comin_metadata_set(descr, "zaxis_id", COMIN_ZAXIS_2D)
    descr = t_comin_var_descriptor("container", D%jg)
    CALL comin_var_list_append(descr, c_loc(D%tracers), c_null_ptr, [nproma, nlev, D%nblks, 1, 2], &
      &                        COMIN_VAR_DATATYPE_DOUBLE, dscont, .TRUE., 2, h)
    DO k = 1, 2
      descr = t_comin_var_descriptor(names(k), D%jg)
      CALL comin_var_list_append(descr, c_loc(D%tracers(1, 1, 1, 1, k)), c_null_ptr, &
        &                        [nproma, nlev, D%nblks, 1, 1], COMIN_VAR_DATATYPE_DOUBLE, dscont, &
        &                        .FALSE., k, h)
      CALL comin_metadata_set(descr, "tracer", .TRUE.)
    END DO
  END SUBROUTINE expose_host_fields

  !> ICON allocates what the plugins requested and exposes it with the request's metadata,
  !! walking ComIn 0.3's request list as ICON's mo_comin_adapter does.
  SUBROUTINE expose_requests()
    INTEGER :: i, n, nb, tracer_i
    LOGICAL :: tracer
    CHARACTER(LEN=:), ALLOCATABLE :: units
    TYPE(t_comin_var_handle) :: h
    TYPE(t_comin_request_item), POINTER :: item
    TYPE(c_ptr) :: list, it, cptr
    INTEGER :: ds(5)
    n = comin_request_get_list_size()
    CALL out("host: " // i0(n) // " requests")
    ALLOCATE(extra(n))
    list = comin_request_get_list()
    CALL comin_ftnlist_iterator_begin(list, it)
    i = 0
    DO WHILE (.NOT. comin_ftnlist_is_end(list, it))
      CALL comin_ftnlist_iterator_value(it, cptr)
      CALL c_f_pointer(cptr, item)
      i = i + 1
      extra(i)%d = item%descriptor
      CALL comin_metadata_get_or(item%metadata, "zaxis_id", extra(i)%zaxis, COMIN_ZAXIS_3D)
      CALL comin_metadata_get_or(item%metadata, "datatype", extra(i)%type_id, COMIN_VAR_DATATYPE_DOUBLE)
      CALL comin_metadata_get_or(item%metadata, "tracer", tracer, .FALSE.)
      CALL comin_metadata_get_or(item%metadata, "units", units, "1")
      IF (extra(i)%type_id /= COMIN_VAR_DATATYPE_DOUBLE) ERROR STOP "this host allocates double fields only"
      nb = dom(extra(i)%d%id)%nblks
      tracer_i = MERGE(1, 0, tracer)
      CALL out("host: request " // i0(i) // " (" // extra(i)%d%name // ", " // i0(extra(i)%d%id) // ") by " // &
        &      i0(SIZE(item%moduleID)) // " plugin(s) first " // i0(item%moduleID(1)) // ", zaxis " // &
        &      i0(extra(i)%zaxis) // ", datatype " // i0(extra(i)%type_id) // ", tracer " // i0(tracer_i) // &
        &      ", units " // units)
      IF (extra(i)%zaxis == COMIN_ZAXIS_2D) THEN
        ALLOCATE(extra(i)%field(nproma, nb, 1))
        ds = [COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_UNUSED, &
          &   COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED]
      ELSE
        ALLOCATE(extra(i)%field(nproma, nlev, nb))
        ds = [COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_LEVEL, COMIN_DIM_SEMANTICS_BLOCK, &
          &   COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED]
      END IF
      extra(i)%field = 0.0_wp
      CALL comin_var_list_append(extra(i)%d, c_loc(extra(i)%field), c_null_ptr, &
        &                        [SHAPE(extra(i)%field), 1, 1], extra(i)%type_id, ds, .FALSE., 0, h)
      CALL comin_metadata_set(extra(i)%d, "units", "1")
      CALL comin_metadata_set(extra(i)%d, "zaxis_id", extra(i)%zaxis)
      CALL comin_ftnlist_iterator_next(it)
    END DO
    CALL comin_ftnlist_iterator_delete(it)
    IF (i /= n) ERROR STOP "the request list and comin_request_get_list_size disagree"
  END SUBROUTINE expose_requests

  SUBROUTINE report(when)
    CHARACTER(LEN=*), INTENT(IN) :: when
    INTEGER :: j, i
    DO j = 1, ndom
      CALL out("host: " // when // " dom " // i0(dom(j)%jg) // " temp " // f1(SUM(dom(j)%temp)) // &
        &      " pres_sfc " // f1(SUM(dom(j)%pres_sfc)) // " qv " // f1(SUM(dom(j)%tracers(:,:,:,:,1))) // &
        &      " qc " // f1(SUM(dom(j)%tracers(:,:,:,:,2))))
    END DO
    DO i = 1, SIZE(extra)
      CALL out("host: " // when // " " // extra(i)%d%name // "(" // i0(extra(i)%d%id) // ") " // &
        &      f1(SUM(extra(i)%field)))
    END DO
  END SUBROUTINE report

END MODULE host_fields


PROGRAM fortran_host
  USE host_fields
#ifdef COMIN_HOST_MPI
  USE mpi
#endif
  IMPLICIT NONE
  INTEGER :: steps, a, np, i, j, step, p1, p2, n3, k, at
  CHARACTER(LEN=1024) :: arg
  CHARACTER(LEN=19) :: dt
  TYPE(t_comin_plugin_description), ALLOCATABLE :: plugins(:)
#ifdef COMIN_HOST_MPI
  INTEGER :: ierr, rank

  CALL MPI_Init(ierr)
  CALL MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  printing = rank == 0
#endif

  steps = 2
  a = 1
  IF (COMMAND_ARGUMENT_COUNT() >= 2) THEN
    CALL GET_COMMAND_ARGUMENT(1, arg)
    IF (TRIM(arg) == "--steps") THEN
      CALL GET_COMMAND_ARGUMENT(2, arg)
      READ (arg, *) steps
      a = 3
    END IF
  END IF
  np = COMMAND_ARGUMENT_COUNT() - a + 1
  ALLOCATE(plugins(np))
  DO i = 1, np
    CALL GET_COMMAND_ARGUMENT(a + i - 1, arg)
    p1 = INDEX(arg, ";")
    p2 = p1 + INDEX(arg(p1 + 1:), ";")
    plugins(i)%name = arg(1:p1 - 1)
    at = INDEX(arg(1:p1 - 1), "@")
    IF (at > 0) THEN
      plugins(i)%name = arg(1:at - 1)
      plugins(i)%comm = arg(at + 1:p1 - 1)
    END IF
    plugins(i)%plugin_library = arg(p1 + 1:p2 - 1)
    plugins(i)%options = arg(p2 + 1:)
  END DO

  DO j = 1, ndom
    dom(j)%jg = j
    dom(j)%nblks = (ncells(j) + nproma - 1) / nproma
    ALLOCATE(dom(j)%temp(nproma, nlev, dom(j)%nblks), dom(j)%pres_sfc(nproma, dom(j)%nblks), &
      &      dom(j)%tracers(nproma, nlev, dom(j)%nblks, 1, 2))
    n3 = nproma * nlev * dom(j)%nblks
    dom(j)%temp = RESHAPE([(200.0_wp + 10.0_wp * j + MOD(k, 7), k = 0, n3 - 1)], SHAPE(dom(j)%temp))
    dom(j)%tracers(:,:,:,1,1) = RESHAPE([(REAL(MOD(k, 3), wp), k = 0, n3 - 1)], SHAPE(dom(j)%temp))
    dom(j)%tracers(:,:,:,1,2) = 0.0_wp
    dom(j)%pres_sfc = RESHAPE([(100000.0_wp + k, k = 0, nproma * dom(j)%nblks - 1)], SHAPE(dom(j)%pres_sfc))
  END DO

  CALL comin_setup_init(printing)
  CALL comin_setup_errhandler(errhandler)
  CALL comin_setup_check("fortran_host", wp)
  CALL set_descrdata()
#ifdef COMIN_HOST_MPI
  ! as ComIn's hosts do: the group names are the plugins' comm names
  CALL comin_parallel_mpi_handshake(MPI_COMM_WORLD, plugins(:)%comm, "atmo")
#endif
  CALL comin_current_set_datetime("2026-01-01T00:00:00")
  CALL comin_plugin_primaryconstructor(plugins)
  DO j = 1, ndom
    CALL expose_host_fields(dom(j))
  END DO
  CALL expose_requests()
  CALL comin_callback_context_call(EP_SECONDARY_CONSTRUCTOR, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  CALL comin_callback_context_call(EP_ATM_INIT_FINALIZE, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  CALL report("init")
  CALL comin_callback_context_call(EP_ATM_TIMELOOP_BEFORE, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  DO step = 1, steps
    WRITE (dt, '(A,I2.2,A)') "2026-01-01T00:", step, ":00"
    CALL comin_current_set_datetime(dt)
    CALL comin_callback_context_call(EP_ATM_TIMELOOP_START, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
    DO j = 1, ndom
      CALL comin_callback_context_call(EP_ATM_INTEGRATE_START, dom(j)%jg, .FALSE.)
      dom(j)%temp = dom(j)%temp + 1.0_wp
      CALL comin_callback_context_call(EP_ATM_PHYSICS_BEFORE, dom(j)%jg, .FALSE.)
      CALL comin_callback_context_call(EP_ATM_PHYSICS_AFTER, dom(j)%jg, .FALSE.)
      CALL comin_callback_context_call(EP_ATM_INTEGRATE_END, dom(j)%jg, .FALSE.)
    END DO
    CALL comin_callback_context_call(EP_ATM_WRITE_OUTPUT_BEFORE, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
    CALL report(dt)
    CALL comin_callback_context_call(EP_ATM_TIMELOOP_END, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  END DO
  CALL comin_callback_context_call(EP_ATM_TIMELOOP_AFTER, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  CALL comin_callback_context_call(EP_DESTRUCTOR, COMIN_DOMAIN_OUTSIDE_LOOP, .FALSE.)
  CALL comin_var_list_finalize()
  CALL comin_var_request_list_finalize()
  CALL comin_var_descr_list_finalize()
  CALL comin_descrdata_finalize()
  CALL comin_setup_finalize()
  CALL out("host: done")
#ifdef COMIN_HOST_MPI
  CALL MPI_Finalize(ierr)
#endif
END PROGRAM fortran_host
