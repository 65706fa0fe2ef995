!> comin_plugin_interface: the plugin-side Fortran API of ComIn 0.3 (comin).
!!
!! A thin ISO_C_BINDING layer over the C ABI of libcomin (comin.h, link with -lcomin).
!! The procedures that are one C function each, their BIND(C) interfaces and PUBLIC
!! statements are generated from the C API table (comin/_capi.py) into the include files
!! comin_plugin_interface_spec.inc, _procs.inc and _handle.inc (t_comin_var_handle's typed
!! get_ptr/to_3d); written here are the types, the procedures made of several C calls
!! (comin_current_get_plugin_info, the handle's methods, the metadata iterator, the
!! descriptive data) and comin_setup_get_version.  Compile after the generated
!! comin_constants.F90 (every constant as INTEGER(c_int), PARAMETER; re-exported here with
!! wp = c_double) and comin_descrdata_types.F90 (the descriptive-data derived types).  The
!! package ships the three compiled into libcomin_fortran.so with their .mod files
!! (comin-config --fflags --flibs, CMake comin::comin_fortran) and as sources with their
!! include files (comin-config --fsources).
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
  ! types and the procedures written here (the generated ones: comin_plugin_interface_spec.inc)
  PUBLIC :: t_comin_var_descriptor, t_comin_var_handle, t_comin_plugin_info
  PUBLIC :: t_comin_setup_version_info, comin_current_get_plugin_info, comin_setup_get_version
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
    ! get_ptr_<type>, get_ptr, to_3d_<type>, to_3d (one procedure per datatype of comin/_capi.py)
#include "comin_plugin_interface_handle.inc"
    PROCEDURE :: array_shape => comin_var_handle_array_shape
    PROCEDURE :: ncontained => comin_var_handle_ncontained
    PROCEDURE :: dim_semantics => comin_var_handle_dim_semantics
    PROCEDURE :: valid => comin_var_handle_valid
    PROCEDURE :: descriptor => comin_var_handle_descriptor
    PROCEDURE :: lcontainer => comin_var_handle_lcontainer
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

  ! PUBLIC lines, generic interfaces and BIND(C) interfaces of the C API (comin/_capi.py)
#include "comin_plugin_interface_spec.inc"

CONTAINS

#include "comin_c_helpers.inc"

  ! -- the generated procedures (comin/_capi.py): one C function each -----------------------
#include "comin_plugin_interface_procs.inc"

  ! -- current state ------------------------------------------------------------------------

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

  ! -- the variable handle's methods ---------------------------------------------------------

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

  ! -- metadata iterators ------------------------------------------------------------------

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
    key = fstr(c_metadata_iterator_get_key(this%it))
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
    n_dom = c_dd_global_n_dom()
    ! the core checks jg and explains an unknown domain (the run ends unless errors_return)
    code = comin_error_get()
    id = c_dd_domain_id(INT(jg, c_int))
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

  ! -- setup ----------------------------------------------------------------------------------

  !> The ComIn version (0.3.0).
  FUNCTION comin_setup_get_version() RESULT(version)
    TYPE(t_comin_setup_version_info) :: version
    version = t_comin_setup_version_info(COMIN_VERSION_MAJOR, COMIN_VERSION_MINOR, &
      &                                  COMIN_VERSION_PATCH)
  END FUNCTION comin_setup_get_version

END MODULE comin_plugin_interface
