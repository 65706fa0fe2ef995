"""ICON's &comin_nml plugin list, read with f90nml plus ComIn's rules."""
import pytest

from comin.namelist import NamelistError, read_plugin_list


def _write(tmp_path, text, name="master.nml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_full_list_with_defaults(tmp_path):
    path = _write(tmp_path, """
&comin_nml
  plugin_list(1)%name           = "simple"
  plugin_list(1)%plugin_library = "libpython_adapter.so"
  plugin_list(1)%options        = "plugin.py --hello=world 'argument with spaces'"
  plugin_list(2)%plugin_library = "libpython_adapter.so"
  plugin_list(2)%options        = "other.py"
  plugin_list(2)%comm           = "grp"
  plugin_list(2)%log_debug      = .true.
  plugin_list(2)%log_info       = .false.
/
&other_nml
  x = 1
/
""")
    p1, p2 = read_plugin_list(path)
    assert (p1.name, p1.plugin_library, p1.primary_constructor, p1.comm) == (
        "simple", "libpython_adapter.so", "comin_main", "")
    assert p1.options == "plugin.py --hello=world 'argument with spaces'"
    assert (p1.log_debug, p1.log_info, p1.log_warning) == (False, True, True)
    assert p1.is_python and p2.is_python
    assert (p2.name, p2.comm, p2.log_debug, p2.log_info) == ("", "grp", True, False)


def test_empty_group_gives_no_plugins(tmp_path):
    assert read_plugin_list(_write(tmp_path, "&comin_nml\n/\n")) == []


@pytest.mark.parametrize("text, message", [
    ("&comin_nml\n plugin_list(1)%name = 'x\n/\n", "line 2 (unterminated string?)"),
    ("&comin_nml\n plugin_list(1)%nme = 'x'\n/\n", "line 2: unknown field 'nme' in plugin_list(1)"),
    ("&comin_nml\n plugin_list(1)%name = 'x' foo bar\n/\n", "line 2: plugin_list(1)%name has several values"),
    ("&comin_nml\n plugin_list(1)%plugin_library = 'libpython_adapter.so'\n"
     " plugin_list(1)%options = 'a.py'\n plugin_list(1)%log_info = 3\n/\n",
     "line 4: plugin_list(1)%log_info must be .true. or .false."),
    ("&comin_nml\n plugin_list(1)%plugin_library = 7\n/\n",
     "line 2: plugin_list(1)%plugin_library must be a quoted string"),
    ("&comin_nml\n plugin_list(2)%plugin_library = 'libpython_adapter.so'\n"
     " plugin_list(2)%options = 'a.py'\n/\n", "line 2: plugin_list starts at index 2"),
    ("&comin_nml\n plugin_list(1)%plugin_library = 'libpython_adapter.so'\n"
     " plugin_list(1)%options = 'a.py'\n plugin_list(3)%plugin_library = 'libpython_adapter.so'\n"
     " plugin_list(3)%options = 'b.py'\n/\n",
     "line 4: plugin_list(3) follows the empty entry plugin_list(2)"),
    ("&comin_nml\n plugin_list(1)%options = 'a.py'\n/\n",
     "line 2: plugin_list(1) has no plugin_library"),
    ("&comin_nml\n plugin_list(1)%plugin_library = 'libpython_adapter.so'\n/\n",
     "uses the Python adapter but its options name no script"),
    ("&comin_nml\n foo = 1\n/\n", "line 2: unknown variable 'foo' in &comin_nml"),
    ("&other\n foo = 1\n/\n", "no &comin_nml group (groups found: &other)"),
    ("&comin_nml\n plugin_list(1)%name = '" + "n" * 33 + "'\n"
     " plugin_list(1)%plugin_library = 'libpython_adapter.so'\n/\n", "longer than 32 characters"),
])
def test_bad_namelists_name_the_problem(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(NamelistError) as e:
        read_plugin_list(path)
    assert str(e.value).startswith(path)
    assert message in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(NamelistError, match="cannot read namelist .*nope.nml: No such file"):
        read_plugin_list(str(tmp_path / "nope.nml"))
