!> comin_host_interface: the host-side Fortran API of ComIn 0.3 (comin).
!!
!! Hand-written ISO_C_BINDING layer over libcomin's host functions (comin_host.h);
!! names and argument order are ComIn's, so an ICON-like host needs no change
!! beyond linking comin.  The first call starts an embedded Python interpreter
!! (inside libcomin) and loads the comin core; Python, C and Fortran plugins
!! then run as in the Python host.
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
    &                               comin_metadata_set, comin_metadata_get, comin_metadata_get_typeid, &
    &                               comin_callback_get_ep_name, comin_error_get, comin_error_reset, &
    &                               comin_error_set_errors_return, comin_error_get_message, &
    &                               comin_parallel_get_host_mpi_comm, comin_setup_get_version, &
    &                               t_comin_setup_version_info, t_comin_descrdata_global, &
    &                               t_comin_descrdata_domain, t_comin_descrdata_simulation_interval, &
    &                               t_comin_var_metadata_iterator, comin_metadata_get_iterator
  USE comin_host_descrdata, ONLY: comin_descrdata_set_global, comin_descrdata_set_domain
  IMPLICIT NONE
  PRIVATE

  PUBLIC :: wp, t_comin_var_descriptor, t_comin_var_handle, t_comin_plugin_description
  PUBLIC :: t_comin_setup_version_info, t_comin_descrdata_global, t_comin_descrdata_domain
  PUBLIC :: t_comin_descrdata_simulation_interval
  PUBLIC :: comin_setup_init, comin_setup_errhandler, comin_setup_set_verbosity_level
  PUBLIC :: comin_setup_get_verbosity_level, comin_setup_check, comin_setup_finalize
  PUBLIC :: comin_setup_get_version
  PUBLIC :: comin_descrdata_set_global, comin_descrdata_set_domain
  PUBLIC :: comin_descrdata_set_simulation_interval, comin_descrdata_set_timesteplength
  PUBLIC :: comin_descrdata_set_fct_glb2loc_cell, comin_descrdata_finalize
  PUBLIC :: comin_current_set_datetime, comin_parallel_mpi_handshake
  PUBLIC :: comin_parallel_get_host_mpi_comm, comin_plugin_primaryconstructor
  PUBLIC :: comin_request_get_list_size, comin_request_get_descriptor
  PUBLIC :: comin_request_get_lmodexclusive, comin_request_get_plugin_ids, comin_metadata_get_or
  PUBLIC :: t_comin_request_item, t_comin_request_metadata, comin_request_get_list
  PUBLIC :: comin_ftnlist_iterator_begin, comin_ftnlist_is_end, comin_ftnlist_iterator_value
  PUBLIC :: comin_ftnlist_iterator_next, comin_ftnlist_iterator_delete
  PUBLIC :: t_comin_var_metadata_iterator, comin_metadata_get_iterator
  PUBLIC :: comin_var_list_append, comin_var_set_cptr, comin_var_set_sync_device_mem
  PUBLIC :: comin_var_set_sync_halo, comin_var_list_finalize, comin_var_request_list_finalize
  PUBLIC :: comin_var_descr_list_finalize, comin_callback_context_call, comin_callback_get_ep_name
  PUBLIC :: comin_metadata_set, comin_metadata_get, comin_metadata_get_typeid
  PUBLIC :: comin_error_get, comin_error_reset, comin_error_set_errors_return
  PUBLIC :: comin_error_get_message
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
  TYPE, BIND(C) :: t_descr_c
    CHARACTER(KIND=c_char) :: name(COMIN_MAX_LEN_VAR_NAME + 1)
    INTEGER(c_int) :: id
  END TYPE t_descr_c

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

  INTERFACE comin_metadata_get_or
    MODULE PROCEDURE comin_metadata_get_or_integer, comin_metadata_get_or_real, &
      &              comin_metadata_get_or_logical, comin_metadata_get_or_character
    MODULE PROCEDURE store_get_or_integer, store_get_or_real, store_get_or_logical, &
      &              store_get_or_character
  END INTERFACE comin_metadata_get_or

  !> The C functions of comin_host.h (and comin_callback_context_call of comin.h).
  INTERFACE
    SUBROUTINE c_setup_init(lstdout) BIND(C, name="comin_setup_init")
      IMPORT :: c_bool
      LOGICAL(c_bool), VALUE :: lstdout
    END SUBROUTINE c_setup_init
    SUBROUTINE c_setup_errhandler(fct) BIND(C, name="comin_setup_errhandler")
      IMPORT :: c_funptr
      TYPE(c_funptr), VALUE :: fct
    END SUBROUTINE c_setup_errhandler
    SUBROUTINE c_setup_set_verbosity_level(iverbosity) BIND(C, name="comin_setup_set_verbosity_level")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: iverbosity
    END SUBROUTINE c_setup_set_verbosity_level
    FUNCTION c_setup_get_verbosity_level() BIND(C, name="comin_setup_get_verbosity_level")
      IMPORT :: c_int
      INTEGER(c_int) :: c_setup_get_verbosity_level
    END FUNCTION c_setup_get_verbosity_level
    SUBROUTINE c_setup_check(name, wp) BIND(C, name="comin_setup_check")
      IMPORT :: c_int, c_char
      CHARACTER(KIND=c_char) :: name(*)
      INTEGER(c_int), VALUE :: wp
    END SUBROUTINE c_setup_check
    SUBROUTINE comin_setup_finalize() BIND(C, name="comin_setup_finalize")
    END SUBROUTINE comin_setup_finalize
    SUBROUTINE c_descrdata_set_simulation_interval(exp_start, exp_stop, run_start, run_stop) &
      &  BIND(C, name="comin_descrdata_set_simulation_interval")
      IMPORT :: c_char
      CHARACTER(KIND=c_char) :: exp_start(*), exp_stop(*), run_start(*), run_stop(*)
    END SUBROUTINE c_descrdata_set_simulation_interval
    SUBROUTINE c_descrdata_set_timesteplength(jg, dt) BIND(C, name="comin_descrdata_set_timesteplength")
      IMPORT :: c_int, c_double
      INTEGER(c_int), VALUE :: jg
      REAL(c_double), VALUE :: dt
    END SUBROUTINE c_descrdata_set_timesteplength
    SUBROUTINE c_descrdata_set_fct_glb2loc_cell(fct) BIND(C, name="comin_descrdata_set_fct_glb2loc_cell")
      IMPORT :: c_funptr
      TYPE(c_funptr), VALUE :: fct
    END SUBROUTINE c_descrdata_set_fct_glb2loc_cell
    SUBROUTINE comin_descrdata_finalize() BIND(C, name="comin_descrdata_finalize")
    END SUBROUTINE comin_descrdata_finalize
    SUBROUTINE c_current_set_datetime(datetime) BIND(C, name="comin_current_set_datetime")
      IMPORT :: c_char
      CHARACTER(KIND=c_char) :: datetime(*)
    END SUBROUTINE c_current_set_datetime
    SUBROUTINE c_parallel_mpi_handshake(comm, n_group_names, group_names, component_name) &
      &  BIND(C, name="comin_parallel_mpi_handshake")
      IMPORT :: c_int, c_char, c_ptr
      INTEGER(c_int), VALUE :: comm, n_group_names
      TYPE(c_ptr) :: group_names(*)
      CHARACTER(KIND=c_char) :: component_name(*)
    END SUBROUTINE c_parallel_mpi_handshake
    SUBROUTINE c_plugin_primaryconstructor(plugin_list, num_plugins) &
      &  BIND(C, name="comin_plugin_primaryconstructor")
      IMPORT :: c_int, t_plugin_description_c
      TYPE(t_plugin_description_c), INTENT(IN) :: plugin_list(*)
      INTEGER(c_int), VALUE :: num_plugins
    END SUBROUTINE c_plugin_primaryconstructor
    FUNCTION c_request_get_list_size() BIND(C, name="comin_request_get_list_size")
      IMPORT :: c_int
      INTEGER(c_int) :: c_request_get_list_size
    END FUNCTION c_request_get_list_size
    SUBROUTINE c_request_get_descriptor(i, descr) BIND(C, name="comin_request_get_descriptor")
      IMPORT :: c_int, t_descr_c
      INTEGER(c_int), VALUE :: i
      TYPE(t_descr_c), INTENT(OUT) :: descr
    END SUBROUTINE c_request_get_descriptor
    FUNCTION c_request_get_lmodexclusive(i) BIND(C, name="comin_request_get_lmodexclusive")
      IMPORT :: c_int, c_bool
      INTEGER(c_int), VALUE :: i
      LOGICAL(c_bool) :: c_request_get_lmodexclusive
    END FUNCTION c_request_get_lmodexclusive
    FUNCTION c_request_get_plugin_ids(i, ids, max_ids) BIND(C, name="comin_request_get_plugin_ids")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: i, max_ids
      INTEGER(c_int), INTENT(OUT) :: ids(*)
      INTEGER(c_int) :: c_request_get_plugin_ids
    END FUNCTION c_request_get_plugin_ids
    FUNCTION c_request_metadata_get_or_integer(i, key, default_val) &
      &  BIND(C, name="comin_request_metadata_get_or_integer")
      IMPORT :: c_int, c_char
      INTEGER(c_int), VALUE :: i, default_val
      CHARACTER(KIND=c_char) :: key(*)
      INTEGER(c_int) :: c_request_metadata_get_or_integer
    END FUNCTION c_request_metadata_get_or_integer
    FUNCTION c_request_metadata_get_or_real(i, key, default_val) &
      &  BIND(C, name="comin_request_metadata_get_or_real")
      IMPORT :: c_int, c_char, c_double
      INTEGER(c_int), VALUE :: i
      CHARACTER(KIND=c_char) :: key(*)
      REAL(c_double), VALUE :: default_val
      REAL(c_double) :: c_request_metadata_get_or_real
    END FUNCTION c_request_metadata_get_or_real
    FUNCTION c_request_metadata_get_or_logical(i, key, default_val) &
      &  BIND(C, name="comin_request_metadata_get_or_logical")
      IMPORT :: c_int, c_char, c_bool
      INTEGER(c_int), VALUE :: i
      CHARACTER(KIND=c_char) :: key(*)
      LOGICAL(c_bool), VALUE :: default_val
      LOGICAL(c_bool) :: c_request_metadata_get_or_logical
    END FUNCTION c_request_metadata_get_or_logical
    SUBROUTINE c_request_metadata_get_or_character(i, key, default_val, val, len) &
      &  BIND(C, name="comin_request_metadata_get_or_character")
      IMPORT :: c_int, c_char, c_ptr
      INTEGER(c_int), VALUE :: i
      CHARACTER(KIND=c_char) :: key(*), default_val(*)
      TYPE(c_ptr), INTENT(OUT) :: val
      INTEGER(c_int), INTENT(OUT) :: len
    END SUBROUTINE c_request_metadata_get_or_character
    FUNCTION c_var_list_append(descr, cptr, device_ptr, array_shape, type_id, dim_semantics, &
      &                        lcontainer, ncontained) BIND(C, name="comin_var_list_append")
      IMPORT :: c_int, c_ptr, c_bool, t_descr_c
      TYPE(t_descr_c), VALUE :: descr
      TYPE(c_ptr), VALUE :: cptr, device_ptr
      INTEGER(c_int), INTENT(IN) :: array_shape(5), dim_semantics(5)
      INTEGER(c_int), VALUE :: type_id, ncontained
      LOGICAL(c_bool), VALUE :: lcontainer
      TYPE(c_ptr) :: c_var_list_append
    END FUNCTION c_var_list_append
    SUBROUTINE c_var_set_cptr(handle, cptr, device_ptr) BIND(C, name="comin_var_set_cptr")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: handle, cptr, device_ptr
    END SUBROUTINE c_var_set_cptr
    SUBROUTINE c_var_set_sync_device_mem(fct) BIND(C, name="comin_var_set_sync_device_mem")
      IMPORT :: c_funptr
      TYPE(c_funptr), VALUE :: fct
    END SUBROUTINE c_var_set_sync_device_mem
    SUBROUTINE c_var_set_sync_halo(fct) BIND(C, name="comin_var_set_sync_halo")
      IMPORT :: c_funptr
      TYPE(c_funptr), VALUE :: fct
    END SUBROUTINE c_var_set_sync_halo
    SUBROUTINE comin_var_list_finalize() BIND(C, name="comin_var_list_finalize")
    END SUBROUTINE comin_var_list_finalize
    SUBROUTINE comin_var_request_list_finalize() BIND(C, name="comin_var_request_list_finalize")
    END SUBROUTINE comin_var_request_list_finalize
    SUBROUTINE comin_var_descr_list_finalize() BIND(C, name="comin_var_descr_list_finalize")
    END SUBROUTINE comin_var_descr_list_finalize
    SUBROUTINE c_callback_context_call(ep, domain_id, lacc) BIND(C, name="comin_callback_context_call")
      IMPORT :: c_int, c_bool
      INTEGER(c_int), VALUE :: ep, domain_id
      LOGICAL(c_bool), VALUE :: lacc
    END SUBROUTINE c_callback_context_call
  END INTERFACE

CONTAINS

  ! -- helpers --------------------------------------------------------------------------------

  !> s as a NUL-terminated C string (trailing blanks removed).
  FUNCTION cstr(s) RESULT(c)
    CHARACTER(LEN=*), INTENT(IN) :: s
    CHARACTER(KIND=c_char, LEN=LEN_TRIM(s) + 1) :: c
    c = TRIM(s) // c_null_char
  END FUNCTION cstr

  !> Copy of the NUL-terminated C string at p.
  FUNCTION fstr(p) RESULT(s)
    TYPE(c_ptr), INTENT(IN) :: p
    CHARACTER(LEN=:), ALLOCATABLE :: s
    CHARACTER(KIND=c_char), POINTER :: chars(:)
    INTEGER :: n
    IF (.NOT. c_associated(p)) THEN
      s = ""
      RETURN
    END IF
    CALL c_f_pointer(p, chars, [HUGE(0)])
    n = 0
    DO WHILE (chars(n + 1) /= c_null_char)
      n = n + 1
    END DO
    ALLOCATE(CHARACTER(LEN=n) :: s)
    s = TRANSFER(chars(1:n), s)
  END FUNCTION fstr

  !> Copy of the len characters at p.
  FUNCTION fstr_len(p, len) RESULT(s)
    TYPE(c_ptr), INTENT(IN) :: p
    INTEGER(c_int), INTENT(IN) :: len
    CHARACTER(LEN=:), ALLOCATABLE :: s
    CHARACTER(KIND=c_char), POINTER :: chars(:)
    ALLOCATE(CHARACTER(LEN=MAX(len, 0)) :: s)
    IF (len <= 0 .OR. .NOT. c_associated(p)) RETURN
    CALL c_f_pointer(p, chars, [len])
    s = TRANSFER(chars(1:len), s)
  END FUNCTION fstr_len

  !> The C descriptor of a Fortran descriptor (name trimmed, left-adjusted, at most 64 characters).
  SUBROUTINE descr_to_c(descr, c)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    TYPE(t_descr_c), INTENT(OUT) :: c
    CHARACTER(LEN=:), ALLOCATABLE :: name
    INTEGER :: i
    c%name = c_null_char
    name = ""
    IF (ALLOCATED(descr%name)) name = TRIM(ADJUSTL(descr%name))
    DO i = 1, MIN(LEN(name), COMIN_MAX_LEN_VAR_NAME)
      c%name(i) = name(i:i)
    END DO
    c%id = INT(descr%id, c_int)
  END SUBROUTINE descr_to_c

  !> The Fortran descriptor of a C descriptor.
  SUBROUTINE descr_from_c(c, descr)
    TYPE(t_descr_c), INTENT(IN) :: c
    TYPE(t_comin_var_descriptor), INTENT(OUT) :: descr
    INTEGER :: i, n
    n = 0
    DO WHILE (n < COMIN_MAX_LEN_VAR_NAME .AND. c%name(n + 1) /= c_null_char)
      n = n + 1
    END DO
    ALLOCATE(CHARACTER(LEN=n) :: descr%name)
    DO i = 1, n
      descr%name(i:i) = c%name(i)
    END DO
    descr%id = INT(c%id)
  END SUBROUTINE descr_from_c

  ! -- setup ----------------------------------------------------------------------------------

  !> Create ComIn's state (the first ComIn call of a host); lstdout: this rank prints.
  SUBROUTINE comin_setup_init(lstdout)
    LOGICAL, INTENT(IN) :: lstdout
    CALL c_setup_init(LOGICAL(lstdout, c_bool))
  END SUBROUTINE comin_setup_init

  !> The host's finish routine (routine, text).
  SUBROUTINE comin_setup_errhandler(error_handler)
    PROCEDURE(comin_host_errhandler_fct) :: error_handler
    host_errhandler => error_handler
    CALL c_setup_errhandler(c_funloc(errhandler_bridge))
  END SUBROUTINE comin_setup_errhandler

  SUBROUTINE errhandler_bridge(routine, text) BIND(C)
    TYPE(c_ptr), VALUE :: routine, text
    IF (ASSOCIATED(host_errhandler)) CALL host_errhandler(fstr(routine), fstr(text))
  END SUBROUTINE errhandler_bridge

  SUBROUTINE comin_setup_set_verbosity_level(iverbosity)
    INTEGER, INTENT(IN) :: iverbosity
    CALL c_setup_set_verbosity_level(INT(iverbosity, c_int))
  END SUBROUTINE comin_setup_set_verbosity_level

  INTEGER FUNCTION comin_setup_get_verbosity_level()
    comin_setup_get_verbosity_level = c_setup_get_verbosity_level()
  END FUNCTION comin_setup_get_verbosity_level

  !> Check the error handler and that the host's working precision wp (a REAL kind) is C double.
  SUBROUTINE comin_setup_check(name, wp)
    CHARACTER(LEN=*), INTENT(IN) :: name
    INTEGER, INTENT(IN) :: wp
    CALL c_setup_check(cstr(name), INT(wp, c_int))     ! gfortran: a REAL kind is its byte size
  END SUBROUTINE comin_setup_check

  ! -- descriptive data -----------------------------------------------------------------------

  SUBROUTINE comin_descrdata_set_simulation_interval(simulation_interval)
    TYPE(t_comin_descrdata_simulation_interval), INTENT(IN) :: simulation_interval
    CALL c_descrdata_set_simulation_interval(cstr(simulation_interval%exp_start), &
      &  cstr(simulation_interval%exp_stop), cstr(simulation_interval%run_start), &
      &  cstr(simulation_interval%run_stop))
  END SUBROUTINE comin_descrdata_set_simulation_interval

  SUBROUTINE comin_descrdata_set_timesteplength(jg, dt)
    INTEGER, INTENT(IN) :: jg
    REAL(wp), INTENT(IN) :: dt
    CALL c_descrdata_set_timesteplength(INT(jg, c_int), REAL(dt, c_double))
  END SUBROUTINE comin_descrdata_set_timesteplength

  SUBROUTINE comin_descrdata_set_fct_glb2loc_cell(fct)
    PROCEDURE(comin_glb2loc_index_lookup_fct) :: fct
    host_glb2loc => fct
    CALL c_descrdata_set_fct_glb2loc_cell(c_funloc(glb2loc_bridge))
  END SUBROUTINE comin_descrdata_set_fct_glb2loc_cell

  FUNCTION glb2loc_bridge(jg, global_idx) RESULT(loc) BIND(C)
    INTEGER(c_int), VALUE :: jg, global_idx
    INTEGER(c_int) :: loc
    loc = INT(host_glb2loc(INT(jg), INT(global_idx)), c_int)
  END FUNCTION glb2loc_bridge

  ! -- current state, parallel ----------------------------------------------------------------

  SUBROUTINE comin_current_set_datetime(datetime)
    CHARACTER(LEN=*), INTENT(IN) :: datetime
    CALL c_current_set_datetime(cstr(datetime))
  END SUBROUTINE comin_current_set_datetime

  !> Hand the host's communicator (Fortran handle) to comin; the plugin communicators
  !! are split from it when the primary constructors run.  group_names must be blank.
  SUBROUTINE comin_parallel_mpi_handshake(comm, group_names, component_name)
    INTEGER, INTENT(IN) :: comm
    CHARACTER(LEN=*), INTENT(IN) :: group_names(:)
    CHARACTER(LEN=*), INTENT(IN) :: component_name
    TYPE(t_cstring), ALLOCATABLE, TARGET :: keep(:)
    TYPE(c_ptr), ALLOCATABLE :: names(:)
    INTEGER :: i
    ALLOCATE(keep(MAX(SIZE(group_names), 1)), names(MAX(SIZE(group_names), 1)))
    names = c_null_ptr
    DO i = 1, SIZE(group_names)
      CALL keep_string(keep(i), group_names(i), names(i))
    END DO
    CALL c_parallel_mpi_handshake(INT(comm, c_int), INT(SIZE(group_names), c_int), names, &
      &                           cstr(component_name))
  END SUBROUTINE comin_parallel_mpi_handshake

  ! -- plugins --------------------------------------------------------------------------------

  !> Load every plugin of the list in order and run its primary constructor.
  SUBROUTINE comin_plugin_primaryconstructor(plugin_list)
    TYPE(t_comin_plugin_description), INTENT(IN) :: plugin_list(:)
    TYPE(t_plugin_description_c), ALLOCATABLE :: c_list(:)
    TYPE(t_cstring), ALLOCATABLE, TARGET :: keep(:, :)
    INTEGER :: i, n
    n = SIZE(plugin_list)
    ALLOCATE(c_list(MAX(n, 1)), keep(5, MAX(n, 1)))
    DO i = 1, n
      CALL keep_string(keep(1, i), plugin_list(i)%name, c_list(i)%name)
      CALL keep_string(keep(2, i), plugin_list(i)%plugin_library, c_list(i)%plugin_library)
      CALL keep_string(keep(3, i), plugin_list(i)%primary_constructor, c_list(i)%primary_constructor)
      CALL keep_string(keep(4, i), plugin_list(i)%options, c_list(i)%options)
      CALL keep_string(keep(5, i), plugin_list(i)%comm, c_list(i)%comm)
      c_list(i)%log_debug = LOGICAL(plugin_list(i)%log_debug, c_bool)
      c_list(i)%log_info = LOGICAL(plugin_list(i)%log_info, c_bool)
      c_list(i)%log_warning = LOGICAL(plugin_list(i)%log_warning, c_bool)
    END DO
    CALL c_plugin_primaryconstructor(c_list, INT(n, c_int))
  END SUBROUTINE comin_plugin_primaryconstructor

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

  ! -- requests -------------------------------------------------------------------------------

  !> Number of variable requests of the plugins (after the primary constructors).
  INTEGER FUNCTION comin_request_get_list_size()
    comin_request_get_list_size = c_request_get_list_size()
  END FUNCTION comin_request_get_list_size

  !> Descriptor of request i (1-based, request order).
  SUBROUTINE comin_request_get_descriptor(i, descr)
    INTEGER, INTENT(IN) :: i
    TYPE(t_comin_var_descriptor), INTENT(OUT) :: descr
    TYPE(t_descr_c) :: c
    c%name = c_null_char
    c%id = -1
    CALL c_request_get_descriptor(INT(i, c_int), c)
    CALL descr_from_c(c, descr)
  END SUBROUTINE comin_request_get_descriptor

  LOGICAL FUNCTION comin_request_get_lmodexclusive(i)
    INTEGER, INTENT(IN) :: i
    comin_request_get_lmodexclusive = LOGICAL(c_request_get_lmodexclusive(INT(i, c_int)))
  END FUNCTION comin_request_get_lmodexclusive

  !> Ids of the plugins that made request i (ComIn's moduleID).
  SUBROUTINE comin_request_get_plugin_ids(i, ids)
    INTEGER, INTENT(IN) :: i
    INTEGER, ALLOCATABLE, INTENT(OUT) :: ids(:)
    INTEGER(c_int) :: buf(256), n
    n = c_request_get_plugin_ids(INT(i, c_int), buf, 256_c_int)
    ALLOCATE(ids(MIN(n, 256)))
    ids = INT(buf(1:SIZE(ids)))
  END SUBROUTINE comin_request_get_plugin_ids

  SUBROUTINE comin_metadata_get_or_integer(i, key, val, default)
    INTEGER, INTENT(IN) :: i
    CHARACTER(LEN=*), INTENT(IN) :: key
    INTEGER, INTENT(OUT) :: val
    INTEGER, INTENT(IN) :: default
    val = INT(c_request_metadata_get_or_integer(INT(i, c_int), cstr(key), INT(default, c_int)))
  END SUBROUTINE comin_metadata_get_or_integer

  SUBROUTINE comin_metadata_get_or_real(i, key, val, default)
    INTEGER, INTENT(IN) :: i
    CHARACTER(LEN=*), INTENT(IN) :: key
    REAL(wp), INTENT(OUT) :: val
    REAL(wp), INTENT(IN) :: default
    val = REAL(c_request_metadata_get_or_real(INT(i, c_int), cstr(key), REAL(default, c_double)), wp)
  END SUBROUTINE comin_metadata_get_or_real

  SUBROUTINE comin_metadata_get_or_logical(i, key, val, default)
    INTEGER, INTENT(IN) :: i
    CHARACTER(LEN=*), INTENT(IN) :: key
    LOGICAL, INTENT(OUT) :: val
    LOGICAL, INTENT(IN) :: default
    val = LOGICAL(c_request_metadata_get_or_logical(INT(i, c_int), cstr(key), LOGICAL(default, c_bool)))
  END SUBROUTINE comin_metadata_get_or_logical

  SUBROUTINE comin_metadata_get_or_character(i, key, val, default)
    INTEGER, INTENT(IN) :: i
    CHARACTER(LEN=*), INTENT(IN) :: key
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(OUT) :: val
    CHARACTER(LEN=*), INTENT(IN) :: default
    TYPE(c_ptr) :: p
    INTEGER(c_int) :: n
    CHARACTER(KIND=c_char, LEN=LEN_TRIM(default) + 1), TARGET :: dflt
    dflt = cstr(default)
    CALL c_request_metadata_get_or_character(INT(i, c_int), cstr(key), dflt, p, n)
    val = fstr_len(p, n)
  END SUBROUTINE comin_metadata_get_or_character

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

  !> comin_metadata_get_or(item%metadata, key, val, default): the request's value of key,
  !! default when the key is absent, ComIn's code 36 when it has another type.
  SUBROUTINE store_get_or_integer(store, key, val, default)
    TYPE(t_comin_request_metadata), INTENT(IN) :: store
    CHARACTER(LEN=*), INTENT(IN) :: key
    INTEGER, INTENT(OUT) :: val
    INTEGER, INTENT(IN) :: default
    CALL comin_metadata_get_or_integer(store%request, key, val, default)
  END SUBROUTINE store_get_or_integer

  SUBROUTINE store_get_or_real(store, key, val, default)
    TYPE(t_comin_request_metadata), INTENT(IN) :: store
    CHARACTER(LEN=*), INTENT(IN) :: key
    REAL(wp), INTENT(OUT) :: val
    REAL(wp), INTENT(IN) :: default
    CALL comin_metadata_get_or_real(store%request, key, val, default)
  END SUBROUTINE store_get_or_real

  SUBROUTINE store_get_or_logical(store, key, val, default)
    TYPE(t_comin_request_metadata), INTENT(IN) :: store
    CHARACTER(LEN=*), INTENT(IN) :: key
    LOGICAL, INTENT(OUT) :: val
    LOGICAL, INTENT(IN) :: default
    CALL comin_metadata_get_or_logical(store%request, key, val, default)
  END SUBROUTINE store_get_or_logical

  SUBROUTINE store_get_or_character(store, key, val, default)
    TYPE(t_comin_request_metadata), INTENT(IN) :: store
    CHARACTER(LEN=*), INTENT(IN) :: key
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(OUT) :: val
    CHARACTER(LEN=*), INTENT(IN) :: default
    CALL comin_metadata_get_or_character(store%request, key, val, default)
  END SUBROUTINE store_get_or_character

  ! -- variables ------------------------------------------------------------------------------

  !> Expose a host field (ComIn 0.3's comin_var_list_append): cptr = c_loc of the field
  !! (Fortran order), array_shape and dim_semantics 5 entries, type_id
  !! COMIN_VAR_DATATYPE_*, ncontained Fortran-style (1-based position; container: count).
  SUBROUTINE comin_var_list_append(descr, cptr, device_ptr, array_shape, type_id, dim_semantics, &
    &                              lcontainer, ncontained, var_handle)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    TYPE(c_ptr), INTENT(IN) :: cptr, device_ptr
    INTEGER, INTENT(IN) :: array_shape(5), type_id, dim_semantics(5)
    LOGICAL, INTENT(IN) :: lcontainer
    INTEGER, INTENT(IN) :: ncontained
    TYPE(t_comin_var_handle), INTENT(OUT) :: var_handle
    TYPE(t_descr_c) :: c
    CALL descr_to_c(descr, c)
    var_handle%ptr = c_var_list_append(c, cptr, device_ptr, INT(array_shape, c_int), INT(type_id, c_int), &
      &  INT(dim_semantics, c_int), LOGICAL(lcontainer, c_bool), INT(ncontained, c_int))
  END SUBROUTINE comin_var_list_append

  !> Re-point an exposed variable (e.g. a time-level swap); same shape and type.
  SUBROUTINE comin_var_set_cptr(var_handle, cptr, device_ptr)
    TYPE(t_comin_var_handle), INTENT(IN) :: var_handle
    TYPE(c_ptr), INTENT(IN) :: cptr
    TYPE(c_ptr), INTENT(IN), OPTIONAL :: device_ptr
    IF (PRESENT(device_ptr)) THEN
      CALL c_var_set_cptr(var_handle%ptr, cptr, device_ptr)
    ELSE
      CALL c_var_set_cptr(var_handle%ptr, cptr, c_null_ptr)
    END IF
  END SUBROUTINE comin_var_set_cptr

  SUBROUTINE comin_var_set_sync_device_mem(fct)
    PROCEDURE(comin_var_sync_device_mem_fct) :: fct
    host_sync_device => fct
    CALL c_var_set_sync_device_mem(c_funloc(sync_device_bridge))
  END SUBROUTINE comin_var_set_sync_device_mem

  SUBROUTINE sync_device_bridge(handle, direction) BIND(C)
    TYPE(c_ptr), VALUE :: handle
    LOGICAL(c_bool), VALUE :: direction
    TYPE(t_comin_var_handle) :: h
    h%ptr = handle
    CALL host_sync_device(h, LOGICAL(direction))
  END SUBROUTINE sync_device_bridge

  SUBROUTINE comin_var_set_sync_halo(fct)
    PROCEDURE(comin_var_sync_halo_fct) :: fct
    host_sync_halo => fct
    CALL c_var_set_sync_halo(c_funloc(sync_halo_bridge))
  END SUBROUTINE comin_var_set_sync_halo

  SUBROUTINE sync_halo_bridge(handle, mode) BIND(C)
    TYPE(c_ptr), VALUE :: handle
    INTEGER(c_int), VALUE :: mode
    TYPE(t_comin_var_handle) :: h
    h%ptr = handle
    CALL host_sync_halo(h, INT(mode))
  END SUBROUTINE sync_halo_bridge

  ! -- entry points ---------------------------------------------------------------------------

  !> Call entry point ep for domain domain_id (COMIN_DOMAIN_OUTSIDE_LOOP outside a domain loop).
  SUBROUTINE comin_callback_context_call(ep, domain_id, lacc)
    INTEGER, INTENT(IN) :: ep, domain_id
    LOGICAL, INTENT(IN) :: lacc
    CALL c_callback_context_call(INT(ep, c_int), INT(domain_id, c_int), LOGICAL(lacc, c_bool))
  END SUBROUTINE comin_callback_context_call

END MODULE comin_host_interface
