!> comin_host_interface: the host-side Fortran API of ComIn 0.3 (comin).
!!
!! An ISO_C_BINDING layer over libcomin's host functions (comin_host.h); names and
!! argument order are ComIn's, so an ICON-like host needs no change beyond linking
!! comin.  The first call starts an embedded Python interpreter (inside libcomin) and
!! loads the comin core; Python, C and Fortran plugins then run as in the Python host.
!! The procedures that are one C function each, their BIND(C) interfaces, PUBLIC
!! statements and the re-exports of comin_plugin_interface are generated from the C API
!! table (comin/_capi.py) into comin_host_interface_use.inc, _spec.inc and _procs.inc;
!! written here are the types, the bridges to the host's Fortran procedures (error
!! handler, glb2loc, device and halo syncs) and the request list as ComIn 0.3 walks it.
!!
!! Compile with comin_constants.F90, comin_descrdata_types.F90,
!! comin_plugin_interface.F90 and comin_host_descrdata.F90 (all in fortran_api/),
!! link with -lcomin.  Re-exported from comin_plugin_interface: the variable
!! descriptor and handle types, comin_metadata_set/_get (with no plugin current
!! they act on the host's exposed variables: ComIn's host variant), the
!! descriptive-data types, comin_callback_get_ep_name, the error functions.
!!
!! Requests are walked as in ComIn 0.3 (and ICON): list = comin_request_get_list(),
!! comin_ftnlist_iterator_begin/_is_end/_iterator_value/_iterator_next/_iterator_delete,
!! C_F_POINTER of the value onto a TYPE(t_comin_request_item) (descriptor, metadata,
!! moduleID(:), lmodexclusive), comin_metadata_get_or(item%metadata, key, val, default).
!! (comin_ftnlist_* walk the request list, the one list a host walks.)
!!
!! Differences to ComIn's host interface, all additions or simplifications:
!!   * requests can also be read by position: comin_request_get_list_size(),
!!     comin_request_get_descriptor(i, descr), comin_request_get_lmodexclusive(i),
!!     comin_request_get_plugin_ids(i, ids), comin_metadata_get_or(i, key, val, default);
!!   * comin_var_set_cptr(handle, cptr [, device_ptr]);
!!   * a host switches errors_return on for its own calls with
!!     comin_error_set_errors_return(.TRUE.) while no plugin is current.
MODULE comin_host_interface
  USE, INTRINSIC :: iso_c_binding, ONLY: c_int, c_double, c_bool, c_char, c_ptr, c_funptr, &
    &                                    c_null_char, c_null_ptr, c_associated, c_f_pointer, &
    &                                    c_funloc, c_loc
  USE comin_constants
  USE comin_plugin_interface, ONLY: wp, t_comin_var_descriptor, t_comin_var_handle, &
    &                               comin_setup_get_version, &
    &                               t_comin_setup_version_info, t_comin_descrdata_global, &
    &                               t_comin_descrdata_domain, t_comin_descrdata_simulation_interval, &
    &                               t_comin_var_metadata_iterator, comin_metadata_get_iterator
  ! the procedures of comin_plugin_interface this module exports too (comin/_capi.py)
#include "comin_host_interface_use.inc"
  USE comin_host_descrdata, ONLY: comin_descrdata_set_global, comin_descrdata_set_domain
  IMPLICIT NONE
  PRIVATE

  ! types and the procedures written here (the generated ones: comin_host_interface_spec.inc)
  PUBLIC :: wp, t_comin_var_descriptor, t_comin_var_handle, t_comin_plugin_description
  PUBLIC :: t_comin_setup_version_info, t_comin_descrdata_global, t_comin_descrdata_domain
  PUBLIC :: t_comin_descrdata_simulation_interval, comin_setup_get_version
  PUBLIC :: comin_descrdata_set_global, comin_descrdata_set_domain
  PUBLIC :: t_comin_request_item, t_comin_request_metadata, comin_request_get_list
  PUBLIC :: comin_ftnlist_iterator_begin, comin_ftnlist_is_end, comin_ftnlist_iterator_value
  PUBLIC :: comin_ftnlist_iterator_next, comin_ftnlist_iterator_delete
  PUBLIC :: t_comin_var_metadata_iterator, comin_metadata_get_iterator
  PUBLIC :: comin_host_errhandler_fct, comin_glb2loc_index_lookup_fct
  PUBLIC :: comin_var_sync_device_mem_fct, comin_var_sync_halo_fct
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
    !> The host's finish routine: ComIn expects it to call EP_FINISH and abort.
    SUBROUTINE comin_host_errhandler_fct(routine, text)
      CHARACTER(LEN=*), INTENT(IN) :: routine, text
    END SUBROUTINE comin_host_errhandler_fct
    !> Global to local cell index of domain jg (both 1-based; <= 0: not on this rank).
    FUNCTION comin_glb2loc_index_lookup_fct(jg, global_idx) RESULT(local_idx)
      INTEGER, INTENT(IN) :: jg, global_idx
      INTEGER :: local_idx
    END FUNCTION comin_glb2loc_index_lookup_fct
    !> Device copy of a variable; direction .TRUE.: host -> device.
    SUBROUTINE comin_var_sync_device_mem_fct(handle, direction)
      IMPORT :: t_comin_var_handle
      TYPE(t_comin_var_handle), INTENT(IN) :: handle
      LOGICAL, INTENT(IN) :: direction
    END SUBROUTINE comin_var_sync_device_mem_fct
    !> Halo exchange of a variable; mode COMIN_ZAXIS_2D or COMIN_ZAXIS_3D.
    SUBROUTINE comin_var_sync_halo_fct(handle, mode)
      IMPORT :: t_comin_var_handle
      TYPE(t_comin_var_handle), INTENT(IN) :: handle
      INTEGER, INTENT(IN) :: mode
    END SUBROUTINE comin_var_sync_halo_fct
  END INTERFACE

  !> The metadata store of a request (what comin_metadata_get_or reads): its position.
  TYPE :: t_comin_request_metadata
    INTEGER :: request = 0
  END TYPE t_comin_request_metadata

  !> One variable request of the plugins (ComIn 0.3's t_comin_request_item).
  TYPE :: t_comin_request_item
    TYPE(t_comin_var_descriptor) :: descriptor
    TYPE(t_comin_request_metadata) :: metadata
    INTEGER, ALLOCATABLE :: moduleID(:)           !< ids of the plugins that requested it
    LOGICAL :: lmodexclusive = .FALSE.
  END TYPE t_comin_request_item

  !> A position in the request list (comin_ftnlist_iterator_*).
  TYPE :: t_ftnlist_iterator
    INTEGER :: pos = 1
  END TYPE t_ftnlist_iterator

  !> The request list handed out by comin_request_get_list (built once: requests are
  !! final after the primary constructors); its length is the list handle's target.
  TYPE(t_comin_request_item), ALLOCATABLE, TARGET, SAVE :: request_items(:)
  INTEGER, TARGET, SAVE :: request_list_length = -1

  PROCEDURE(comin_host_errhandler_fct), POINTER, SAVE :: host_errhandler => NULL()
  PROCEDURE(comin_glb2loc_index_lookup_fct), POINTER, SAVE :: host_glb2loc => NULL()
  PROCEDURE(comin_var_sync_device_mem_fct), POINTER, SAVE :: host_sync_device => NULL()
  PROCEDURE(comin_var_sync_halo_fct), POINTER, SAVE :: host_sync_halo => NULL()

  ! PUBLIC lines, generic interfaces and BIND(C) interfaces of the C API (comin/_capi.py)
#include "comin_host_interface_spec.inc"

CONTAINS

#include "comin_c_helpers.inc"

  ! -- the generated procedures (comin/_capi.py): one C function each -----------------------
#include "comin_host_interface_procs.inc"

  ! -- the bridges libcomin calls the host's procedures through ------------------------------------

  SUBROUTINE errhandler_bridge(routine, text) BIND(C)
    TYPE(c_ptr), VALUE :: routine, text
    IF (ASSOCIATED(host_errhandler)) CALL host_errhandler(fstr(routine), fstr(text))
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
        request_items(i)%lmodexclusive = comin_request_get_lmodexclusive(i)
      END DO
      request_list_length = MAX(n, 0)
    END IF
    list = c_loc(request_list_length)
  END FUNCTION comin_request_get_list

  !> An iterator at the first item of list (delete it with comin_ftnlist_iterator_delete).
  SUBROUTINE comin_ftnlist_iterator_begin(list, it)
    TYPE(c_ptr), INTENT(IN) :: list
    TYPE(c_ptr), INTENT(OUT) :: it
    TYPE(t_ftnlist_iterator), POINTER :: p
    IF (.NOT. c_associated(list)) ERROR STOP "comin_ftnlist_iterator_begin: list not associated"
    ALLOCATE(p)
    it = c_loc(p)
  END SUBROUTINE comin_ftnlist_iterator_begin

  !> .TRUE. when it is past the last item of list.
  LOGICAL FUNCTION comin_ftnlist_is_end(list, it)
    TYPE(c_ptr), INTENT(IN) :: list, it
    INTEGER, POINTER :: n
    TYPE(t_ftnlist_iterator), POINTER :: p
    CALL c_f_pointer(list, n)
    CALL c_f_pointer(it, p)
    comin_ftnlist_is_end = p%pos > n
  END FUNCTION comin_ftnlist_is_end

  !> The item at it: C_F_POINTER(cptr, item) with TYPE(t_comin_request_item), POINTER :: item.
  SUBROUTINE comin_ftnlist_iterator_value(it, cptr)
    TYPE(c_ptr), INTENT(IN) :: it
    TYPE(c_ptr), INTENT(OUT) :: cptr
    TYPE(t_ftnlist_iterator), POINTER :: p
    CALL c_f_pointer(it, p)
    IF (p%pos < 1 .OR. p%pos > request_list_length) &
      &  ERROR STOP "comin_ftnlist_iterator_value: the iterator is at the end of the list"
    cptr = c_loc(request_items(p%pos))
  END SUBROUTINE comin_ftnlist_iterator_value

  SUBROUTINE comin_ftnlist_iterator_next(it)
    TYPE(c_ptr), INTENT(IN) :: it
    TYPE(t_ftnlist_iterator), POINTER :: p
    CALL c_f_pointer(it, p)
    p%pos = p%pos + 1
  END SUBROUTINE comin_ftnlist_iterator_next

  SUBROUTINE comin_ftnlist_iterator_delete(it)
    TYPE(c_ptr), INTENT(INOUT) :: it
    TYPE(t_ftnlist_iterator), POINTER :: p
    IF (.NOT. c_associated(it)) RETURN
    CALL c_f_pointer(it, p)
    DEALLOCATE(p)
    it = c_null_ptr
  END SUBROUTINE comin_ftnlist_iterator_delete

END MODULE comin_host_interface
