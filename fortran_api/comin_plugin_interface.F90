!> comin_plugin_interface: the plugin-side Fortran API of ComIn 0.3 (comin).
!!
!! Hand-written; a thin ISO_C_BINDING layer over the C ABI of libcomin (comin.h,
!! link with -lcomin).  Compile after the generated comin_constants.F90 (every
!! constant as INTEGER(c_int), PARAMETER; re-exported here with wp = c_double) and
!! comin_descrdata_types.F90 (the descriptive-data derived types).  The package
!! ships the three compiled into libcomin_fortran.so with their .mod files
!! (comin-config --fflags --flibs, CMake comin::comin_fortran) and as sources
!! (comin-config --fsources).
!!
!! C functions bound here (BIND(C) interfaces, all PRIVATE):
!!   comin_callback_register, comin_callback_get_ep_name,
!!   comin_current_get_ep, comin_current_get_domain_id, comin_current_get_plugin_id,
!!   comin_current_get_plugin_name/_options/_comm, comin_current_get_datetime,
!!   comin_var_request_add, comin_var_get, comin_var_get_ptr_double/_float/_int,
!!   comin_var_get_device_ptr(_double/_float/_int),
!!   comin_var_get_shape, comin_var_get_dim_semantics, comin_var_get_ncontained,
!!   comin_var_get_descriptor, comin_var_get_lcontainer (a comin extension),
!!   comin_var_get_descr_list_head/_next/_var_desc, comin_var_descr_list_iterator_delete,
!!   comin_metadata_get_iterator_begin/_end, comin_metadata_iterator_get_key/_compare/
!!   _next/_delete, comin_current_get_plugin_flags (a comin extension),
!!   comin_metadata_set_integer/_logical/_real/_character,
!!   comin_metadata_get_integer/_logical/_real/_character, comin_metadata_get_typeid,
!!   comin_descrdata_get_index/_block, comin_descrdata_get_cell/edge/vert_indices,
!!   comin_descrdata_get_cell/edge/vert_npromz, comin_descrdata_get_timesteplength,
!!   comin_descrdata_index_lookup_glb2loc_cell,
!!   comin_parallel_get_host_mpi_rank/_comm, comin_parallel_get_plugin_mpi_comm,
!!   comin_plugin_finish, comin_print_info/_debug/_warning,
!!   comin_error_get, comin_error_reset, comin_error_set_errors_return,
!!   comin_error_get_message, comin_error_check,
!!   and (through the generated module comin_descrdata_types) every descriptive-data
!!   getter comin_descrdata_get_global_<f>, _get_domain_<f>, _get_domain_<grid>_<f>,
!!   _get_simulation_interval_<f>.
!! comin_setup_get_version is static inline in C: here it is built from the constants.
!!
!! Conventions:
!!   * Strings from C (char const** val, int* len; not NUL-terminated) are copied into
!!     an allocatable CHARACTER(LEN=:) of exactly len characters.
!!   * Strings to C are passed as TRIM(s)//c_null_char.
!!   * Logicals cross the interface as LOGICAL(c_bool); the Fortran side takes and
!!     returns default LOGICAL.
!!   * Output arguments of the C functions are INTENT(INOUT) in their interfaces: a
!!     failing call (errors_return on) leaves them unwritten, so the values set before
!!     the call must survive (with INTENT(OUT) the compiler may drop those stores).
!!   * t_comin_var_descriptor (deferred-length name, id) is converted to the C struct
!!     { char name[65]; int id; }, which is passed by value.
!!   * ncontained follows the Fortran convention (C value + 1; 0 = not a container).
!!   * Entry points, flags, error codes etc. are INTEGER(c_int) (C enums are int).
!!   * Callbacks are BIND(C) subroutines without arguments, registered via c_funloc;
!!     BIND(C, name="") keeps a module procedure's callback without a global symbol.
!!   * Failing calls (errors_return on) leave neutral values: INTENT(OUT) results 0,
!!     .FALSE., '' or NULL pointers, an invalid handle (handle%valid() is .FALSE.).
!!     Methods of an invalid handle reach the C API, which reports
!!     COMIN_ERROR_POINTER_NOT_ASSOCIATED (get_ptr gives a NULL pointer, as in C).
!!   * gfortran 12 at -O1 and above loses the length of TRIM(x) for a non-constant x in
!!     the structure constructor t_comin_var_descriptor(TRIM(x), id) (the name gets x's
!!     full length or garbage); set the components instead: d%name = TRIM(x); d%id = id.
!!   * comin_descrdata_get_global/_domain/_simulation_interval return pointers to
!!     module variables refreshed on every call; their array components point at
!!     the host's (the core's) arrays.
!!
!! ComIn 0.2-only procedures are not provided: comin_var_to_3d(var) (0.3: handle%to_3d),
!! comin_setup_get_verbosity_level, t_comin_var_ptr, the typed descriptor list
!! t_comin_var_descr_list_item.
MODULE comin_plugin_interface
  USE, INTRINSIC :: iso_c_binding, ONLY: c_int, c_double, c_float, c_bool, c_char, c_ptr, &
    &                                    c_funptr, c_null_char, c_null_ptr, c_associated, &
    &                                    c_f_pointer, c_funloc
  USE comin_constants
  USE comin_descrdata_types, ONLY: t_comin_descrdata_global, t_comin_descrdata_domain, &
    &                              t_comin_descrdata_domain_cells, &
    &                              t_comin_descrdata_domain_edges, &
    &                              t_comin_descrdata_domain_verts, &
    &                              t_comin_descrdata_simulation_interval, &
    &                              comin_descrdata_fill_global, comin_descrdata_fill_domain, &
    &                              comin_descrdata_fill_simulation_interval
  IMPLICIT NONE
  PRIVATE

  PUBLIC :: wp
  ! all of comin_constants
#include "comin_constants_public.inc"
  ! types and procedures
  PUBLIC :: t_comin_var_descriptor, t_comin_var_handle, t_comin_plugin_info
  PUBLIC :: t_comin_setup_version_info, comin_callback_register, comin_callback_get_ep_name
  PUBLIC :: comin_current_get_ep, comin_current_get_domain_id, comin_current_get_datetime
  PUBLIC :: comin_current_get_plugin_info, comin_var_request_add, comin_var_get
  PUBLIC :: comin_metadata_set, comin_metadata_get, comin_metadata_get_typeid
  PUBLIC :: comin_descrdata_get_index, comin_descrdata_get_block
  PUBLIC :: comin_descrdata_get_cell_indices, comin_descrdata_get_edge_indices
  PUBLIC :: comin_descrdata_get_vert_indices, comin_descrdata_get_cell_npromz
  PUBLIC :: comin_descrdata_get_edge_npromz, comin_descrdata_get_vert_npromz
  PUBLIC :: comin_descrdata_get_timesteplength, comin_descrdata_index_lookup_glb2loc_cell
  PUBLIC :: comin_parallel_get_host_mpi_rank, comin_parallel_get_host_mpi_comm
  PUBLIC :: comin_parallel_get_plugin_mpi_comm, comin_plugin_finish, comin_print_info
  PUBLIC :: comin_print_debug, comin_print_warning, comin_error_get, comin_error_reset
  PUBLIC :: comin_error_set_errors_return, comin_setup_get_version
  PUBLIC :: comin_error_get_message, comin_error_check
  PUBLIC :: comin_var_get_descr_list_head, comin_var_get_descr_list_next
  PUBLIC :: comin_var_get_descr_list_var_desc, comin_var_descr_list_iterator_delete
  PUBLIC :: t_comin_var_metadata_iterator, comin_metadata_get_iterator
  PUBLIC :: t_comin_descrdata_global, t_comin_descrdata_domain, t_comin_descrdata_domain_cells
  PUBLIC :: t_comin_descrdata_domain_edges, t_comin_descrdata_domain_verts
  PUBLIC :: t_comin_descrdata_simulation_interval, comin_descrdata_get_global
  PUBLIC :: comin_descrdata_get_domain, comin_descrdata_get_simulation_interval

  !> Working precision of host variables (ICON: wp = double).
  INTEGER, PARAMETER :: wp = c_double

  !> Variable descriptor: name (case-sensitive, trimmed) and domain id.
  TYPE :: t_comin_var_descriptor
    CHARACTER(LEN=:), ALLOCATABLE :: name
    INTEGER :: id = -1
  END TYPE t_comin_var_descriptor

  !> The C struct t_comin_var_descriptor { char name[65]; int id; }.
  TYPE, BIND(C) :: t_comin_var_descriptor_c
    CHARACTER(KIND=c_char) :: name(COMIN_MAX_LEN_VAR_NAME + 1)
    INTEGER(c_int) :: id
  END TYPE t_comin_var_descriptor_c

  !> Handle of a variable from comin_var_get (opaque t_comin_var_handle* of the C API).
  TYPE :: t_comin_var_handle
    TYPE(c_ptr) :: ptr = c_null_ptr
  CONTAINS
    PROCEDURE :: get_ptr_dp => comin_var_handle_get_ptr_dp
    PROCEDURE :: get_ptr_sp => comin_var_handle_get_ptr_sp
    PROCEDURE :: get_ptr_i => comin_var_handle_get_ptr_i
    GENERIC :: get_ptr => get_ptr_dp, get_ptr_sp, get_ptr_i
    PROCEDURE :: array_shape => comin_var_handle_array_shape
    PROCEDURE :: ncontained => comin_var_handle_ncontained
    PROCEDURE :: dim_semantics => comin_var_handle_dim_semantics
    PROCEDURE :: valid => comin_var_handle_valid
    PROCEDURE :: descriptor => comin_var_handle_descriptor
    PROCEDURE :: lcontainer => comin_var_handle_lcontainer
    PROCEDURE :: to_3d_dp => comin_var_handle_to_3d_dp
    PROCEDURE :: to_3d_sp => comin_var_handle_to_3d_sp
    PROCEDURE :: to_3d_i => comin_var_handle_to_3d_i
    GENERIC :: to_3d => to_3d_dp, to_3d_sp, to_3d_i
    PROCEDURE :: get_device_ptr => comin_var_handle_get_device_ptr
  END TYPE t_comin_var_handle

  !> Iterator over the metadata keys of a variable (comin_metadata_get_iterator).
  TYPE :: t_comin_var_metadata_iterator
    TYPE(c_ptr) :: it = c_null_ptr, it_end = c_null_ptr
  CONTAINS
    PROCEDURE :: is_end => comin_metadata_iterator_is_end
    PROCEDURE :: key => comin_metadata_iterator_key
    PROCEDURE :: next => comin_metadata_iterator_next
    PROCEDURE :: delete => comin_metadata_iterator_delete
  END TYPE t_comin_var_metadata_iterator

  !> The current plugin's id (1-based), name, options, communicator name, errors_return
  !! switch and log levels (namelist log_debug/log_info/log_warning).
  TYPE :: t_comin_plugin_info
    INTEGER :: id = -1
    CHARACTER(LEN=:), ALLOCATABLE :: name, options, comm
    LOGICAL :: errors_return = .FALSE.
    LOGICAL :: log_debug = .FALSE., log_info = .TRUE., log_warning = .TRUE.
  END TYPE t_comin_plugin_info

  ! the storage comin_descrdata_get_global/_domain/_simulation_interval point into
  TYPE(t_comin_descrdata_global), TARGET, SAVE :: dd_global
  TYPE(t_comin_descrdata_domain), ALLOCATABLE, TARGET, SAVE :: dd_domains(:)
  TYPE(t_comin_descrdata_simulation_interval), TARGET, SAVE :: dd_interval

  !> Version of ComIn (compile-time constants).
  TYPE, BIND(C) :: t_comin_setup_version_info
    INTEGER(c_int) :: version_no_major, version_no_minor, version_no_patch
  END TYPE t_comin_setup_version_info

  INTERFACE comin_metadata_set
    MODULE PROCEDURE comin_metadata_set_integer, comin_metadata_set_logical, &
      &              comin_metadata_set_real, comin_metadata_set_character
  END INTERFACE comin_metadata_set

  INTERFACE comin_metadata_get
    MODULE PROCEDURE comin_metadata_get_integer, comin_metadata_get_logical, &
      &              comin_metadata_get_real, comin_metadata_get_character
  END INTERFACE comin_metadata_get

  ! -- the C functions (PRIVATE) ---------------------------------------------------------
  INTERFACE
    SUBROUTINE c_callback_register(ep, fct) BIND(C, name="comin_callback_register")
      IMPORT :: c_int, c_funptr
      INTEGER(c_int), VALUE :: ep
      TYPE(c_funptr), VALUE :: fct
    END SUBROUTINE c_callback_register
    SUBROUTINE c_callback_get_ep_name(ep, out) BIND(C, name="comin_callback_get_ep_name")
      IMPORT :: c_int, c_char
      INTEGER(c_int), VALUE :: ep
      CHARACTER(KIND=c_char) :: out(*)
    END SUBROUTINE c_callback_get_ep_name
    FUNCTION comin_current_get_ep() BIND(C, name="comin_current_get_ep")
      IMPORT :: c_int
      INTEGER(c_int) :: comin_current_get_ep
    END FUNCTION comin_current_get_ep
    FUNCTION comin_current_get_domain_id() BIND(C, name="comin_current_get_domain_id")
      IMPORT :: c_int
      INTEGER(c_int) :: comin_current_get_domain_id
    END FUNCTION comin_current_get_domain_id
    FUNCTION c_current_get_plugin_id() BIND(C, name="comin_current_get_plugin_id")
      IMPORT :: c_int
      INTEGER(c_int) :: c_current_get_plugin_id
    END FUNCTION c_current_get_plugin_id
    SUBROUTINE c_current_get_plugin_name(val, len) BIND(C, name="comin_current_get_plugin_name")
      IMPORT :: c_ptr, c_int
      TYPE(c_ptr), INTENT(INOUT) :: val
      INTEGER(c_int), INTENT(INOUT) :: len
    END SUBROUTINE c_current_get_plugin_name
    SUBROUTINE c_current_get_plugin_options(val, len) &
      &        BIND(C, name="comin_current_get_plugin_options")
      IMPORT :: c_ptr, c_int
      TYPE(c_ptr), INTENT(INOUT) :: val
      INTEGER(c_int), INTENT(INOUT) :: len
    END SUBROUTINE c_current_get_plugin_options
    SUBROUTINE c_current_get_plugin_comm(val, len) BIND(C, name="comin_current_get_plugin_comm")
      IMPORT :: c_ptr, c_int
      TYPE(c_ptr), INTENT(INOUT) :: val
      INTEGER(c_int), INTENT(INOUT) :: len
    END SUBROUTINE c_current_get_plugin_comm
    SUBROUTINE c_current_get_datetime(val, len) BIND(C, name="comin_current_get_datetime")
      IMPORT :: c_ptr, c_int
      TYPE(c_ptr), INTENT(INOUT) :: val
      INTEGER(c_int), INTENT(INOUT) :: len
    END SUBROUTINE c_current_get_datetime
    SUBROUTINE c_var_request_add(descr, lmodexclusive) BIND(C, name="comin_var_request_add")
      IMPORT :: t_comin_var_descriptor_c, c_bool
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      LOGICAL(c_bool), VALUE :: lmodexclusive
    END SUBROUTINE c_var_request_add
    FUNCTION c_var_get(context_len, context, descr, flag) BIND(C, name="comin_var_get")
      IMPORT :: t_comin_var_descriptor_c, c_int, c_ptr
      INTEGER(c_int), VALUE :: context_len
      INTEGER(c_int), INTENT(IN) :: context(*)
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      INTEGER(c_int), VALUE :: flag
      TYPE(c_ptr) :: c_var_get
    END FUNCTION c_var_get
    FUNCTION c_var_get_ptr_double(handle) BIND(C, name="comin_var_get_ptr_double")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: handle
      TYPE(c_ptr) :: c_var_get_ptr_double
    END FUNCTION c_var_get_ptr_double
    FUNCTION c_var_get_ptr_float(handle) BIND(C, name="comin_var_get_ptr_float")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: handle
      TYPE(c_ptr) :: c_var_get_ptr_float
    END FUNCTION c_var_get_ptr_float
    FUNCTION c_var_get_ptr_int(handle) BIND(C, name="comin_var_get_ptr_int")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: handle
      TYPE(c_ptr) :: c_var_get_ptr_int
    END FUNCTION c_var_get_ptr_int
    SUBROUTINE c_var_get_shape(handle, shape) BIND(C, name="comin_var_get_shape")
      IMPORT :: c_ptr, c_int
      TYPE(c_ptr), VALUE :: handle
      INTEGER(c_int), INTENT(INOUT) :: shape(5)
    END SUBROUTINE c_var_get_shape
    SUBROUTINE c_var_get_dim_semantics(handle, ds) BIND(C, name="comin_var_get_dim_semantics")
      IMPORT :: c_ptr, c_int
      TYPE(c_ptr), VALUE :: handle
      INTEGER(c_int), INTENT(INOUT) :: ds(5)
    END SUBROUTINE c_var_get_dim_semantics
    SUBROUTINE c_var_get_ncontained(handle, nc) BIND(C, name="comin_var_get_ncontained")
      IMPORT :: c_ptr, c_int
      TYPE(c_ptr), VALUE :: handle
      INTEGER(c_int), INTENT(INOUT) :: nc
    END SUBROUTINE c_var_get_ncontained
    SUBROUTINE c_var_get_descriptor(handle, descr) BIND(C, name="comin_var_get_descriptor")
      IMPORT :: c_ptr, t_comin_var_descriptor_c
      TYPE(c_ptr), VALUE :: handle
      TYPE(t_comin_var_descriptor_c), INTENT(INOUT) :: descr
    END SUBROUTINE c_var_get_descriptor
    FUNCTION c_var_get_device_ptr(handle) BIND(C, name="comin_var_get_device_ptr")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: handle
      TYPE(c_ptr) :: c_var_get_device_ptr
    END FUNCTION c_var_get_device_ptr
    FUNCTION c_var_get_device_ptr_double(handle) BIND(C, name="comin_var_get_device_ptr_double")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: handle
      TYPE(c_ptr) :: c_var_get_device_ptr_double
    END FUNCTION c_var_get_device_ptr_double
    FUNCTION c_var_get_device_ptr_float(handle) BIND(C, name="comin_var_get_device_ptr_float")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: handle
      TYPE(c_ptr) :: c_var_get_device_ptr_float
    END FUNCTION c_var_get_device_ptr_float
    FUNCTION c_var_get_device_ptr_int(handle) BIND(C, name="comin_var_get_device_ptr_int")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: handle
      TYPE(c_ptr) :: c_var_get_device_ptr_int
    END FUNCTION c_var_get_device_ptr_int
    FUNCTION c_var_get_lcontainer(handle) BIND(C, name="comin_var_get_lcontainer")
      IMPORT :: c_ptr, c_bool
      TYPE(c_ptr), VALUE :: handle
      LOGICAL(c_bool) :: c_var_get_lcontainer
    END FUNCTION c_var_get_lcontainer
    FUNCTION c_var_get_descr_list_head() BIND(C, name="comin_var_get_descr_list_head")
      IMPORT :: c_ptr
      TYPE(c_ptr) :: c_var_get_descr_list_head
    END FUNCTION c_var_get_descr_list_head
    FUNCTION c_var_get_descr_list_next(it) BIND(C, name="comin_var_get_descr_list_next")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: it
      TYPE(c_ptr) :: c_var_get_descr_list_next
    END FUNCTION c_var_get_descr_list_next
    SUBROUTINE c_var_get_descr_list_var_desc(it, descr) &
      &        BIND(C, name="comin_var_get_descr_list_var_desc")
      IMPORT :: c_ptr, t_comin_var_descriptor_c
      TYPE(c_ptr), VALUE :: it
      TYPE(t_comin_var_descriptor_c), INTENT(INOUT) :: descr
    END SUBROUTINE c_var_get_descr_list_var_desc
    SUBROUTINE c_var_descr_list_iterator_delete(it) &
      &        BIND(C, name="comin_var_descr_list_iterator_delete")
      IMPORT :: c_ptr
      TYPE(c_ptr), INTENT(INOUT) :: it
    END SUBROUTINE c_var_descr_list_iterator_delete
    FUNCTION c_metadata_get_iterator_begin(descr) BIND(C, name="comin_metadata_get_iterator_begin")
      IMPORT :: c_ptr, t_comin_var_descriptor_c
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      TYPE(c_ptr) :: c_metadata_get_iterator_begin
    END FUNCTION c_metadata_get_iterator_begin
    FUNCTION c_metadata_get_iterator_end(descr) BIND(C, name="comin_metadata_get_iterator_end")
      IMPORT :: c_ptr, t_comin_var_descriptor_c
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      TYPE(c_ptr) :: c_metadata_get_iterator_end
    END FUNCTION c_metadata_get_iterator_end
    FUNCTION c_metadata_iterator_get_key(it) BIND(C, name="comin_metadata_iterator_get_key")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: it
      TYPE(c_ptr) :: c_metadata_iterator_get_key
    END FUNCTION c_metadata_iterator_get_key
    FUNCTION c_metadata_iterator_compare(it1, it2) BIND(C, name="comin_metadata_iterator_compare")
      IMPORT :: c_ptr, c_bool
      TYPE(c_ptr), VALUE :: it1, it2
      LOGICAL(c_bool) :: c_metadata_iterator_compare
    END FUNCTION c_metadata_iterator_compare
    SUBROUTINE c_metadata_iterator_next(it) BIND(C, name="comin_metadata_iterator_next")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: it
    END SUBROUTINE c_metadata_iterator_next
    SUBROUTINE c_metadata_iterator_delete(it) BIND(C, name="comin_metadata_iterator_delete")
      IMPORT :: c_ptr
      TYPE(c_ptr), VALUE :: it
    END SUBROUTINE c_metadata_iterator_delete
    SUBROUTINE c_current_get_plugin_flags(errors_return, log_debug, log_info, log_warning) &
      &        BIND(C, name="comin_current_get_plugin_flags")
      IMPORT :: c_bool
      LOGICAL(c_bool), INTENT(INOUT) :: errors_return, log_debug, log_info, log_warning
    END SUBROUTINE c_current_get_plugin_flags
    SUBROUTINE c_error_get_message(errcode, category, message) &
      &        BIND(C, name="comin_error_get_message")
      IMPORT :: c_int, c_char
      INTEGER(c_int), VALUE :: errcode
      CHARACTER(KIND=c_char) :: category(*), message(*)
    END SUBROUTINE c_error_get_message
    SUBROUTINE c_error_check(errcode, scope) BIND(C, name="comin_error_check")
      IMPORT :: c_int, c_char
      INTEGER(c_int), VALUE :: errcode
      CHARACTER(KIND=c_char), INTENT(IN) :: scope(*)
    END SUBROUTINE c_error_check
    FUNCTION c_descrdata_get_global_n_dom() BIND(C, name="comin_descrdata_get_global_n_dom")
      IMPORT :: c_int
      INTEGER(c_int) :: c_descrdata_get_global_n_dom
    END FUNCTION c_descrdata_get_global_n_dom
    FUNCTION c_descrdata_get_domain_id(jg) BIND(C, name="comin_descrdata_get_domain_id")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: jg
      INTEGER(c_int) :: c_descrdata_get_domain_id
    END FUNCTION c_descrdata_get_domain_id
    FUNCTION c_metadata_get_typeid(descr, key) BIND(C, name="comin_metadata_get_typeid")
      IMPORT :: t_comin_var_descriptor_c, c_char, c_int
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      CHARACTER(KIND=c_char), INTENT(IN) :: key(*)
      INTEGER(c_int) :: c_metadata_get_typeid
    END FUNCTION c_metadata_get_typeid
    SUBROUTINE c_metadata_set_integer(descr, key, val) BIND(C, name="comin_metadata_set_integer")
      IMPORT :: t_comin_var_descriptor_c, c_char, c_int
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      CHARACTER(KIND=c_char), INTENT(IN) :: key(*)
      INTEGER(c_int), VALUE :: val
    END SUBROUTINE c_metadata_set_integer
    SUBROUTINE c_metadata_set_logical(descr, key, val) BIND(C, name="comin_metadata_set_logical")
      IMPORT :: t_comin_var_descriptor_c, c_char, c_bool
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      CHARACTER(KIND=c_char), INTENT(IN) :: key(*)
      LOGICAL(c_bool), VALUE :: val
    END SUBROUTINE c_metadata_set_logical
    SUBROUTINE c_metadata_set_real(descr, key, val) BIND(C, name="comin_metadata_set_real")
      IMPORT :: t_comin_var_descriptor_c, c_char, c_double
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      CHARACTER(KIND=c_char), INTENT(IN) :: key(*)
      REAL(c_double), VALUE :: val
    END SUBROUTINE c_metadata_set_real
    SUBROUTINE c_metadata_set_character(descr, key, val) &
      &        BIND(C, name="comin_metadata_set_character")
      IMPORT :: t_comin_var_descriptor_c, c_char
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      CHARACTER(KIND=c_char), INTENT(IN) :: key(*), val(*)
    END SUBROUTINE c_metadata_set_character
    SUBROUTINE c_metadata_get_integer(descr, key, val) BIND(C, name="comin_metadata_get_integer")
      IMPORT :: t_comin_var_descriptor_c, c_char, c_int
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      CHARACTER(KIND=c_char), INTENT(IN) :: key(*)
      INTEGER(c_int), INTENT(INOUT) :: val
    END SUBROUTINE c_metadata_get_integer
    SUBROUTINE c_metadata_get_logical(descr, key, val) BIND(C, name="comin_metadata_get_logical")
      IMPORT :: t_comin_var_descriptor_c, c_char, c_bool
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      CHARACTER(KIND=c_char), INTENT(IN) :: key(*)
      LOGICAL(c_bool), INTENT(INOUT) :: val
    END SUBROUTINE c_metadata_get_logical
    SUBROUTINE c_metadata_get_real(descr, key, val) BIND(C, name="comin_metadata_get_real")
      IMPORT :: t_comin_var_descriptor_c, c_char, c_double
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      CHARACTER(KIND=c_char), INTENT(IN) :: key(*)
      REAL(c_double), INTENT(INOUT) :: val
    END SUBROUTINE c_metadata_get_real
    SUBROUTINE c_metadata_get_character(descr, key, val, len) &
      &        BIND(C, name="comin_metadata_get_character")
      IMPORT :: t_comin_var_descriptor_c, c_char, c_ptr, c_int
      TYPE(t_comin_var_descriptor_c), VALUE :: descr
      CHARACTER(KIND=c_char), INTENT(IN) :: key(*)
      TYPE(c_ptr), INTENT(INOUT) :: val
      INTEGER(c_int), INTENT(INOUT) :: len
    END SUBROUTINE c_metadata_get_character
    FUNCTION comin_descrdata_get_timesteplength(jg) &
      &      BIND(C, name="comin_descrdata_get_timesteplength")
      IMPORT :: c_int, c_double
      INTEGER(c_int), VALUE :: jg
      REAL(c_double) :: comin_descrdata_get_timesteplength
    END FUNCTION comin_descrdata_get_timesteplength
    FUNCTION comin_descrdata_get_index(j) BIND(C, name="comin_descrdata_get_index")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: j
      INTEGER(c_int) :: comin_descrdata_get_index
    END FUNCTION comin_descrdata_get_index
    FUNCTION comin_descrdata_get_block(j) BIND(C, name="comin_descrdata_get_block")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: j
      INTEGER(c_int) :: comin_descrdata_get_block
    END FUNCTION comin_descrdata_get_block
    !> Same argument order in Fortran and C: the outputs come before irl_start, irl_end.
    SUBROUTINE comin_descrdata_get_cell_indices(jg, i_blk, i_startblk, i_endblk, i_startidx, &
      &        i_endidx, irl_start, irl_end) BIND(C, name="comin_descrdata_get_cell_indices")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: jg, i_blk, i_startblk, i_endblk
      INTEGER(c_int), INTENT(INOUT) :: i_startidx, i_endidx
      INTEGER(c_int), VALUE :: irl_start, irl_end
    END SUBROUTINE comin_descrdata_get_cell_indices
    SUBROUTINE comin_descrdata_get_edge_indices(jg, i_blk, i_startblk, i_endblk, i_startidx, &
      &        i_endidx, irl_start, irl_end) BIND(C, name="comin_descrdata_get_edge_indices")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: jg, i_blk, i_startblk, i_endblk
      INTEGER(c_int), INTENT(INOUT) :: i_startidx, i_endidx
      INTEGER(c_int), VALUE :: irl_start, irl_end
    END SUBROUTINE comin_descrdata_get_edge_indices
    SUBROUTINE comin_descrdata_get_vert_indices(jg, i_blk, i_startblk, i_endblk, i_startidx, &
      &        i_endidx, irl_start, irl_end) BIND(C, name="comin_descrdata_get_vert_indices")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: jg, i_blk, i_startblk, i_endblk
      INTEGER(c_int), INTENT(INOUT) :: i_startidx, i_endidx
      INTEGER(c_int), VALUE :: irl_start, irl_end
    END SUBROUTINE comin_descrdata_get_vert_indices
    FUNCTION comin_descrdata_get_cell_npromz(jg) BIND(C, name="comin_descrdata_get_cell_npromz")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: jg
      INTEGER(c_int) :: comin_descrdata_get_cell_npromz
    END FUNCTION comin_descrdata_get_cell_npromz
    FUNCTION comin_descrdata_get_edge_npromz(jg) BIND(C, name="comin_descrdata_get_edge_npromz")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: jg
      INTEGER(c_int) :: comin_descrdata_get_edge_npromz
    END FUNCTION comin_descrdata_get_edge_npromz
    FUNCTION comin_descrdata_get_vert_npromz(jg) BIND(C, name="comin_descrdata_get_vert_npromz")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: jg
      INTEGER(c_int) :: comin_descrdata_get_vert_npromz
    END FUNCTION comin_descrdata_get_vert_npromz
    FUNCTION comin_descrdata_index_lookup_glb2loc_cell(jg, global_idx) &
      &      BIND(C, name="comin_descrdata_index_lookup_glb2loc_cell")
      IMPORT :: c_int
      INTEGER(c_int), VALUE :: jg, global_idx
      INTEGER(c_int) :: comin_descrdata_index_lookup_glb2loc_cell
    END FUNCTION comin_descrdata_index_lookup_glb2loc_cell
    FUNCTION comin_parallel_get_host_mpi_rank() BIND(C, name="comin_parallel_get_host_mpi_rank")
      IMPORT :: c_int
      INTEGER(c_int) :: comin_parallel_get_host_mpi_rank
    END FUNCTION comin_parallel_get_host_mpi_rank
    FUNCTION comin_parallel_get_host_mpi_comm() BIND(C, name="comin_parallel_get_host_mpi_comm")
      IMPORT :: c_int
      INTEGER(c_int) :: comin_parallel_get_host_mpi_comm
    END FUNCTION comin_parallel_get_host_mpi_comm
    FUNCTION comin_parallel_get_plugin_mpi_comm() &
      &      BIND(C, name="comin_parallel_get_plugin_mpi_comm")
      IMPORT :: c_int
      INTEGER(c_int) :: comin_parallel_get_plugin_mpi_comm
    END FUNCTION comin_parallel_get_plugin_mpi_comm
    SUBROUTINE c_plugin_finish(routine, text) BIND(C, name="comin_plugin_finish")
      IMPORT :: c_char
      CHARACTER(KIND=c_char), INTENT(IN) :: routine(*), text(*)
    END SUBROUTINE c_plugin_finish
    SUBROUTINE c_print_info(msg) BIND(C, name="comin_print_info")
      IMPORT :: c_char
      CHARACTER(KIND=c_char), INTENT(IN) :: msg(*)
    END SUBROUTINE c_print_info
    SUBROUTINE c_print_debug(msg) BIND(C, name="comin_print_debug")
      IMPORT :: c_char
      CHARACTER(KIND=c_char), INTENT(IN) :: msg(*)
    END SUBROUTINE c_print_debug
    SUBROUTINE c_print_warning(msg) BIND(C, name="comin_print_warning")
      IMPORT :: c_char
      CHARACTER(KIND=c_char), INTENT(IN) :: msg(*)
    END SUBROUTINE c_print_warning
    FUNCTION comin_error_get() BIND(C, name="comin_error_get")
      IMPORT :: c_int
      INTEGER(c_int) :: comin_error_get
    END FUNCTION comin_error_get
    SUBROUTINE comin_error_reset() BIND(C, name="comin_error_reset")
    END SUBROUTINE comin_error_reset
    SUBROUTINE c_error_set_errors_return(errors_return) &
      &        BIND(C, name="comin_error_set_errors_return")
      IMPORT :: c_bool
      LOGICAL(c_bool), VALUE :: errors_return
    END SUBROUTINE c_error_set_errors_return
  END INTERFACE

CONTAINS

  ! -- helpers ------------------------------------------------------------------------------

  !> Copy len characters at the C pointer val into an allocatable Fortran string.
  SUBROUTINE c_string_copy(val, len, str)
    TYPE(c_ptr), INTENT(IN) :: val
    INTEGER(c_int), INTENT(IN) :: len
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(OUT) :: str
    CHARACTER(KIND=c_char), POINTER :: chars(:)
    INTEGER :: i

    IF (.NOT. c_associated(val) .OR. len <= 0) THEN
      ALLOCATE(CHARACTER(LEN=0) :: str)
      RETURN
    END IF
    CALL c_f_pointer(val, chars, [len])
    ALLOCATE(CHARACTER(LEN=len) :: str)
    DO i = 1, len
      str(i:i) = chars(i)
    END DO
  END SUBROUTINE c_string_copy

  !> Fortran descriptor -> C struct (name trimmed, left-adjusted, NUL-terminated, cut at 64).
  FUNCTION descr_to_c(descr) RESULT(c)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    TYPE(t_comin_var_descriptor_c) :: c
    CHARACTER(LEN=:), ALLOCATABLE :: name
    INTEGER :: i

    c%name(:) = c_null_char
    c%id = INT(descr%id, c_int)
    IF (.NOT. ALLOCATED(descr%name)) RETURN
    name = TRIM(ADJUSTL(descr%name))
    DO i = 1, MIN(LEN(name), INT(COMIN_MAX_LEN_VAR_NAME))
      c%name(i) = name(i:i)
    END DO
  END FUNCTION descr_to_c

  !> C struct -> Fortran descriptor.
  FUNCTION descr_from_c(c) RESULT(descr)
    TYPE(t_comin_var_descriptor_c), INTENT(IN) :: c
    TYPE(t_comin_var_descriptor) :: descr
    INTEGER :: i, n

    n = 0
    DO i = 1, COMIN_MAX_LEN_VAR_NAME
      IF (c%name(i) == c_null_char) EXIT
      n = i
    END DO
    ALLOCATE(CHARACTER(LEN=n) :: descr%name)
    DO i = 1, n
      descr%name(i:i) = c%name(i)
    END DO
    descr%id = c%id
  END FUNCTION descr_from_c

  ! -- callbacks ----------------------------------------------------------------------------

  !> Register fct (a BIND(C) subroutine without arguments) for entry point ep.
  SUBROUTINE comin_callback_register(ep, fct)
    INTEGER, INTENT(IN) :: ep
    INTERFACE
      SUBROUTINE fct() BIND(C)
      END SUBROUTINE fct
    END INTERFACE
    CALL c_callback_register(INT(ep, c_int), c_funloc(fct))
  END SUBROUTINE comin_callback_register

  !> Name of entry point iep (e.g. "EP_ATM_TIMELOOP_END").
  SUBROUTINE comin_callback_get_ep_name(iep, out_name)
    INTEGER, INTENT(IN) :: iep
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(OUT) :: out_name
    CHARACTER(KIND=c_char) :: buf(COMIN_MAX_LEN_EP_NAME + 1)
    INTEGER :: i, n

    buf(:) = c_null_char
    CALL c_callback_get_ep_name(INT(iep, c_int), buf)
    n = 0
    DO i = 1, COMIN_MAX_LEN_EP_NAME
      IF (buf(i) == c_null_char) EXIT
      n = i
    END DO
    ALLOCATE(CHARACTER(LEN=n) :: out_name)
    DO i = 1, n
      out_name(i:i) = buf(i)
    END DO
  END SUBROUTINE comin_callback_get_ep_name

  ! -- current state ------------------------------------------------------------------------

  !> The current model date and time (ISO 8601 string).
  SUBROUTINE comin_current_get_datetime(str)
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(OUT) :: str
    TYPE(c_ptr) :: val
    INTEGER(c_int) :: len

    CALL c_current_get_datetime(val, len)
    CALL c_string_copy(val, len, str)
  END SUBROUTINE comin_current_get_datetime

  !> A copy of the current plugin's information.
  SUBROUTINE comin_current_get_plugin_info(info)
    TYPE(t_comin_plugin_info), INTENT(OUT) :: info
    TYPE(c_ptr) :: val
    INTEGER(c_int) :: len
    LOGICAL(c_bool) :: er, ld, li, lw

    info%id = c_current_get_plugin_id()
    CALL c_current_get_plugin_name(val, len)
    CALL c_string_copy(val, len, info%name)
    CALL c_current_get_plugin_options(val, len)
    CALL c_string_copy(val, len, info%options)
    CALL c_current_get_plugin_comm(val, len)
    CALL c_string_copy(val, len, info%comm)
    er = LOGICAL(info%errors_return, c_bool)
    ld = LOGICAL(info%log_debug, c_bool)
    li = LOGICAL(info%log_info, c_bool)
    lw = LOGICAL(info%log_warning, c_bool)
    CALL c_current_get_plugin_flags(er, ld, li, lw)
    info%errors_return = er
    info%log_debug = ld
    info%log_info = li
    info%log_warning = lw
  END SUBROUTINE comin_current_get_plugin_info

  ! -- variables ----------------------------------------------------------------------------

  !> Request a new variable (primary constructor only).
  SUBROUTINE comin_var_request_add(descr, lmodexclusive)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    LOGICAL, INTENT(IN) :: lmodexclusive
    CALL c_var_request_add(descr_to_c(descr), LOGICAL(lmodexclusive, c_bool))
  END SUBROUTINE comin_var_request_add

  !> Access a variable (secondary constructor only) for the entry points context(:);
  !! flag: COMIN_FLAG_READ/WRITE/SYNC_HALO/DEVICE combined with IOR.
  !! On failure handle%valid() is .FALSE.
  SUBROUTINE comin_var_get(context, descr, flag, handle)
    INTEGER, INTENT(IN) :: context(:)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    INTEGER, INTENT(IN) :: flag
    TYPE(t_comin_var_handle), INTENT(OUT) :: handle
    INTEGER(c_int) :: ctx(MAX(SIZE(context), 1))

    ctx(:) = 0
    ctx(1:SIZE(context)) = INT(context(:), c_int)
    handle%ptr = c_var_get(INT(SIZE(context), c_int), ctx, descr_to_c(descr), INT(flag, c_int))
  END SUBROUTINE comin_var_get

  !> Host memory of a REAL(c_double) variable; NULL (and error 37) on a type mismatch.
  SUBROUTINE comin_var_handle_get_ptr_dp(this, ptr)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    REAL(c_double), POINTER, INTENT(OUT) :: ptr(:,:,:,:,:)
    TYPE(c_ptr) :: p

    NULLIFY(ptr)
    p = c_var_get_ptr_double(this%ptr)
    IF (c_associated(p)) CALL c_f_pointer(p, ptr, this%array_shape())
  END SUBROUTINE comin_var_handle_get_ptr_dp

  !> Host memory of a REAL(c_float) variable; NULL (and error 37) on a type mismatch.
  SUBROUTINE comin_var_handle_get_ptr_sp(this, ptr)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    REAL(c_float), POINTER, INTENT(OUT) :: ptr(:,:,:,:,:)
    TYPE(c_ptr) :: p

    NULLIFY(ptr)
    p = c_var_get_ptr_float(this%ptr)
    IF (c_associated(p)) CALL c_f_pointer(p, ptr, this%array_shape())
  END SUBROUTINE comin_var_handle_get_ptr_sp

  !> Host memory of an INTEGER(c_int) variable; NULL (and error 37) on a type mismatch.
  SUBROUTINE comin_var_handle_get_ptr_i(this, ptr)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    INTEGER(c_int), POINTER, INTENT(OUT) :: ptr(:,:,:,:,:)
    TYPE(c_ptr) :: p

    NULLIFY(ptr)
    p = c_var_get_ptr_int(this%ptr)
    IF (c_associated(p)) CALL c_f_pointer(p, ptr, this%array_shape())
  END SUBROUTINE comin_var_handle_get_ptr_i

  !> The five extents of the variable (Fortran order).  An invalid handle is an error
  !! (COMIN_ERROR_POINTER_NOT_ASSOCIATED); the extents are 0 then.
  FUNCTION comin_var_handle_array_shape(this) RESULT(shape)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    INTEGER(c_int) :: shape(5)
    shape(:) = 0
    CALL c_var_get_shape(this%ptr, shape)
  END FUNCTION comin_var_handle_array_shape

  !> The dimension semantics (COMIN_DIM_SEMANTICS_*) of the five dimensions.
  FUNCTION comin_var_handle_dim_semantics(this) RESULT(ds)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    INTEGER(c_int) :: ds(5)
    ds(:) = COMIN_DIM_SEMANTICS_UNDEF
    CALL c_var_get_dim_semantics(this%ptr, ds)
  END FUNCTION comin_var_handle_dim_semantics

  !> Position of the contained variable (1-based; 0: not a container slice).
  FUNCTION comin_var_handle_ncontained(this) RESULT(nc)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    INTEGER :: nc
    INTEGER(c_int) :: nc_c
    nc_c = -1
    CALL c_var_get_ncontained(this%ptr, nc_c)
    nc = nc_c + 1
  END FUNCTION comin_var_handle_ncontained

  !> Whether the handle refers to a variable (comin_var_get succeeded).
  LOGICAL FUNCTION comin_var_handle_valid(this)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    comin_var_handle_valid = c_associated(this%ptr)
  END FUNCTION comin_var_handle_valid

  !> The variable's descriptor.
  FUNCTION comin_var_handle_descriptor(this) RESULT(descr)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    TYPE(t_comin_var_descriptor) :: descr
    TYPE(t_comin_var_descriptor_c) :: c

    c%name(:) = c_null_char
    c%id = -1
    CALL c_var_get_descriptor(this%ptr, c)
    descr = descr_from_c(c)
  END FUNCTION comin_var_handle_descriptor

  !> Whether the variable is a container (e.g. of tracers).
  LOGICAL FUNCTION comin_var_handle_lcontainer(this)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    comin_var_handle_lcontainer = LOGICAL(c_var_get_lcontainer(this%ptr))
  END FUNCTION comin_var_handle_lcontainer

  !> Position of the container dimension in dim_semantics (0: none).
  INTEGER FUNCTION container_dim(this)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    INTEGER(c_int) :: ds(5)
    INTEGER :: i
    ds = this%dim_semantics()
    container_dim = 0
    DO i = 1, 3
      IF (ds(i) == COMIN_DIM_SEMANTICS_CONTAINER) THEN
        container_dim = i
        RETURN
      END IF
    END DO
  END FUNCTION container_dim

  !> A container cannot be viewed as a 3-D field: the run ends (as ComIn's to_3d).
  LOGICAL FUNCTION to_3d_refused(this)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    to_3d_refused = this%lcontainer()
    IF (to_3d_refused) THEN
      CALL comin_plugin_finish("comin_var_to_3d", &
        &                      "ERROR: Attempt to convert container variable into 3D field.")
    END IF
  END FUNCTION to_3d_refused

  !> The variable as a 3-D REAL(c_double) array: the 5-D array with its container
  !! dimension (among the first three, if any) and else the 4th, and the 5th fixed at 1
  !! (ComIn 0.3's handle%to_3d).  NULL if the variable holds another type.
  SUBROUTINE comin_var_handle_to_3d_dp(this, slice)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    REAL(c_double), POINTER, INTENT(OUT) :: slice(:,:,:)
    REAL(c_double), POINTER :: p(:,:,:,:,:)

    NULLIFY(slice)
    IF (to_3d_refused(this)) RETURN
    CALL this%get_ptr(p)
    IF (.NOT. ASSOCIATED(p)) RETURN
    SELECT CASE (container_dim(this))
    CASE (1)
      slice => p(1, :, :, :, 1)
    CASE (2)
      slice => p(:, 1, :, :, 1)
    CASE (3)
      slice => p(:, :, 1, :, 1)
    CASE DEFAULT
      slice => p(:, :, :, 1, 1)
    END SELECT
  END SUBROUTINE comin_var_handle_to_3d_dp

  !> handle%to_3d for REAL(c_float) variables.
  SUBROUTINE comin_var_handle_to_3d_sp(this, slice)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    REAL(c_float), POINTER, INTENT(OUT) :: slice(:,:,:)
    REAL(c_float), POINTER :: p(:,:,:,:,:)

    NULLIFY(slice)
    IF (to_3d_refused(this)) RETURN
    CALL this%get_ptr(p)
    IF (.NOT. ASSOCIATED(p)) RETURN
    SELECT CASE (container_dim(this))
    CASE (1)
      slice => p(1, :, :, :, 1)
    CASE (2)
      slice => p(:, 1, :, :, 1)
    CASE (3)
      slice => p(:, :, 1, :, 1)
    CASE DEFAULT
      slice => p(:, :, :, 1, 1)
    END SELECT
  END SUBROUTINE comin_var_handle_to_3d_sp

  !> handle%to_3d for INTEGER(c_int) variables.
  SUBROUTINE comin_var_handle_to_3d_i(this, slice)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    INTEGER(c_int), POINTER, INTENT(OUT) :: slice(:,:,:)
    INTEGER(c_int), POINTER :: p(:,:,:,:,:)

    NULLIFY(slice)
    IF (to_3d_refused(this)) RETURN
    CALL this%get_ptr(p)
    IF (.NOT. ASSOCIATED(p)) RETURN
    SELECT CASE (container_dim(this))
    CASE (1)
      slice => p(1, :, :, :, 1)
    CASE (2)
      slice => p(:, 1, :, :, 1)
    CASE (3)
      slice => p(:, :, 1, :, 1)
    CASE DEFAULT
      slice => p(:, :, :, 1, 1)
    END SELECT
  END SUBROUTINE comin_var_handle_to_3d_i

  !> The variable's device memory (C_NULL_PTR when the host registered none).  With
  !! datatype (COMIN_VAR_DATATYPE_*) the type is checked as by the typed C getters:
  !! a mismatch is COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE and gives C_NULL_PTR.
  FUNCTION comin_var_handle_get_device_ptr(this, datatype) RESULT(p)
    CLASS(t_comin_var_handle), INTENT(IN) :: this
    INTEGER, INTENT(IN), OPTIONAL :: datatype
    TYPE(c_ptr) :: p

    IF (.NOT. PRESENT(datatype)) THEN
      p = c_var_get_device_ptr(this%ptr)
      RETURN
    END IF
    SELECT CASE (datatype)
    CASE (COMIN_VAR_DATATYPE_DOUBLE)
      p = c_var_get_device_ptr_double(this%ptr)
    CASE (COMIN_VAR_DATATYPE_FLOAT)
      p = c_var_get_device_ptr_float(this%ptr)
    CASE (COMIN_VAR_DATATYPE_INT)
      p = c_var_get_device_ptr_int(this%ptr)
    CASE DEFAULT
      p = c_null_ptr
      CALL comin_plugin_finish("comin_var_handle%get_device_ptr", &
        &                      "ERROR: unknown datatype (not a COMIN_VAR_DATATYPE_*)")
    END SELECT
  END FUNCTION comin_var_handle_get_device_ptr

  ! -- the list of exposed variables ---------------------------------------------------------

  !> Iterator at the first exposed variable (C_NULL_PTR if none are exposed).
  FUNCTION comin_var_get_descr_list_head() RESULT(it)
    TYPE(c_ptr) :: it
    it = c_var_get_descr_list_head()
  END FUNCTION comin_var_get_descr_list_head

  !> The iterator moved to the next variable; at the end C_NULL_PTR, and the iterator
  !! is deleted (ComIn 0.3).
  FUNCTION comin_var_get_descr_list_next(current) RESULT(it)
    TYPE(c_ptr), INTENT(IN) :: current
    TYPE(c_ptr) :: it
    it = c_var_get_descr_list_next(current)
  END FUNCTION comin_var_get_descr_list_next

  !> The descriptor of the variable at iterator it.
  SUBROUTINE comin_var_get_descr_list_var_desc(it, descr)
    TYPE(c_ptr), INTENT(IN) :: it
    TYPE(t_comin_var_descriptor), INTENT(INOUT) :: descr
    TYPE(t_comin_var_descriptor_c) :: c

    c = descr_to_c(descr)
    CALL c_var_get_descr_list_var_desc(it, c)
    descr = descr_from_c(c)
  END SUBROUTINE comin_var_get_descr_list_var_desc

  !> Delete an iterator before its end (it becomes C_NULL_PTR).
  SUBROUTINE comin_var_descr_list_iterator_delete(it)
    TYPE(c_ptr), INTENT(INOUT) :: it
    CALL c_var_descr_list_iterator_delete(it)
  END SUBROUTINE comin_var_descr_list_iterator_delete

  ! -- metadata -----------------------------------------------------------------------------

  SUBROUTINE comin_metadata_set_integer(descr, key, val)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    CHARACTER(LEN=*), INTENT(IN) :: key
    INTEGER, INTENT(IN) :: val
    CALL c_metadata_set_integer(descr_to_c(descr), TRIM(key)//c_null_char, INT(val, c_int))
  END SUBROUTINE comin_metadata_set_integer

  SUBROUTINE comin_metadata_set_logical(descr, key, val)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    CHARACTER(LEN=*), INTENT(IN) :: key
    LOGICAL, INTENT(IN) :: val
    CALL c_metadata_set_logical(descr_to_c(descr), TRIM(key)//c_null_char, LOGICAL(val, c_bool))
  END SUBROUTINE comin_metadata_set_logical

  SUBROUTINE comin_metadata_set_real(descr, key, val)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    CHARACTER(LEN=*), INTENT(IN) :: key
    REAL(wp), INTENT(IN) :: val
    CALL c_metadata_set_real(descr_to_c(descr), TRIM(key)//c_null_char, REAL(val, c_double))
  END SUBROUTINE comin_metadata_set_real

  SUBROUTINE comin_metadata_set_character(descr, key, val)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    CHARACTER(LEN=*), INTENT(IN) :: key, val
    CALL c_metadata_set_character(descr_to_c(descr), TRIM(key)//c_null_char, &
      &                           TRIM(val)//c_null_char)
  END SUBROUTINE comin_metadata_set_character

  SUBROUTINE comin_metadata_get_integer(descr, key, val)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    CHARACTER(LEN=*), INTENT(IN) :: key
    INTEGER, INTENT(OUT) :: val
    INTEGER(c_int) :: v
    v = 0
    CALL c_metadata_get_integer(descr_to_c(descr), TRIM(key)//c_null_char, v)
    val = v
  END SUBROUTINE comin_metadata_get_integer

  SUBROUTINE comin_metadata_get_logical(descr, key, val)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    CHARACTER(LEN=*), INTENT(IN) :: key
    LOGICAL, INTENT(OUT) :: val
    LOGICAL(c_bool) :: v
    v = .FALSE.
    CALL c_metadata_get_logical(descr_to_c(descr), TRIM(key)//c_null_char, v)
    val = LOGICAL(v)
  END SUBROUTINE comin_metadata_get_logical

  SUBROUTINE comin_metadata_get_real(descr, key, val)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    CHARACTER(LEN=*), INTENT(IN) :: key
    REAL(wp), INTENT(OUT) :: val
    REAL(c_double) :: v
    v = 0.0_c_double
    CALL c_metadata_get_real(descr_to_c(descr), TRIM(key)//c_null_char, v)
    val = REAL(v, wp)
  END SUBROUTINE comin_metadata_get_real

  SUBROUTINE comin_metadata_get_character(descr, key, val)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    CHARACTER(LEN=*), INTENT(IN) :: key
    CHARACTER(LEN=:), ALLOCATABLE, INTENT(OUT) :: val
    TYPE(c_ptr) :: p
    INTEGER(c_int) :: len
    p = c_null_ptr
    len = 0
    CALL c_metadata_get_character(descr_to_c(descr), TRIM(key)//c_null_char, p, len)
    CALL c_string_copy(p, len, val)
  END SUBROUTINE comin_metadata_get_character

  !> COMIN_METADATA_TYPEID_* of the value stored under key.
  INTEGER FUNCTION comin_metadata_get_typeid(descr, key)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    CHARACTER(LEN=*), INTENT(IN) :: key
    comin_metadata_get_typeid = c_metadata_get_typeid(descr_to_c(descr), TRIM(key)//c_null_char)
  END FUNCTION comin_metadata_get_typeid

  !> An iterator over the metadata keys of the exposed variable descr (after the primary
  !! constructors); delete it with iterator%delete().
  SUBROUTINE comin_metadata_get_iterator(descr, iterator)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: descr
    TYPE(t_comin_var_metadata_iterator), INTENT(OUT) :: iterator

    iterator%it = c_metadata_get_iterator_begin(descr_to_c(descr))
    IF (.NOT. c_associated(iterator%it)) RETURN
    iterator%it_end = c_metadata_get_iterator_end(descr_to_c(descr))
    IF (.NOT. c_associated(iterator%it_end)) CALL iterator%delete()
  END SUBROUTINE comin_metadata_get_iterator

  !> Whether the iterator is past the last key (also for an iterator that failed).
  LOGICAL FUNCTION comin_metadata_iterator_is_end(this)
    CLASS(t_comin_var_metadata_iterator), INTENT(IN) :: this
    comin_metadata_iterator_is_end = .TRUE.
    IF (.NOT. c_associated(this%it) .OR. .NOT. c_associated(this%it_end)) RETURN
    comin_metadata_iterator_is_end = LOGICAL(c_metadata_iterator_compare(this%it, this%it_end))
  END FUNCTION comin_metadata_iterator_is_end

  !> The key at the iterator.
  FUNCTION comin_metadata_iterator_key(this) RESULT(key)
    CLASS(t_comin_var_metadata_iterator), INTENT(IN) :: this
    CHARACTER(LEN=:), ALLOCATABLE :: key
    TYPE(c_ptr) :: p
    CHARACTER(KIND=c_char), POINTER :: chars(:)
    INTEGER :: n

    p = c_metadata_iterator_get_key(this%it)
    IF (.NOT. c_associated(p)) THEN
      ALLOCATE(CHARACTER(LEN=0) :: key)
      RETURN
    END IF
    CALL c_f_pointer(p, chars, [HUGE(0)])
    n = 0
    DO WHILE (chars(n + 1) /= c_null_char)
      n = n + 1
    END DO
    CALL c_string_copy(p, INT(n, c_int), key)
  END FUNCTION comin_metadata_iterator_key

  !> Move to the next key.
  SUBROUTINE comin_metadata_iterator_next(this)
    CLASS(t_comin_var_metadata_iterator), INTENT(INOUT) :: this
    CALL c_metadata_iterator_next(this%it)
  END SUBROUTINE comin_metadata_iterator_next

  !> Free the iterator.
  SUBROUTINE comin_metadata_iterator_delete(this)
    CLASS(t_comin_var_metadata_iterator), INTENT(INOUT) :: this
    IF (c_associated(this%it)) CALL c_metadata_iterator_delete(this%it)
    IF (c_associated(this%it_end)) CALL c_metadata_iterator_delete(this%it_end)
    this%it = c_null_ptr
    this%it_end = c_null_ptr
  END SUBROUTINE comin_metadata_iterator_delete

  ! -- descriptive data -----------------------------------------------------------------------

  !> The global descriptive data; arrays point at the host's (the core's) storage.
  FUNCTION comin_descrdata_get_global() RESULT(global)
    TYPE(t_comin_descrdata_global), POINTER :: global
    LOGICAL(c_bool) :: errors_return
    INTEGER :: code
    CALL quietly(.TRUE., errors_return, code)
    CALL comin_descrdata_fill_global(dd_global)
    CALL quietly(.FALSE., errors_return, code)
    global => dd_global
  END FUNCTION comin_descrdata_get_global

  !> Around filling a descriptive-data type through the single-field getters: the fields the
  !! host did not set stay unassociated (0, empty) as in upstream's types, without an error
  !! (upstream's comin_descrdata_get_domain/_global only point at the stored types); the
  !! getters of single fields still report them.  begin: errors_return on, the code kept.
  SUBROUTINE quietly(begin, errors_return, code)
    LOGICAL, INTENT(IN) :: begin
    LOGICAL(c_bool), INTENT(INOUT) :: errors_return
    INTEGER, INTENT(INOUT) :: code
    LOGICAL(c_bool) :: log_debug, log_info, log_warning
    IF (begin) THEN
      CALL c_current_get_plugin_flags(errors_return, log_debug, log_info, log_warning)
      code = comin_error_get()
      IF (.NOT. errors_return) CALL comin_error_set_errors_return(.TRUE.)
    ELSE
      IF (comin_error_get() /= code) CALL comin_error_reset()
      IF (.NOT. errors_return) CALL comin_error_set_errors_return(.FALSE.)
    END IF
  END SUBROUTINE quietly

  !> The descriptive data of domain jg; NULL (and COMIN_ERROR_FIELD_NOT_ALLOCATED from
  !! the core) for a domain the host did not describe.
  FUNCTION comin_descrdata_get_domain(jg) RESULT(domain)
    INTEGER, INTENT(IN) :: jg
    TYPE(t_comin_descrdata_domain), POINTER :: domain
    INTEGER :: n_dom, code, id
    LOGICAL(c_bool) :: errors_return

    NULLIFY(domain)
    n_dom = c_descrdata_get_global_n_dom()
    ! the core checks jg and explains an unknown domain (the run ends unless errors_return)
    code = comin_error_get()
    id = c_descrdata_get_domain_id(INT(jg, c_int))
    IF (jg < 1 .OR. jg > n_dom .OR. comin_error_get() /= code) RETURN
    IF (ALLOCATED(dd_domains)) THEN
      IF (SIZE(dd_domains) < n_dom) DEALLOCATE(dd_domains)
    END IF
    IF (.NOT. ALLOCATED(dd_domains)) ALLOCATE(dd_domains(n_dom))
    CALL quietly(.TRUE., errors_return, code)
    CALL comin_descrdata_fill_domain(jg, dd_domains(jg))
    CALL quietly(.FALSE., errors_return, code)
    dd_domains(jg)%id = id
    domain => dd_domains(jg)
  END FUNCTION comin_descrdata_get_domain

  !> Start and end of the experiment and of this run.
  FUNCTION comin_descrdata_get_simulation_interval() RESULT(interval)
    TYPE(t_comin_descrdata_simulation_interval), POINTER :: interval
    CALL comin_descrdata_fill_simulation_interval(dd_interval)
    interval => dd_interval
  END FUNCTION comin_descrdata_get_simulation_interval

  ! -- messages and errors ------------------------------------------------------------------

  !> Stop the run via the host: "routine: text".
  SUBROUTINE comin_plugin_finish(routine, text)
    CHARACTER(LEN=*), INTENT(IN) :: routine, text
    CALL c_plugin_finish(TRIM(routine)//c_null_char, TRIM(text)//c_null_char)
  END SUBROUTINE comin_plugin_finish

  SUBROUTINE comin_print_info(msg)
    CHARACTER(LEN=*), INTENT(IN) :: msg
    CALL c_print_info(TRIM(msg)//c_null_char)
  END SUBROUTINE comin_print_info

  SUBROUTINE comin_print_debug(msg)
    CHARACTER(LEN=*), INTENT(IN) :: msg
    CALL c_print_debug(TRIM(msg)//c_null_char)
  END SUBROUTINE comin_print_debug

  SUBROUTINE comin_print_warning(msg)
    CHARACTER(LEN=*), INTENT(IN) :: msg
    CALL c_print_warning(TRIM(msg)//c_null_char)
  END SUBROUTINE comin_print_warning

  !> .TRUE.: errors of this plugin's calls are stored (comin_error_get) instead of ending the run.
  SUBROUTINE comin_error_set_errors_return(errors_return)
    LOGICAL, INTENT(IN) :: errors_return
    CALL c_error_set_errors_return(LOGICAL(errors_return, c_bool))
  END SUBROUTINE comin_error_set_errors_return

  !> Category ("ERROR", ...; at most 10 characters, as C's char[11]) and message of
  !! an error code (blank-padded into the actual arguments).
  SUBROUTINE comin_error_get_message(errcode, category, message)
    INTEGER, INTENT(IN) :: errcode
    CHARACTER(LEN=*), INTENT(OUT) :: category, message
    CHARACTER(KIND=c_char) :: cat(11), msg(COMIN_MAX_LEN_ERR_MESSAGE + 1)

    cat(:) = c_null_char
    msg(:) = c_null_char
    CALL c_error_get_message(INT(errcode, c_int), cat, msg)
    category = from_c_chars(cat)
    message = from_c_chars(msg)
  END SUBROUTINE comin_error_get_message

  !> Check the stored error code: INFO/WARNING are printed, an error ends the run
  !! through the host (comin_plugin_finish with the plugin's name).
  SUBROUTINE comin_error_check()
    CALL c_error_check(COMIN_SUCCESS, c_null_char)
  END SUBROUTINE comin_error_check

  !> A NUL-terminated C character array as a Fortran string.
  FUNCTION from_c_chars(chars) RESULT(str)
    CHARACTER(KIND=c_char), INTENT(IN) :: chars(:)
    CHARACTER(LEN=:), ALLOCATABLE :: str
    INTEGER :: i, n

    n = 0
    DO i = 1, SIZE(chars)
      IF (chars(i) == c_null_char) EXIT
      n = i
    END DO
    ALLOCATE(CHARACTER(LEN=n) :: str)
    DO i = 1, n
      str(i:i) = chars(i)
    END DO
  END FUNCTION from_c_chars

  ! -- setup ----------------------------------------------------------------------------------

  !> The ComIn version (0.3.0).
  FUNCTION comin_setup_get_version() RESULT(version)
    TYPE(t_comin_setup_version_info) :: version
    version = t_comin_setup_version_info(COMIN_VERSION_MAJOR, COMIN_VERSION_MINOR, &
      &                                  COMIN_VERSION_PATCH)
  END FUNCTION comin_setup_get_version

END MODULE comin_plugin_interface
