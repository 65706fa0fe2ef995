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
!! ComIn 0.2 plugins compile too: comin_var_get(context, var_descriptor, flag, var_pointer)
!! with a TYPE(t_comin_var_ptr), POINTER (a specific of the generic comin_var_get beside
!! 0.3's t_comin_var_handle), comin_var_to_3d(var), comin_setup_get_verbosity_level, and
!! comin_var_get_descr_list_head() returns a TYPE(t_comin_var_descr_list_item), POINTER
!! that 0.2 code walks with item%next() and item%item_value while 0.3 code assigns it to
!! a TYPE(c_ptr) (a type-bound defined assignment hands over the C iterator).
MODULE comin_plugin_interface
  USE, INTRINSIC :: iso_c_binding, ONLY: c_int, c_double, c_float, c_bool, c_char, c_ptr, &
    &                                    c_funptr, c_null_char, c_null_ptr, c_associated, &
    &                                    c_f_pointer, c_funloc, c_loc
  USE comin_constants
  USE comin_descrdata_types, ONLY: t_comin_descrdata_global, t_comin_descrdata_domain, &
    &                              t_comin_descrdata_domain_cells, &
    &                              t_comin_descrdata_domain_edges, &
    &                              t_comin_descrdata_domain_verts, &
    &                              t_comin_descrdata_simulation_interval, &
    &                              t_comin_descrdata_domain_store, &
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
  PUBLIC :: comin_var_get_descr_list_head, t_comin_var_descr_list_item
  PUBLIC :: t_comin_var_ptr, comin_var_to_3d

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

  !> ComIn 0.2's view of a variable (comin_var_get with a TYPE(t_comin_var_ptr), POINTER):
  !! the double-precision data, the 1-based positions of the nproma, level, block and
  !! container dimensions (-1: none), the container count or slot, the descriptor.
  !! ptr and device_ptr follow the host: when it re-points the variable (a time-level
  !! swap, comin_var_update), they are set anew, as ComIn 0.2's shared object was.
  TYPE :: t_comin_var_ptr
    TYPE(t_comin_var_descriptor) :: descriptor
    REAL(wp), POINTER :: ptr(:,:,:,:,:) => NULL()
    TYPE(c_ptr) :: device_ptr = c_null_ptr
    INTEGER :: pos_jc = -1, pos_jk = -1, pos_jb = -1, pos_jn = -1
    INTEGER :: ncontained = 0
    LOGICAL(c_bool) :: lcontainer = .FALSE.
    TYPE(t_comin_var_handle), PRIVATE :: handle
  END TYPE t_comin_var_ptr

  !> One entry of the list of exposed variables, as ComIn 0.2 walks it:
  !! p => comin_var_get_descr_list_head(); DO WHILE (ASSOCIATED(p)); ... p%item_value ...;
  !! p => p%next(); END DO.  ComIn 0.3 code assigns the head to a TYPE(c_ptr) and walks
  !! it with comin_var_get_descr_list_next/_var_desc (the assignment gives the C iterator).
  TYPE :: t_comin_var_descr_list_item
    TYPE(t_comin_var_descriptor) :: item_value
    TYPE(c_ptr), PRIVATE :: it = c_null_ptr
    TYPE(t_comin_var_descr_list_item), POINTER, PRIVATE :: next_item => NULL()
  CONTAINS
    PROCEDURE :: next => descr_list_item_next
    PROCEDURE, PASS(rhs), PRIVATE :: to_c_ptr => descr_list_item_to_c_ptr
    GENERIC :: ASSIGNMENT(=) => to_c_ptr
  END TYPE t_comin_var_descr_list_item

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

  ! the storage comin_descrdata_get_global/_domain/_simulation_interval point into, and
  ! the descriptive data's generation (comin_descrdata_get_generation) each was filled at
  TYPE(t_comin_descrdata_global), TARGET, SAVE :: dd_global
  TYPE(t_comin_descrdata_domain), ALLOCATABLE, TARGET, SAVE :: dd_domains(:)
  TYPE(t_comin_descrdata_domain_store), ALLOCATABLE, TARGET, SAVE :: dd_stores(:)
  INTEGER, ALLOCATABLE, SAVE :: dd_filled(:)
  INTEGER, SAVE :: dd_global_filled = 0
  TYPE(t_comin_descrdata_simulation_interval), TARGET, SAVE :: dd_interval

  ! the items of the last walk of the descriptor list as ComIn 0.2 does it, and the
  ! stand-in head of an empty list (ComIn 0.3 code then gets C_NULL_PTR)
  TYPE(t_comin_var_descr_list_item), POINTER, SAVE :: descr_items => NULL()
  TYPE(t_comin_var_descr_list_item), TARGET, SAVE :: descr_empty

  !> Version of ComIn (compile-time constants).
  TYPE, BIND(C) :: t_comin_setup_version_info
    INTEGER(c_int) :: version_no_major, version_no_minor, version_no_patch
  END TYPE t_comin_setup_version_info

  !> ComIn 0.2's form of comin_var_get (0.3's form is in comin_plugin_interface_spec.inc)
  INTERFACE comin_var_get
    MODULE PROCEDURE comin_var_get_ptr_v02
  END INTERFACE comin_var_get

  ! PUBLIC lines, generic interfaces and BIND(C) interfaces of the C API (comin/_capi.py)
#include "comin_plugin_interface_spec.inc"

CONTAINS

#include "comin_c_helpers.inc"

  ! -- the generated procedures (comin/_capi.py): one C function each -----------------------
#include "comin_plugin_interface_procs.inc"

  ! -- current state ------------------------------------------------------------------------

  !> A copy of the current plugin's information.
  SUBROUTINE comin_current_get_plugin_info(comin_current_plugin)
    TYPE(t_comin_plugin_info), INTENT(OUT), TARGET :: comin_current_plugin
    TYPE(t_comin_plugin_info), POINTER :: info
    TYPE(c_ptr) :: val
    INTEGER(c_int) :: len
    LOGICAL(c_bool) :: er, ld, li, lw

    info => comin_current_plugin
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
  SUBROUTINE comin_metadata_get_iterator(var_descriptor, iterator)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: var_descriptor
    TYPE(t_comin_var_metadata_iterator), INTENT(OUT) :: iterator

    iterator%it = c_metadata_get_iterator_begin(descr_to_c(var_descriptor))
    IF (.NOT. c_associated(iterator%it)) RETURN
    iterator%it_end = c_metadata_get_iterator_end(descr_to_c(var_descriptor))
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

  ! -- the list of exposed variables (both ComIn 0.3's and 0.2's forms) ---------------------------

  !> The head of the list of exposed variables.  ComIn 0.3 code: it = ...head() (a
  !! TYPE(c_ptr), C_NULL_PTR for an empty list; walk it with comin_var_get_descr_list_next
  !! and comin_var_get_descr_list_var_desc).  ComIn 0.2 code: p => ...head(), then
  !! p%item_value and p => p%next() (the items of the previous walk are freed here).
  FUNCTION comin_var_get_descr_list_head() RESULT(head)
    TYPE(t_comin_var_descr_list_item), POINTER :: head
    TYPE(t_comin_var_descr_list_item), POINTER :: last, item
    TYPE(c_ptr) :: it, walk

    CALL free_descr_items()
    it = c_var_get_descr_list_head()
    IF (.NOT. c_associated(it)) THEN
      descr_empty%it = c_null_ptr
      descr_empty%item_value = t_comin_var_descriptor("", -1)
      head => descr_empty
      RETURN
    END IF
    ! ComIn 0.2's items: one walk with an iterator of its own (deleted at the end)
    walk = c_var_get_descr_list_head()
    NULLIFY(last)
    DO WHILE (c_associated(walk))
      ALLOCATE(item)
      CALL comin_var_get_descr_list_var_desc(walk, item%item_value)
      IF (ASSOCIATED(last)) THEN
        last%next_item => item
      ELSE
        descr_items => item
      END IF
      last => item
      walk = comin_var_get_descr_list_next(walk)
    END DO
    head => descr_items
    head%it = it
  END FUNCTION comin_var_get_descr_list_head

  !> The next item of the list (ComIn 0.2), NULL after the last one.
  FUNCTION descr_list_item_next(this) RESULT(next)
    CLASS(t_comin_var_descr_list_item), INTENT(IN) :: this
    TYPE(t_comin_var_descr_list_item), POINTER :: next
    next => this%next_item
  END FUNCTION descr_list_item_next

  !> it = comin_var_get_descr_list_head() (ComIn 0.3): the C iterator at the head.
  SUBROUTINE descr_list_item_to_c_ptr(lhs, rhs)
    TYPE(c_ptr), INTENT(OUT) :: lhs
    CLASS(t_comin_var_descr_list_item), INTENT(IN) :: rhs
    lhs = rhs%it
  END SUBROUTINE descr_list_item_to_c_ptr

  SUBROUTINE free_descr_items()
    TYPE(t_comin_var_descr_list_item), POINTER :: item, next
    item => descr_items
    DO WHILE (ASSOCIATED(item))
      next => item%next_item
      DEALLOCATE(item)
      item => next
    END DO
    NULLIFY(descr_items)
  END SUBROUTINE free_descr_items

  ! -- ComIn 0.2's variable pointers ---------------------------------------------------------

  !> comin_var_get of ComIn 0.2: var_pointer points at the variable's t_comin_var_ptr
  !! (NULL when the variable cannot be accessed: the error is reported as for 0.3's form).
  SUBROUTINE comin_var_get_ptr_v02(context, var_descriptor, flag, var_pointer)
    INTEGER, INTENT(IN) :: context(:)
    TYPE(t_comin_var_descriptor), INTENT(IN) :: var_descriptor
    INTEGER, INTENT(IN) :: flag
    TYPE(t_comin_var_ptr), POINTER :: var_pointer
    TYPE(t_comin_var_handle) :: handle
    INTEGER(c_int) :: ds(5)

    NULLIFY(var_pointer)
    CALL comin_var_get_handle(context, var_descriptor, flag, handle)
    IF (.NOT. handle%valid()) RETURN
    ALLOCATE(var_pointer)
    var_pointer%descriptor = handle%descriptor()
    CALL handle%get_ptr(var_pointer%ptr)
    var_pointer%device_ptr = handle%get_device_ptr()
    ds = handle%dim_semantics()
    var_pointer%pos_jc = position_of(ds, COMIN_DIM_SEMANTICS_NPROMA)
    var_pointer%pos_jk = position_of(ds, COMIN_DIM_SEMANTICS_LEVEL)
    var_pointer%pos_jb = position_of(ds, COMIN_DIM_SEMANTICS_BLOCK)
    var_pointer%pos_jn = position_of(ds, COMIN_DIM_SEMANTICS_CONTAINER)
    var_pointer%ncontained = handle%ncontained()
    var_pointer%lcontainer = LOGICAL(handle%lcontainer(), c_bool)
    var_pointer%handle = handle
    CALL c_var_on_repoint(handle%ptr, c_funloc(v02_var_repointed), c_loc(var_pointer))
  END SUBROUTINE comin_var_get_ptr_v02

  !> The host re-pointed the variable of the t_comin_var_ptr at user: its ptr and
  !! device_ptr anew (comin_var_on_repoint, registered by comin_var_get_ptr_v02).
  SUBROUTINE v02_var_repointed(user) BIND(C)
    TYPE(c_ptr), VALUE :: user
    TYPE(t_comin_var_ptr), POINTER :: var_pointer

    CALL c_f_pointer(user, var_pointer)
    CALL var_pointer%handle%get_ptr(var_pointer%ptr)
    var_pointer%device_ptr = var_pointer%handle%get_device_ptr()
  END SUBROUTINE v02_var_repointed

  !> The first position of semantics s in ds (1-based), -1 when absent.
  INTEGER FUNCTION position_of(ds, s)
    INTEGER(c_int), INTENT(IN) :: ds(5)
    INTEGER(c_int), INTENT(IN) :: s
    INTEGER :: i
    position_of = -1
    DO i = 1, 5
      IF (ds(i) == s) THEN
        position_of = i
        RETURN
      END IF
    END DO
  END FUNCTION position_of

  !> ComIn 0.2's comin_var_to_3d: the variable as a 3-D array, its container dimension
  !! (pos_jn among the first three) and else the 4th, and the 5th fixed at 1; a
  !! container ends the run.
  FUNCTION comin_var_to_3d(var) RESULT(slice)
    TYPE(t_comin_var_ptr), INTENT(IN) :: var
    REAL(wp), POINTER :: slice(:,:,:)

    NULLIFY(slice)
    IF (var%lcontainer) THEN
      CALL comin_plugin_finish("comin_var_to_3d", &
        &                      " ERROR: Attempt to convert container variable into 3D field.")
      RETURN
    END IF
    IF (.NOT. ASSOCIATED(var%ptr)) RETURN
    SELECT CASE (var%pos_jn)
    CASE (1)
      slice => var%ptr(1, :, :, :, 1)
    CASE (2)
      slice => var%ptr(:, 1, :, :, 1)
    CASE (3)
      slice => var%ptr(:, :, 1, :, 1)
    CASE DEFAULT
      slice => var%ptr(:, :, :, 1, 1)
    END SELECT
  END FUNCTION comin_var_to_3d

  ! -- descriptive data -----------------------------------------------------------------------

  !> The global descriptive data (as ComIn's: values and allocatable copies).
  FUNCTION comin_descrdata_get_global() RESULT(global)
    TYPE(t_comin_descrdata_global), POINTER :: global
    INTEGER :: generation
    generation = c_descrdata_get_generation()
    IF (generation /= dd_global_filled) THEN
      CALL comin_descrdata_fill_global(dd_global)
      dd_global_filled = generation
    END IF
    global => dd_global
  END FUNCTION comin_descrdata_get_global

  !> The descriptive data of domain jg; NULL (and COMIN_ERROR_FIELD_NOT_ALLOCATED from
  !! the core) for a domain the host did not describe.  Its POINTER components point at
  !! the host's own data where the host pointer-assigned them (a Fortran host: what
  !! the host changes there later is what the plugin reads), else at comin's copies;
  !! it is filled again only when the host has set descriptive data since.
  FUNCTION comin_descrdata_get_domain(jg) RESULT(domain)
    INTEGER, INTENT(IN) :: jg
    TYPE(t_comin_descrdata_domain), POINTER :: domain
    INTEGER :: n_dom, code, id, generation

    NULLIFY(domain)
    n_dom = c_dd_global_n_dom()
    ! the core checks jg and explains an unknown domain (the run ends unless errors_return)
    code = comin_error_get()
    id = c_dd_domain_id(INT(jg, c_int))
    IF (jg < 1 .OR. jg > n_dom .OR. comin_error_get() /= code) RETURN
    IF (ALLOCATED(dd_domains)) THEN
      IF (SIZE(dd_domains) < n_dom) DEALLOCATE(dd_domains, dd_stores, dd_filled)
    END IF
    IF (.NOT. ALLOCATED(dd_domains)) THEN
      ALLOCATE(dd_domains(n_dom), dd_stores(n_dom), dd_filled(n_dom))
      dd_filled(:) = 0
    END IF
    generation = c_descrdata_get_generation()
    IF (dd_filled(jg) /= generation) THEN
      CALL comin_descrdata_fill_domain(jg, dd_domains(jg), dd_stores(jg))
      dd_filled(jg) = generation
    END IF
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
