!> comin_host_api: the host-side Fortran API of comin, everything it offers.
!!
!! An ISO_C_BINDING layer over libcomin's host functions (comin_host.h).  Hosts written
!! for ComIn use comin_host_interface, which re-exports exactly what ComIn's module of
!! that name exports (from here and from comin_plugin_interface); this module holds the
!! implementation and comin's additions.  The first call starts an embedded Python
!! interpreter (inside libcomin) and loads the comin core; Python, C and Fortran plugins
!! then run as in the Python host.  The procedures that are one C function each, their
!! BIND(C) interfaces, PUBLIC statements and the re-exports of comin_plugin_interface are
!! generated from the C API table (comin/_capi.py) into comin_host_api_use.inc, _spec.inc
!! and _procs.inc; written here are the types, the bridges to the host's Fortran
!! procedures (error handler, glb2loc, device and halo syncs), the request list as
!! ComIn 0.3 walks it and the MPI handshake.
!!
!! Compile with comin_constants.F90, comin_descrdata_types.F90,
!! comin_plugin_interface.F90 and comin_host_descrdata.F90 (all in fortran_api/),
!! link with -lcomin.  Re-exported from comin_plugin_interface: the variable
!! descriptor and handle types, comin_metadata_get, the descriptor list, the
!! descriptive-data types, comin_callback_get_ep_name, the error functions.
!!
!! Requests are walked as in ComIn 0.3 (and ICON): list = comin_request_get_list(),
!! comin_ftnlist_iterator_begin/_is_end/_iterator_value/_iterator_next/_iterator_delete,
!! C_F_POINTER of the value onto a TYPE(t_comin_request_item) (descriptor, metadata,
!! moduleID(:), lmodexclusive); the metadata is ComIn's t_comin_var_metadata with its
!! type-bound query/get/set/get_iterator, and comin_metadata_get_or(item%metadata, key,
!! val, defaultval) reads it.
!!
!! Additions to ComIn's host interface (not re-exported by comin_host_interface):
!!   * requests can also be read by position: comin_request_get_list_size(),
!!     comin_request_get_descriptor(i, descr), comin_request_get_lmodexclusive(i),
!!     comin_request_get_plugin_ids(i, ids), comin_metadata_get_or(i, key, val, defaultval);
!!   * comin_var_set_cptr(var, cptr [, device_ptr]);
!!   * every constant of comin_constants (error codes, flags, ...);
!!   * a host switches errors_return on for its own calls with
!!     comin_error_set_errors_return(.TRUE.) while no plugin is current.
MODULE comin_host_api
  USE, INTRINSIC :: iso_c_binding, ONLY: c_int, c_double, c_bool, c_char, c_ptr, c_funptr, &
    &                                    c_null_char, c_null_ptr, c_associated, c_f_pointer, &
    &                                    c_funloc, c_loc
  USE comin_constants
  USE comin_plugin_interface, ONLY: wp, t_comin_var_descriptor, t_comin_var_handle, &
    &                               comin_setup_get_version, t_comin_var_ptr, comin_plugin_finish, &
    &                               t_comin_setup_version_info, t_comin_descrdata_global, &
    &                               t_comin_descrdata_domain, t_comin_descrdata_simulation_interval, &
    &                               t_comin_var_metadata_iterator, comin_metadata_get_iterator
  ! the procedures of comin_plugin_interface this module exports too (comin/_capi.py)
#include "comin_host_api_use.inc"
  USE comin_host_descrdata, ONLY: comin_descrdata_set_global, comin_descrdata_set_domain
  IMPLICIT NONE
  PRIVATE

  ! types and the procedures written here (the generated ones: comin_host_interface_spec.inc)
  PUBLIC :: wp, t_comin_var_descriptor, t_comin_var_handle, t_comin_plugin_description
  PUBLIC :: t_comin_setup_version_info, t_comin_descrdata_global, t_comin_descrdata_domain
  PUBLIC :: t_comin_descrdata_simulation_interval, comin_setup_get_version
  PUBLIC :: comin_descrdata_set_global, comin_descrdata_set_domain
  PUBLIC :: t_comin_request_item, t_comin_var_metadata, comin_request_get_list
  PUBLIC :: comin_ftnlist_iterator_begin, comin_ftnlist_is_end, comin_ftnlist_iterator_value
  PUBLIC :: comin_ftnlist_iterator_next, comin_ftnlist_iterator_delete
  PUBLIC :: t_comin_var_metadata_iterator, comin_metadata_get_iterator
  PUBLIC :: comin_host_errhandler_fct, comin_glb2loc_index_lookup_fct
  PUBLIC :: comin_var_sync_device_mem_fct, comin_var_sync_halo_fct
  PUBLIC :: mpi_handshake, mpi_handshake_dummy, MAX_GROUPNAME_LEN
  ! ComIn 0.2's host forms
  PUBLIC :: t_comin_var_ptr, comin_var_update, comin_request_get_list_head, t_var_request_list_item

  !> The length of a group name of the MPI handshake (ComIn's and YAC's mo_mpi_handshake).
  INTEGER, PARAMETER :: MAX_GROUPNAME_LEN = 256
  ! every constant of comin_constants (EP_*, COMIN_*)
#include "comin_constants_public.inc"

  !> One entry of the plugin list (ComIn's namelist comin_nml).  A plugin_library whose
  !! file name is libpython_adapter.so is a Python plugin; options = "script.py args".
  TYPE :: t_comin_plugin_description
    CHARACTER(LEN=COMIN_MAX_LEN_PLUGIN_NAME) :: name = ""
    CHARACTER(LEN=COMIN_MAX_LEN_PLUGIN_LIBRARY) :: plugin_library = ""
    CHARACTER(LEN=COMIN_MAX_LEN_PRIMARY_CONSTRUCTOR) :: primary_constructor = "comin_main"
    CHARACTER(LEN=COMIN_MAX_LEN_OPTIONS) :: options = ""
    CHARACTER(LEN=COMIN_MAX_LEN_COMM) :: comm = ""
    LOGICAL :: log_debug = .FALSE., log_info = .TRUE., log_warning = .TRUE.
  END TYPE t_comin_plugin_description

  !> comin_host.h's t_comin_plugin_description (NUL-terminated strings).
  TYPE, BIND(C) :: t_plugin_description_c
    TYPE(c_ptr) :: name, plugin_library, primary_constructor, options, comm
    LOGICAL(c_bool) :: log_debug, log_info, log_warning
  END TYPE t_plugin_description_c

  !> comin.h's t_comin_var_descriptor { char name[65]; int id; }.
  TYPE, BIND(C) :: t_comin_var_descriptor_c
    CHARACTER(KIND=c_char) :: name(COMIN_MAX_LEN_VAR_NAME + 1)
    INTEGER(c_int) :: id
  END TYPE t_comin_var_descriptor_c

  !> NUL-terminated copy of a string, kept while C reads it.
  TYPE :: t_cstring
    CHARACTER(KIND=c_char), ALLOCATABLE :: s(:)
  END TYPE t_cstring

  ABSTRACT INTERFACE
    !> The host's finish routine: ComIn expects it to call EP_FINISH and abort.  text is
    !! OPTIONAL as in ComIn (for ICON's finish); comin always passes it.
    SUBROUTINE comin_host_errhandler_fct(routine, text)
      CHARACTER(LEN=*), INTENT(IN) :: routine
      CHARACTER(LEN=*), INTENT(IN), OPTIONAL :: text
    END SUBROUTINE comin_host_errhandler_fct
    !> Global to local cell index of domain jg (both 1-based; <= 0: not on this rank).
    FUNCTION comin_glb2loc_index_lookup_fct(jg, glb) RESULT(loc)
      INTEGER, INTENT(IN) :: jg, glb
      INTEGER :: loc
    END FUNCTION comin_glb2loc_index_lookup_fct
    !> Device copy of a variable; direction .TRUE.: host -> device.
    SUBROUTINE comin_var_sync_device_mem_fct(var_ptr, direction)
      IMPORT :: t_comin_var_handle
      TYPE(t_comin_var_handle), INTENT(IN) :: var_ptr
      LOGICAL, INTENT(IN) :: direction
    END SUBROUTINE comin_var_sync_device_mem_fct
    !> Halo exchange of a variable; halo_sync_mode COMIN_ZAXIS_2D or COMIN_ZAXIS_3D.
    SUBROUTINE comin_var_sync_halo_fct(var_ptr, halo_sync_mode)
      IMPORT :: t_comin_var_handle
      TYPE(t_comin_var_handle), INTENT(IN) :: var_ptr
      INTEGER, INTENT(IN) :: halo_sync_mode
    END SUBROUTINE comin_var_sync_halo_fct
  END INTERFACE

  !> The metadata of a request (ComIn's t_comin_var_metadata, the component
  !! item%metadata of a request item): typed key/value pairs the plugins set with
  !! comin_metadata_set in their primary constructors.  query(key) gives the
  !! COMIN_METADATA_TYPEID_* of key (UNDEFINED when absent), get(key, val) its value,
  !! set(key, val) stores one, get_iterator(iterator) walks the keys.
  TYPE :: t_comin_var_metadata
    INTEGER, PRIVATE :: request = 0        !< the request's position (1-based)
  CONTAINS
    PROCEDURE :: create => comin_var_metadata_create
    PROCEDURE :: delete => comin_var_metadata_delete
    PROCEDURE :: query => comin_var_metadata_query
    PROCEDURE :: get_iterator => comin_var_metadata_get_iterator
    PROCEDURE, PRIVATE :: set_int => comin_var_metadata_set_int
    PROCEDURE, PRIVATE :: set_double => comin_var_metadata_set_double
    PROCEDURE, PRIVATE :: set_char => comin_var_metadata_set_char
    PROCEDURE, PRIVATE :: set_bool => comin_var_metadata_set_bool
    GENERIC :: set => set_int, set_double, set_char, set_bool
    PROCEDURE, PRIVATE :: get_int => comin_var_metadata_get_int
    PROCEDURE, PRIVATE :: get_double => comin_var_metadata_get_double
    PROCEDURE, PRIVATE :: get_char => comin_var_metadata_get_char
    PROCEDURE, PRIVATE :: get_bool => comin_var_metadata_get_bool
    GENERIC :: get => get_int, get_double, get_char, get_bool
  END TYPE t_comin_var_metadata

  !> One variable request of the plugins (ComIn 0.3's t_comin_request_item).
  TYPE :: t_comin_request_item
    TYPE(t_comin_var_descriptor) :: descriptor
    TYPE(t_comin_var_metadata) :: metadata
    INTEGER, ALLOCATABLE :: moduleID(:)           !< ids of the plugins that requested it
    LOGICAL(c_bool) :: lmodexclusive = .FALSE.
  END TYPE t_comin_request_item

  !> A position in the request list (comin_ftnlist_iterator_*).
  TYPE :: t_ftnlist_iterator
    INTEGER :: pos = 1
  END TYPE t_ftnlist_iterator

  !> The request list handed out by comin_request_get_list (built once: requests are
  !! final after the primary constructors); its length is the list handle's target.
  TYPE(t_comin_request_item), ALLOCATABLE, TARGET, SAVE :: request_items(:)
  INTEGER, TARGET, SAVE :: request_list_length = -1

  !> ComIn 0.2's request list item: p => comin_request_get_list_head(); DO WHILE
  !! (ASSOCIATED(p)); ... p%item_value ...; p => p%next(); END DO.
  TYPE :: t_var_request_list_item
    TYPE(t_comin_request_item), ALLOCATABLE :: item_value
    TYPE(t_var_request_list_item), POINTER, PRIVATE :: next_item => NULL()
  CONTAINS
    PROCEDURE :: next => request_list_item_next
  END TYPE t_var_request_list_item

  !> A variable a ComIn 0.2 host exposed with comin_var_list_append(p): its handle, for
  !! comin_var_update.
  TYPE :: t_v02_var
    TYPE(t_comin_var_descriptor) :: descriptor
    TYPE(t_comin_var_handle) :: handle
  END TYPE t_v02_var

  TYPE(t_var_request_list_item), POINTER, SAVE :: request_head => NULL()
  TYPE(t_v02_var), ALLOCATABLE, SAVE :: v02_vars(:)

  !> ComIn 0.2's comin_var_list_append(p) beside 0.3's nine-argument form
  INTERFACE comin_var_list_append
    MODULE PROCEDURE comin_var_list_append_v02
  END INTERFACE comin_var_list_append

  PROCEDURE(comin_host_errhandler_fct), POINTER, SAVE :: host_errhandler => NULL()
  PROCEDURE(comin_glb2loc_index_lookup_fct), POINTER, SAVE :: host_glb2loc => NULL()
  PROCEDURE(comin_var_sync_device_mem_fct), POINTER, SAVE :: host_sync_device => NULL()
  PROCEDURE(comin_var_sync_halo_fct), POINTER, SAVE :: host_sync_halo => NULL()

  ! PUBLIC lines, generic interfaces and BIND(C) interfaces of the C API (comin/_capi.py)
#include "comin_host_api_spec.inc"

CONTAINS

#include "comin_c_helpers.inc"

  ! -- the generated procedures (comin/_capi.py): one C function each -----------------------
#include "comin_host_api_procs.inc"

  ! -- the bridges libcomin calls the host's procedures through ------------------------------------

  SUBROUTINE errhandler_bridge(routine, text) BIND(C)
    TYPE(c_ptr), VALUE :: routine, text
    IF (ASSOCIATED(host_errhandler)) CALL host_errhandler(fstr(routine), text=fstr(text))
  END SUBROUTINE errhandler_bridge

  FUNCTION glb2loc_bridge(jg, global_idx) RESULT(loc) BIND(C)
    INTEGER(c_int), VALUE :: jg, global_idx
    INTEGER(c_int) :: loc
    loc = INT(host_glb2loc(INT(jg), INT(global_idx)), c_int)
  END FUNCTION glb2loc_bridge

  SUBROUTINE sync_device_bridge(handle, direction) BIND(C)
    TYPE(c_ptr), VALUE :: handle
    LOGICAL(c_bool), VALUE :: direction
    TYPE(t_comin_var_handle) :: h
    h%ptr = handle
    CALL host_sync_device(h, LOGICAL(direction))
  END SUBROUTINE sync_device_bridge

  SUBROUTINE sync_halo_bridge(handle, mode) BIND(C)
    TYPE(c_ptr), VALUE :: handle
    INTEGER(c_int), VALUE :: mode
    TYPE(t_comin_var_handle) :: h
    h%ptr = handle
    CALL host_sync_halo(h, INT(mode))
  END SUBROUTINE sync_halo_bridge

  SUBROUTINE keep_string(store, s, p)
    TYPE(t_cstring), TARGET, INTENT(INOUT) :: store
    CHARACTER(LEN=*), INTENT(IN) :: s
    TYPE(c_ptr), INTENT(OUT) :: p
    INTEGER :: i, n
    n = LEN_TRIM(s)
    ALLOCATE(store%s(n + 1))
    DO i = 1, n
      store%s(i) = s(i:i)
    END DO
    store%s(n + 1) = c_null_char
    p = c_loc(store%s(1))
  END SUBROUTINE keep_string

  ! -- the request list as ComIn 0.3 walks it ---------------------------------------------------

  !> The plugins' requests as a list (ComIn 0.3): walk it with comin_ftnlist_iterator_*.
  FUNCTION comin_request_get_list() RESULT(list)
    TYPE(c_ptr) :: list
    INTEGER :: i, n
    n = comin_request_get_list_size()
    IF (.NOT. ALLOCATED(request_items) .OR. request_list_length /= n) THEN
      IF (ALLOCATED(request_items)) DEALLOCATE(request_items)
      ALLOCATE(request_items(MAX(n, 0)))
      DO i = 1, n
        CALL comin_request_get_descriptor(i, request_items(i)%descriptor)
        request_items(i)%metadata%request = i
        CALL comin_request_get_plugin_ids(i, request_items(i)%moduleID)
        request_items(i)%lmodexclusive = LOGICAL(comin_request_get_lmodexclusive(i), c_bool)
      END DO
      request_list_length = MAX(n, 0)
    END IF
    list = c_loc(request_list_length)
  END FUNCTION comin_request_get_list

  !> An iterator at the first item of the list listptr (comin_ftnlist_iterator_delete frees it).
  SUBROUTINE comin_ftnlist_iterator_begin(listptr, itptr)
    TYPE(c_ptr), INTENT(IN), VALUE :: listptr
    TYPE(c_ptr), INTENT(INOUT) :: itptr
    TYPE(t_ftnlist_iterator), POINTER :: p
    IF (.NOT. c_associated(listptr)) ERROR STOP "comin_ftnlist_iterator_begin: list not associated"
    ALLOCATE(p)
    itptr = c_loc(p)
  END SUBROUTINE comin_ftnlist_iterator_begin

  !> .TRUE. when the iterator ptr is past the last item of the list listptr.
  FUNCTION comin_ftnlist_is_end(listptr, ptr) RESULT(is_end)
    TYPE(c_ptr), INTENT(IN), VALUE :: listptr, ptr
    LOGICAL(c_bool) :: is_end
    INTEGER, POINTER :: n
    TYPE(t_ftnlist_iterator), POINTER :: p
    CALL c_f_pointer(listptr, n)
    CALL c_f_pointer(ptr, p)
    is_end = p%pos > n
  END FUNCTION comin_ftnlist_is_end

  !> The item at the iterator listptr (ComIn's name for it): C_F_POINTER(ptr, item) with
  !! TYPE(t_comin_request_item), POINTER :: item.
  SUBROUTINE comin_ftnlist_iterator_value(listptr, ptr)
    TYPE(c_ptr), INTENT(IN), VALUE :: listptr
    TYPE(c_ptr), INTENT(INOUT) :: ptr
    TYPE(t_ftnlist_iterator), POINTER :: p
    CALL c_f_pointer(listptr, p)
    IF (p%pos < 1 .OR. p%pos > request_list_length) &
      &  ERROR STOP "comin_ftnlist_iterator_value: the iterator is at the end of the list"
    ptr = c_loc(request_items(p%pos))
  END SUBROUTINE comin_ftnlist_iterator_value

  !> Move the iterator ptr to the next item.
  SUBROUTINE comin_ftnlist_iterator_next(ptr)
    TYPE(c_ptr), INTENT(IN), VALUE :: ptr
    TYPE(t_ftnlist_iterator), POINTER :: p
    CALL c_f_pointer(ptr, p)
    p%pos = p%pos + 1
  END SUBROUTINE comin_ftnlist_iterator_next

  !> Free the iterator ptr (comin also resets it to C_NULL_PTR).
  SUBROUTINE comin_ftnlist_iterator_delete(ptr)
    TYPE(c_ptr), INTENT(INOUT) :: ptr
    TYPE(t_ftnlist_iterator), POINTER :: p
    IF (.NOT. c_associated(ptr)) RETURN
    CALL c_f_pointer(ptr, p)
    DEALLOCATE(p)
    ptr = c_null_ptr
  END SUBROUTINE comin_ftnlist_iterator_delete

  ! -- ComIn 0.2's host forms ------------------------------------------------------------------

  !> ComIn 0.2's request list: linked items over the same requests as comin_request_get_list
  !! (rebuilt on every call; NULL when there is none).
  FUNCTION comin_request_get_list_head() RESULT(head)
    TYPE(t_var_request_list_item), POINTER :: head
    TYPE(t_var_request_list_item), POINTER :: item, last
    TYPE(c_ptr) :: list
    INTEGER :: i
    item => request_head
    DO WHILE (ASSOCIATED(item))
      last => item%next_item
      DEALLOCATE(item)
      item => last
    END DO
    NULLIFY(request_head, last)
    list = comin_request_get_list()
    DO i = 1, request_list_length
      ALLOCATE(item)
      item%item_value = request_items(i)
      IF (ASSOCIATED(last)) THEN
        last%next_item => item
      ELSE
        request_head => item
      END IF
      last => item
    END DO
    head => request_head
    IF (.NOT. c_associated(list)) NULLIFY(head)
  END FUNCTION comin_request_get_list_head

  FUNCTION request_list_item_next(this) RESULT(next)
    CLASS(t_var_request_list_item), INTENT(IN) :: this
    TYPE(t_var_request_list_item), POINTER :: next
    next => this%next_item
  END FUNCTION request_list_item_next

  !> ComIn 0.2's comin_var_list_append(p): expose p%ptr (double precision, contiguous) with
  !! the dimensions p%pos_jc/_jk/_jb (1-based, -1: none) and, for a container, p%pos_jn.
  SUBROUTINE comin_var_list_append_v02(p)
    TYPE(t_comin_var_ptr), POINTER :: p
    INTEGER :: ds(5), shp(5)
    TYPE(t_v02_var), ALLOCATABLE :: grown(:)
    INTEGER :: n

    IF (.NOT. ASSOCIATED(p)) THEN
      CALL comin_plugin_finish("comin_variable::comin_var_list_append", &
        &                      "Internal error! Unassociated pointer passed in.")
      RETURN
    END IF
    IF (.NOT. ASSOCIATED(p%ptr)) THEN
      CALL comin_plugin_finish("comin_variable::comin_var_list_append", &
        &                      "Internal error! Unassociated pointer passed in.")
      RETURN
    END IF
    IF (.NOT. IS_CONTIGUOUS(p%ptr)) THEN
      CALL comin_plugin_finish("comin_variable::comin_var_list_append", &
        &                      "the data of " // p%descriptor%name // " must be contiguous")
      RETURN
    END IF
    ds(:) = COMIN_DIM_SEMANTICS_UNUSED
    CALL put(p%pos_jc, COMIN_DIM_SEMANTICS_NPROMA)
    CALL put(p%pos_jk, COMIN_DIM_SEMANTICS_LEVEL)
    CALL put(p%pos_jb, COMIN_DIM_SEMANTICS_BLOCK)
    IF (p%lcontainer) CALL put(p%pos_jn, COMIN_DIM_SEMANTICS_CONTAINER)
    shp(:) = SHAPE(p%ptr)
    IF (.NOT. ALLOCATED(v02_vars)) ALLOCATE(v02_vars(0))
    n = SIZE(v02_vars)
    ALLOCATE(grown(n + 1))
    grown(1:n) = v02_vars
    CALL MOVE_ALLOC(grown, v02_vars)
    v02_vars(n + 1)%descriptor = p%descriptor
    CALL comin_var_list_append_handle(p%descriptor, c_loc(p%ptr), p%device_ptr, shp, &
      &                               COMIN_VAR_DATATYPE_DOUBLE, ds, LOGICAL(p%lcontainer), &
      &                               p%ncontained, v02_vars(n + 1)%handle)
  CONTAINS
    SUBROUTINE put(pos, semantics)
      INTEGER, INTENT(IN) :: pos, semantics
      IF (pos >= 1 .AND. pos <= 5) ds(pos) = semantics
    END SUBROUTINE put
  END SUBROUTINE comin_var_list_append_v02

  !> ComIn 0.2's comin_var_update: re-point a variable exposed with comin_var_list_append(p)
  !! (a time-level swap); ComIn 0.3's form is comin_var_set_cptr(var, cptr).
  SUBROUTINE comin_var_update(var_descriptor, data_ptr, device_ptr)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: var_descriptor
    REAL(wp), POINTER :: data_ptr(:,:,:,:,:)
    TYPE(c_ptr), INTENT(IN) :: device_ptr
    INTEGER :: i

    IF (.NOT. ASSOCIATED(data_ptr)) THEN
      CALL comin_plugin_finish("comin_variable::comin_var_update", &
        &                      "Internal error! Unassociated pointer passed in.")
      RETURN
    END IF
    IF (ALLOCATED(v02_vars)) THEN
      DO i = 1, SIZE(v02_vars)
        IF (v02_vars(i)%descriptor%name == var_descriptor%name .AND. &
          & v02_vars(i)%descriptor%id == var_descriptor%id) THEN
          CALL comin_var_set_cptr(v02_vars(i)%handle, c_loc(data_ptr), device_ptr)
          RETURN
        END IF
      END DO
    END IF
    CALL comin_plugin_finish("comin_variable::comin_var_update", &
      &                      "Internal error! Cannot find variable to update.")
  END SUBROUTINE comin_var_update

  ! -- a request's metadata (t_comin_var_metadata; query/get/set: comin_host_api_procs.inc) ----

  !> Nothing to do: a request's store exists as long as the request.
  SUBROUTINE comin_var_metadata_create(this)
    CLASS(t_comin_var_metadata), INTENT(INOUT) :: this
    IF (this%request < 0) this%request = 0
  END SUBROUTINE comin_var_metadata_create

  !> Nothing to do: comin frees the requests with the session.
  SUBROUTINE comin_var_metadata_delete(this)
    CLASS(t_comin_var_metadata), INTENT(INOUT) :: this
    IF (this%request < 0) this%request = 0
  END SUBROUTINE comin_var_metadata_delete

  !> An iterator over the keys of the request's metadata (a previous one held by iterator
  !! is deleted first); walk it with is_end(), key(), next(); free it with delete().
  SUBROUTINE comin_var_metadata_get_iterator(this, iterator)
    CLASS(t_comin_var_metadata), INTENT(INOUT) :: this
    TYPE(t_comin_var_metadata_iterator), INTENT(INOUT) :: iterator
    CALL iterator%delete()
    iterator%it = c_request_metadata_get_iterator_begin(INT(this%request, c_int))
    IF (.NOT. c_associated(iterator%it)) RETURN
    iterator%it_end = c_request_metadata_get_iterator_end(INT(this%request, c_int))
    IF (.NOT. c_associated(iterator%it_end)) CALL iterator%delete()
  END SUBROUTINE comin_var_metadata_get_iterator

  ! -- the MPI handshake of ComIn and YAC (mo_mpi_handshake) ----------------------------------

  !> Split comm (collective over all its processes) into one communicator per group
  !! name: group_comms(i) holds the processes that listed group_names(i) (in their
  !! order in comm).  The messages are those of the C mpi_handshake that ComIn, YAC and
  !! their external processes share.
  SUBROUTINE mpi_handshake(comm, group_names, group_comms)
    INTEGER, INTENT(IN) :: comm
    CHARACTER(LEN=*), INTENT(IN) :: group_names(:)
    INTEGER, INTENT(INOUT) :: group_comms(SIZE(group_names))
    TYPE(t_cstring), ALLOCATABLE, TARGET :: keep(:)
    TYPE(c_ptr), ALLOCATABLE :: names(:)
    INTEGER(c_int), ALLOCATABLE :: comms(:)
    INTEGER :: i

    ALLOCATE(keep(MAX(SIZE(group_names), 1)), names(MAX(SIZE(group_names), 1)), &
      &      comms(MAX(SIZE(group_names), 1)))
    names(:) = c_null_ptr
    comms(:) = 0
    DO i = 1, SIZE(group_names)
      CALL keep_string(keep(i), group_names(i), names(i))
    END DO
    CALL c_mpi_handshake(INT(comm, c_int), INT(SIZE(group_names), c_int), names, comms)
    group_comms(:) = INT(comms(1:SIZE(group_names)))
  END SUBROUTINE mpi_handshake

  !> Take part in the handshake on comm without joining any group (processes of comm
  !! that do not run comin, e.g. I/O servers).
  SUBROUTINE mpi_handshake_dummy(comm)
    INTEGER, INTENT(IN) :: comm
    CHARACTER(LEN=MAX_GROUPNAME_LEN) :: none(0)
    INTEGER :: none_comms(0)
    CALL mpi_handshake(comm, none, none_comms)
  END SUBROUTINE mpi_handshake_dummy

END MODULE comin_host_api
