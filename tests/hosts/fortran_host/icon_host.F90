! A Fortran host written the way ICON's ComIn adapter is (src/comin/mo_comin_adapter.f90 of
! ICON, src/drivers/mo_atmo_model.f90), against comin_host_interface in ComIn 0.3's form:
!   * USE comin_host_interface without ONLY, beside the host's own wp (ComIn exports none);
!   * the MPI handshake of ComIn and YAC first (mpi_handshake on MPI_COMM_WORLD, the groups
!     "atmo" and "comin"; a second one where the last rank only takes part,
!     mpi_handshake_dummy, as ICON's I/O processes do), then
!     comin_parallel_mpi_handshake(comm=, group_names=plugin_list%comm, component_name=);
!   * keyword arguments with ComIn's dummy names everywhere;
!   * descriptive data as ICON hands it over: POINTER components pointer-assigned into the
!     host's patch (=>), ALLOCATABLE ones assigned (clon, clat, hhl, number_of_grid_used,
!     vct_a); the host changes its patch after comin_descrdata_set_domain and the plugins
!     see the POINTER components change and the ALLOCATABLE ones stay as handed over;
!   * the plugins' requests walked with comin_request_get_list/comin_ftnlist_*, read with
!     comin_metadata_get_or(metadata=item%metadata, ...), and every key of a request's
!     metadata copied onto the exposed variable by iterating over its keys
!     (item%metadata%get_iterator/query/get), before the host sets its own keys;
!   * the list of exposed variables walked as a TYPE(c_ptr) (comin_var_get_descr_list_*);
!   * a time-level swap with comin_var_set_cptr, halo and device syncs registered.
!
!   icon_host [--steps N] PLUGIN...     PLUGIN = "name[@comm];library;options[;constructor]"
!
! Compiled with -std=f2008 -Wall -Werror (tests/hosts/fortran_host/CMakeLists.txt).  Every
! rank holds the same small grid; the host prints on rank 0 only.
MODULE icon_kinds
  USE, INTRINSIC :: iso_c_binding, ONLY: c_double
  IMPLICIT NONE
  PUBLIC
  !> the host's working precision (a host's own wp must not clash with comin's names)
  INTEGER, PARAMETER :: wp = c_double
  INTEGER, PARAMETER :: nproma = 4, nlev = 3, n_dom = 2
  INTEGER, PARAMETER :: min_rlcell = -4, min_rlcell_int = -1, max_rlcell = 3
  INTEGER, PARAMETER :: ncells(n_dom) = [10, 6]
END MODULE icon_kinds


!> ICON's patch, reduced: what the adapter points ComIn's descriptive data at.
MODULE icon_patches
  USE icon_kinds
  IMPLICIT NONE
  PUBLIC

  TYPE :: t_decomp_info
    INTEGER, ALLOCATABLE :: glb_index(:), decomp_domain(:,:)
  END TYPE t_decomp_info

  TYPE :: t_patch_cells
    INTEGER :: max_connectivity = 3
    INTEGER, ALLOCATABLE :: num_edges(:,:), refin_ctrl(:,:)
    INTEGER, ALLOCATABLE :: start_index(:), end_index(:), start_block(:), end_block(:)
    REAL(wp), ALLOCATABLE :: area(:,:), center_lon(:,:), center_lat(:,:)
    TYPE(t_decomp_info) :: decomp_info
  END TYPE t_patch_cells

  TYPE :: t_patch
    CHARACTER(LEN=64) :: grid_filename = ""
    INTEGER :: id = 0, n_childdom = 0, nlev = 0, nshift = 0, nshift_total = 0
    INTEGER :: n_patch_cells = 0, n_patch_cells_g = 0, nblks_c = 0
    TYPE(t_patch_cells) :: cells
  END TYPE t_patch

  TYPE :: t_prog
    REAL(wp), ALLOCATABLE :: temp(:,:,:,:)          ! (nproma, nlev, nblks, time level)
    REAL(wp), ALLOCATABLE :: z_ifc(:,:,:)
  END TYPE t_prog

  TYPE :: t_comin_field
    CHARACTER(LEN=64) :: name = ""
    INTEGER :: jg = 0, zaxis = 0
    REAL(wp), ALLOCATABLE :: field(:,:,:)
  END TYPE t_comin_field

  TYPE(t_patch), ALLOCATABLE, TARGET, SAVE :: p_patch(:)
  TYPE(t_prog), ALLOCATABLE, TARGET, SAVE :: p_prog(:)
  TYPE(t_comin_field), ALLOCATABLE, TARGET, SAVE :: comin_fields(:)
  REAL(wp), ALLOCATABLE, SAVE :: vct_a(:)
  LOGICAL, SAVE :: printing = .TRUE.
  INTEGER, SAVE :: nnow = 1

CONTAINS

  SUBROUTINE out(text)
    USE, INTRINSIC :: iso_fortran_env, ONLY: output_unit
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
    IF (s(1:2) == '-.') s = '-0' // s(2:)
  END FUNCTION f1

  !> The host's grid: every rank holds the same cells.
  SUBROUTINE construct_patches()
    INTEGER :: jg, nc, nb, i
    ALLOCATE(p_patch(n_dom), p_prog(n_dom), vct_a(nlev + 1))
    vct_a = [30000.0_wp, 20000.0_wp, 10000.0_wp, 0.0_wp]
    DO jg = 1, n_dom
      nc = ncells(jg)
      nb = (nc + nproma - 1) / nproma
      p_patch(jg)%grid_filename = "icon_grid_dom" // i0(jg) // ".nc"
      p_patch(jg)%id = jg
      p_patch(jg)%n_childdom = MERGE(1, 0, jg < n_dom)
      p_patch(jg)%nlev = nlev
      p_patch(jg)%nshift = jg - 1
      p_patch(jg)%nshift_total = jg - 1
      p_patch(jg)%n_patch_cells = nc
      p_patch(jg)%n_patch_cells_g = nc
      p_patch(jg)%nblks_c = nb
      ALLOCATE(p_patch(jg)%cells%start_index(min_rlcell:max_rlcell), &
        &      p_patch(jg)%cells%end_index(min_rlcell:max_rlcell), &
        &      p_patch(jg)%cells%start_block(min_rlcell:max_rlcell), &
        &      p_patch(jg)%cells%end_block(min_rlcell:max_rlcell))
      p_patch(jg)%cells%start_index = 1
      p_patch(jg)%cells%end_index = MOD(nc - 1, nproma) + 1
      p_patch(jg)%cells%start_block = [(i - min_rlcell + 1, i = min_rlcell, max_rlcell)]
      p_patch(jg)%cells%end_block = nb
      ALLOCATE(p_patch(jg)%cells%num_edges(nproma, nb), p_patch(jg)%cells%refin_ctrl(nproma, nb))
      p_patch(jg)%cells%num_edges = 3
      p_patch(jg)%cells%refin_ctrl = 0
      ALLOCATE(p_patch(jg)%cells%area(nproma, nb), p_patch(jg)%cells%center_lon(nproma, nb), &
        &      p_patch(jg)%cells%center_lat(nproma, nb))
      p_patch(jg)%cells%area = RESHAPE([(REAL(i, wp), i = 1, nproma * nb)], [nproma, nb])
      p_patch(jg)%cells%center_lon = RESHAPE([(0.5_wp * i - jg, i = 0, nproma * nb - 1)], [nproma, nb])
      p_patch(jg)%cells%center_lat = 0.25_wp * jg
      ALLOCATE(p_patch(jg)%cells%decomp_info%glb_index(nc), &
        &      p_patch(jg)%cells%decomp_info%decomp_domain(nproma, nb))
      p_patch(jg)%cells%decomp_info%glb_index = [(i, i = 1, nc)]
      p_patch(jg)%cells%decomp_info%decomp_domain = 0
      ALLOCATE(p_prog(jg)%temp(nproma, nlev, nb, 2), p_prog(jg)%z_ifc(nproma, nlev + 1, nb))
      p_prog(jg)%temp(:,:,:,1) = RESHAPE([(200.0_wp + MOD(i, 5), i = 1, nproma * nlev * nb)], &
        &                                [nproma, nlev, nb])
      p_prog(jg)%temp(:,:,:,2) = 0.0_wp
      DO i = 1, nlev + 1
        p_prog(jg)%z_ifc(:, i, :) = vct_a(i) / 1000.0_wp
      END DO
    END DO
  END SUBROUTINE construct_patches

END MODULE icon_patches


!> The adapter: everything ComIn sees of the host goes through here.
MODULE icon_comin_adapter
  USE, INTRINSIC :: iso_c_binding, ONLY: c_ptr, c_loc, c_null_ptr, c_f_pointer, c_associated
  USE icon_kinds
  USE icon_patches
  USE comin_host_interface
  IMPLICIT NONE
  PRIVATE
  PUBLIC :: icon_expose_descrdata_global, icon_expose_descrdata_domain, icon_expose_state
  PUBLIC :: icon_append_comin_variables, icon_expose_variables, icon_call_callback
  PUBLIC :: icon_update_expose_variables, icon_list_exposed, finish

  TYPE(t_comin_var_handle), SAVE :: temp_handles(n_dom)

CONTAINS

  !> ICON's finish: EP_FINISH, then stop (text is OPTIONAL in ICON and in ComIn).
  SUBROUTINE finish(routine, text)
    CHARACTER(LEN=*), INTENT(IN) :: routine
    CHARACTER(LEN=*), INTENT(IN), OPTIONAL :: text
    IF (PRESENT(text)) THEN
      CALL out("host: finish " // routine // ": " // text)
    ELSE
      CALL out("host: finish " // routine)
    END IF
    CALL comin_callback_context_call(entry_point_id=EP_FINISH, domain_id=COMIN_DOMAIN_OUTSIDE_LOOP, &
      &                              lacc=.FALSE.)
    ERROR STOP 3
  END SUBROUTINE finish

  FUNCTION glb2loc_index(jg, glb) RESULT(loc)
    INTEGER, INTENT(IN) :: jg, glb
    INTEGER :: loc
    loc = -1
    IF (glb >= 1 .AND. glb <= p_patch(jg)%n_patch_cells_g) loc = glb
  END FUNCTION glb2loc_index

  SUBROUTINE icon_halo_sync(var_ptr, halo_sync_mode)
    TYPE(t_comin_var_handle), INTENT(IN) :: var_ptr
    INTEGER, INTENT(IN) :: halo_sync_mode
    TYPE(t_comin_var_descriptor) :: d
    d = var_ptr%descriptor()
    CALL out("host: halo sync " // d%name // "(" // i0(d%id) // ") mode " // i0(halo_sync_mode))
  END SUBROUTINE icon_halo_sync

  SUBROUTINE icon_sync_variable(var_ptr, direction)
    TYPE(t_comin_var_handle), INTENT(IN) :: var_ptr
    LOGICAL, INTENT(IN) :: direction
    IF (var_ptr%valid() .AND. direction) CALL out("host: device sync")
  END SUBROUTINE icon_sync_variable

  SUBROUTINE icon_expose_descrdata_global()
    TYPE(t_comin_descrdata_global) :: comin_global
    comin_global%n_dom = n_dom
    comin_global%max_dom = n_dom
    comin_global%nproma = nproma
    comin_global%wp = 8
    comin_global%min_rlcell_int = min_rlcell_int
    comin_global%min_rlcell = min_rlcell
    comin_global%max_rlcell = max_rlcell
    comin_global%lrestartrun = .FALSE.
    ALLOCATE(comin_global%vct_a(SIZE(vct_a)))
    comin_global%vct_a = vct_a
    comin_global%yac_instance_id = -1
    comin_global%host_git_remote_url = "https://example.org/icon-like.git"
    comin_global%host_git_branch = "main"
    comin_global%host_git_tag = "none"
    comin_global%host_revision = "icon-like-1"
    comin_global%has_device = .FALSE.
    CALL comin_descrdata_set_global(comin_global_info=comin_global)
  END SUBROUTINE icon_expose_descrdata_global

  !> POINTER components point into p_patch (=>); ALLOCATABLE ones are assigned.
  SUBROUTINE icon_expose_descrdata_domain()
    TYPE(t_comin_descrdata_domain) :: comin_domain(n_dom)
    INTEGER :: jg
    DO jg = 1, n_dom
      comin_domain(jg)%grid_filename => p_patch(jg)%grid_filename
      comin_domain(jg)%number_of_grid_used = [jg]
      comin_domain(jg)%id => p_patch(jg)%id
      comin_domain(jg)%n_childdom => p_patch(jg)%n_childdom
      comin_domain(jg)%dom_start = 0.0_wp
      comin_domain(jg)%dom_end = 3600.0_wp
      comin_domain(jg)%nlev => p_patch(jg)%nlev
      comin_domain(jg)%nshift => p_patch(jg)%nshift
      comin_domain(jg)%nshift_total => p_patch(jg)%nshift_total
      comin_domain(jg)%cells%ncells => p_patch(jg)%n_patch_cells
      comin_domain(jg)%cells%ncells_global => p_patch(jg)%n_patch_cells_g
      comin_domain(jg)%cells%nblks => p_patch(jg)%nblks_c
      comin_domain(jg)%cells%max_connectivity => p_patch(jg)%cells%max_connectivity
      comin_domain(jg)%cells%num_edges => p_patch(jg)%cells%num_edges
      comin_domain(jg)%cells%refin_ctrl => p_patch(jg)%cells%refin_ctrl
      comin_domain(jg)%cells%start_index => p_patch(jg)%cells%start_index
      comin_domain(jg)%cells%end_index => p_patch(jg)%cells%end_index
      comin_domain(jg)%cells%start_block => p_patch(jg)%cells%start_block
      comin_domain(jg)%cells%end_block => p_patch(jg)%cells%end_block
      comin_domain(jg)%cells%area => p_patch(jg)%cells%area
      comin_domain(jg)%cells%glb_index => p_patch(jg)%cells%decomp_info%glb_index
      comin_domain(jg)%cells%decomp_domain => p_patch(jg)%cells%decomp_info%decomp_domain
      ! no pointer access to lon and lat (ICON: their structure is changed)
      comin_domain(jg)%cells%clon = p_patch(jg)%cells%center_lon
      comin_domain(jg)%cells%clat = p_patch(jg)%cells%center_lat
      ALLOCATE(comin_domain(jg)%cells%hhl(nproma, nlev + 1, p_patch(jg)%nblks_c))
      comin_domain(jg)%cells%hhl = p_prog(jg)%z_ifc
    END DO
    CALL comin_descrdata_set_domain(comin_domain_info=comin_domain)
    CALL comin_descrdata_set_fct_glb2loc_cell(fct=glb2loc_index)
  END SUBROUTINE icon_expose_descrdata_domain

  SUBROUTINE icon_expose_state(dtime)
    REAL(wp), INTENT(IN) :: dtime
    TYPE(t_comin_descrdata_simulation_interval) :: comin_time
    comin_time%exp_start = "2026-01-01T00:00:00.000"
    comin_time%exp_stop = "2026-01-01T01:00:00.000"
    comin_time%run_start = "2026-01-01T00:00:00.000"
    comin_time%run_stop = "2026-01-01T00:03:00.000"
    CALL comin_descrdata_set_simulation_interval(comin_time_info=comin_time)
    CALL comin_current_set_datetime(sim_time_current=comin_time%exp_start)
    CALL icon_expose_timesteplength_domain(1, dtime)
  END SUBROUTINE icon_expose_state

  !> The time step of a domain, its children get half of it (as ICON).
  RECURSIVE SUBROUTINE icon_expose_timesteplength_domain(jg, dt)
    INTEGER, INTENT(IN) :: jg
    REAL(wp), INTENT(IN) :: dt
    CALL comin_descrdata_set_timesteplength(jg=jg, dt_current=dt)
    IF (jg < n_dom) CALL icon_expose_timesteplength_domain(jg + 1, dt / 2.0_wp)
  END SUBROUTINE icon_expose_timesteplength_domain

  !> Allocate what the plugins requested (walking ComIn's request list as ICON does).
  SUBROUTINE icon_append_comin_variables()
    TYPE(c_ptr) :: list, it, cptr
    TYPE(t_comin_request_item), POINTER :: item
    TYPE(t_comin_field), ALLOCATABLE :: grown(:)
    INTEGER :: jg, zaxis, nb, n
    LOGICAL :: tracer
    CHARACTER(LEN=:), ALLOCATABLE :: units

    ALLOCATE(comin_fields(0))
    CALL comin_var_set_sync_device_mem(sync_device_mem=icon_sync_variable)
    CALL comin_var_set_sync_halo(sync_halo=icon_halo_sync)
    DO jg = 1, n_dom
      list = comin_request_get_list()
      CALL comin_ftnlist_iterator_begin(list, it)
      DO WHILE (.NOT. comin_ftnlist_is_end(list, it))
        CALL comin_ftnlist_iterator_value(it, cptr)
        CALL C_F_POINTER(cptr, item)
        IF (item%descriptor%id == jg) THEN
          CALL comin_metadata_get_or(metadata=item%metadata, key="zaxis_id", val=zaxis, &
            &                        defaultval=COMIN_ZAXIS_3D)
          CALL comin_metadata_get_or(item%metadata, "tracer", tracer, .FALSE.)
          CALL comin_metadata_get_or(item%metadata, "units", units, "")
          IF (tracer) CALL finish("icon_append_comin_variables", "this host has no tracer container")
          CALL out("host: request " // item%descriptor%name // "(" // i0(jg) // ") by plugin " // &
            &      i0(item%moduleID(1)) // " exclusive " // MERGE("T", "F", LOGICAL(item%lmodexclusive)) // &
            &      " zaxis " // i0(zaxis) // " units '" // units // "'")
          n = SIZE(comin_fields)
          ALLOCATE(grown(n + 1))
          grown(1:n) = comin_fields
          CALL MOVE_ALLOC(grown, comin_fields)
          nb = p_patch(jg)%nblks_c
          comin_fields(n + 1)%name = item%descriptor%name
          comin_fields(n + 1)%jg = jg
          comin_fields(n + 1)%zaxis = zaxis
          IF (zaxis == COMIN_ZAXIS_2D) THEN
            ALLOCATE(comin_fields(n + 1)%field(nproma, nb, 1))
          ELSE
            ALLOCATE(comin_fields(n + 1)%field(nproma, nlev, nb))
          END IF
          comin_fields(n + 1)%field = 0.0_wp
        END IF
        CALL comin_ftnlist_iterator_next(it)
      END DO
      CALL comin_ftnlist_iterator_delete(it)
    END DO
  END SUBROUTINE icon_append_comin_variables

  !> Copy every key of the matching requests' metadata onto the exposed variable (ICON's
  !! icon_expose_metadata_from_request_list).
  SUBROUTINE icon_expose_metadata_from_request_list(descriptor)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descriptor
    TYPE(c_ptr) :: list, it, cptr
    TYPE(t_comin_request_item), POINTER :: item
    TYPE(t_comin_var_metadata_iterator) :: key_it
    CHARACTER(LEN=:), ALLOCATABLE :: key, sval
    INTEGER :: ival
    REAL(wp) :: rval
    LOGICAL :: lval

    list = comin_request_get_list()
    CALL comin_ftnlist_iterator_begin(list, it)
    DO WHILE (.NOT. comin_ftnlist_is_end(list, it))
      CALL comin_ftnlist_iterator_value(it, cptr)
      CALL C_F_POINTER(cptr, item)
      IF (item%descriptor%name == descriptor%name .AND. item%descriptor%id == descriptor%id) THEN
        CALL item%metadata%get_iterator(key_it)
        DO WHILE (.NOT. key_it%is_end())
          key = key_it%key()
          SELECT CASE (item%metadata%query(key))
          CASE (COMIN_METADATA_TYPEID_INTEGER)
            CALL item%metadata%get(key, ival)
            CALL comin_metadata_set(descriptor=descriptor, key=key, val=ival)
          CASE (COMIN_METADATA_TYPEID_REAL)
            CALL item%metadata%get(key, rval)
            CALL comin_metadata_set(descriptor=descriptor, key=key, val=rval)
          CASE (COMIN_METADATA_TYPEID_CHARACTER)
            CALL item%metadata%get(key, sval)
            CALL comin_metadata_set(descriptor=descriptor, key=key, val=sval)
          CASE (COMIN_METADATA_TYPEID_LOGICAL)
            CALL item%metadata%get(key, lval)
            CALL comin_metadata_set(descriptor=descriptor, key=key, val=lval)
          END SELECT
          CALL key_it%next()
        END DO
        CALL key_it%delete()
      END IF
      CALL comin_ftnlist_iterator_next(it)
    END DO
    CALL comin_ftnlist_iterator_delete(it)
  END SUBROUTINE icon_expose_metadata_from_request_list

  SUBROUTINE icon_expose_variables()
    TYPE(t_comin_var_descriptor) :: descriptor
    TYPE(t_comin_var_handle) :: handle
    INTEGER :: jg, i, dim_semantics(5), array_shape(5)

    DO jg = 1, n_dom
      descriptor = t_comin_var_descriptor(name="temp", id=jg)
      CALL comin_var_list_append(var_descr=descriptor, cptr=c_loc(p_prog(jg)%temp(1, 1, 1, nnow)), &
        &  device_ptr=c_null_ptr, array_shape=[nproma, nlev, p_patch(jg)%nblks_c, 1, 1], &
        &  type_id=COMIN_VAR_DATATYPE_DOUBLE, &
        &  dim_semantics=[COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_LEVEL, &
        &                 COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_UNUSED, &
        &                 COMIN_DIM_SEMANTICS_UNUSED], &
        &  lcontainer=.FALSE., ncontained=0, var_handle=temp_handles(jg))
      CALL icon_expose_metadata_from_request_list(descriptor)
      CALL comin_metadata_set(descriptor=descriptor, key="zaxis_id", val=COMIN_ZAXIS_3D)
      CALL comin_metadata_set(descriptor, "units", "K")
      CALL comin_metadata_set(descriptor, "multi_timelevel", .TRUE.)
    END DO
    DO i = 1, SIZE(comin_fields)
      descriptor = t_comin_var_descriptor(TRIM(comin_fields(i)%name), comin_fields(i)%jg)
      array_shape = 1
      array_shape(1:3) = SHAPE(comin_fields(i)%field)
      IF (comin_fields(i)%zaxis == COMIN_ZAXIS_2D) THEN
        dim_semantics = [COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_BLOCK, &
          &              COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED]
      ELSE
        dim_semantics = [COMIN_DIM_SEMANTICS_NPROMA, COMIN_DIM_SEMANTICS_LEVEL, &
          &              COMIN_DIM_SEMANTICS_BLOCK, COMIN_DIM_SEMANTICS_UNUSED, COMIN_DIM_SEMANTICS_UNUSED]
      END IF
      CALL comin_var_list_append(descriptor, c_loc(comin_fields(i)%field), c_null_ptr, array_shape, &
        &                        COMIN_VAR_DATATYPE_DOUBLE, dim_semantics, .FALSE., 0, handle)
      ! the plugin's metadata first, then the host's own keys (which win, as in ICON)
      CALL icon_expose_metadata_from_request_list(descriptor)
      CALL comin_metadata_set(descriptor=descriptor, key="zaxis_id", val=comin_fields(i)%zaxis)
      CALL comin_metadata_set(descriptor=descriptor, key="restart", val=.FALSE.)
    END DO
  END SUBROUTINE icon_expose_variables

  !> The host swaps its time levels: the exposed temperature follows (comin_var_set_cptr).
  SUBROUTINE icon_update_expose_variables(nnew)
    INTEGER, INTENT(IN) :: nnew
    INTEGER :: jg
    DO jg = 1, n_dom
      CALL comin_var_set_cptr(var=temp_handles(jg), cptr=c_loc(p_prog(jg)%temp(1, 1, 1, nnew)))
    END DO
  END SUBROUTINE icon_update_expose_variables

  !> The variables exposed so far, as a ComIn 0.3 host walks the list (a TYPE(c_ptr)).
  SUBROUTINE icon_list_exposed()
    TYPE(c_ptr) :: it
    TYPE(t_comin_var_descriptor) :: d
    CHARACTER(LEN=:), ALLOCATABLE :: names
    names = ""
    it = comin_var_get_descr_list_head()
    DO WHILE (c_associated(it))
      CALL comin_var_get_descr_list_var_desc(it=it, var_desc_out=d)
      names = names // " " // d%name // "(" // i0(d%id) // ")"
      it = comin_var_get_descr_list_next(current=it)
    END DO
    CALL out("host: exposed" // names)
  END SUBROUTINE icon_list_exposed

  SUBROUTINE icon_call_callback(ep, jg)
    INTEGER, INTENT(IN) :: ep, jg
    CALL comin_callback_context_call(entry_point_id=ep, domain_id=jg, lacc=.FALSE.)
  END SUBROUTINE icon_call_callback

END MODULE icon_comin_adapter


PROGRAM icon_host
  USE mpi
  USE icon_kinds
  USE icon_patches
  USE icon_comin_adapter
  USE comin_host_interface
  IMPLICIT NONE
  INTEGER :: steps, a, np, i, step, jg, p1, p2, p3, at, ierr, rank, nranks, comin_comm
  INTEGER :: group_comms(2), extra_comm(1), extra_size
  CHARACTER(LEN=1024) :: arg
  CHARACTER(LEN=23) :: dt
  CHARACTER(LEN=256) :: group_names(2), extra_group(1)      ! mo_mpi_handshake's length
  TYPE(t_comin_plugin_description), ALLOCATABLE :: plugin_list(:)
  TYPE(t_comin_setup_version_info) :: version

  CALL MPI_Init(ierr)
  CALL MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  CALL MPI_Comm_size(MPI_COMM_WORLD, nranks, ierr)
  printing = rank == 0

  ! the MPI handshake of ComIn and YAC: this host's group and ComIn's
  group_names(1) = "atmo"
  group_names(2) = "comin"
  CALL mpi_handshake(comm=MPI_COMM_WORLD, group_names=group_names, group_comms=group_comms)
  comin_comm = group_comms(2)
  ! a second handshake in which the last rank takes part without a group (ICON's I/O)
  extra_group(1) = "workers"
  extra_comm(1) = MPI_COMM_NULL
  IF (nranks > 1 .AND. rank == nranks - 1) THEN
    CALL mpi_handshake_dummy(comm=MPI_COMM_WORLD)
  ELSE
    CALL mpi_handshake(MPI_COMM_WORLD, extra_group, extra_comm)
    CALL MPI_Comm_size(extra_comm(1), extra_size, ierr)
    CALL out("host: handshake comin group " // i0(comin_size()) // " workers " // i0(extra_size))
  END IF

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
  ALLOCATE(plugin_list(np))
  DO i = 1, np
    CALL GET_COMMAND_ARGUMENT(a + i - 1, arg)
    p1 = INDEX(arg, ";")
    p2 = p1 + INDEX(arg(p1 + 1:), ";")
    p3 = INDEX(arg(p2 + 1:), ";")
    plugin_list(i)%name = arg(1:p1 - 1)
    at = INDEX(arg(1:p1 - 1), "@")
    IF (at > 0) THEN
      plugin_list(i)%name = arg(1:at - 1)
      plugin_list(i)%comm = arg(at + 1:p1 - 1)
    END IF
    plugin_list(i)%plugin_library = arg(p1 + 1:p2 - 1)
    IF (p3 > 0) THEN
      plugin_list(i)%options = arg(p2 + 1:p2 + p3 - 1)
      plugin_list(i)%primary_constructor = arg(p2 + p3 + 1:)
    ELSE
      plugin_list(i)%options = arg(p2 + 1:)
    END IF
  END DO

  CALL construct_patches()
  CALL comin_setup_init(lstdout=printing)
  version = comin_setup_get_version()
  CALL comin_setup_errhandler(error_handler=finish)
  CALL comin_setup_set_verbosity_level(iverbosity=0)
  CALL comin_setup_check(plugin_str="icon_host", wp_check=wp)
  CALL out("host: ComIn " // i0(version%version_no_major) // "." // i0(version%version_no_minor))
  CALL icon_expose_descrdata_global()
  CALL icon_expose_descrdata_domain()
  CALL icon_expose_state(60.0_wp)
  CALL comin_parallel_mpi_handshake(comm=comin_comm, group_names=plugin_list(1:np)%comm, &
    &                               component_name="atmo")
  CALL comin_plugin_primaryconstructor(plugin_list=plugin_list(1:np))
  CALL icon_append_comin_variables()
  CALL icon_expose_variables()
  CALL icon_list_exposed()
  CALL icon_call_callback(EP_SECONDARY_CONSTRUCTOR, COMIN_DOMAIN_OUTSIDE_LOOP)

  ! the host changes its grid after handing it over: plugins see the POINTER components
  ! (nshift, area, decomp_domain) change and the ALLOCATABLE ones (clon) as handed over
  DO jg = 1, n_dom
    p_patch(jg)%nshift = p_patch(jg)%nshift + 10
    p_patch(jg)%cells%area = 2.0_wp * p_patch(jg)%cells%area
    p_patch(jg)%cells%decomp_info%decomp_domain(nproma, p_patch(jg)%nblks_c) = -1
    p_patch(jg)%cells%center_lon = 0.0_wp
  END DO

  CALL icon_call_callback(EP_ATM_TIMELOOP_BEFORE, COMIN_DOMAIN_OUTSIDE_LOOP)
  DO step = 1, steps
    WRITE (dt, '(A,I2.2,A)') "2026-01-01T00:", step, ":00.000"
    CALL comin_current_set_datetime(sim_time_current=dt)
    CALL icon_call_callback(EP_ATM_TIMELOOP_START, COMIN_DOMAIN_OUTSIDE_LOOP)
    DO jg = 1, n_dom
      ! the new time level: last step's temperature plus one
      p_prog(jg)%temp(:,:,:,3 - nnow) = p_prog(jg)%temp(:,:,:,nnow) + 1.0_wp
    END DO
    nnow = 3 - nnow
    CALL icon_update_expose_variables(nnow)
    DO jg = 1, n_dom
      CALL icon_call_callback(EP_ATM_PHYSICS_BEFORE, jg)
      CALL icon_call_callback(EP_ATM_PHYSICS_AFTER, jg)
    END DO
    CALL icon_call_callback(EP_ATM_WRITE_OUTPUT_BEFORE, COMIN_DOMAIN_OUTSIDE_LOOP)
    DO i = 1, SIZE(comin_fields)
      CALL out("host: " // dt // " " // TRIM(comin_fields(i)%name) // "(" // i0(comin_fields(i)%jg) // &
        &      ") sum " // f1(SUM(comin_fields(i)%field)))
    END DO
    CALL icon_call_callback(EP_ATM_TIMELOOP_END, COMIN_DOMAIN_OUTSIDE_LOOP)
  END DO
  CALL icon_call_callback(EP_ATM_TIMELOOP_AFTER, COMIN_DOMAIN_OUTSIDE_LOOP)
  CALL icon_call_callback(EP_DESTRUCTOR, COMIN_DOMAIN_OUTSIDE_LOOP)
  CALL comin_var_list_finalize()
  CALL comin_var_request_list_finalize()
  CALL comin_var_descr_list_finalize()
  CALL comin_descrdata_finalize()
  CALL comin_setup_finalize()
  CALL out("host: done")
  CALL MPI_Finalize(ierr)

CONTAINS

  INTEGER FUNCTION comin_size()
    INTEGER :: n, e
    CALL MPI_Comm_size(comin_comm, n, e)
    comin_size = n
  END FUNCTION comin_size

END PROGRAM icon_host
