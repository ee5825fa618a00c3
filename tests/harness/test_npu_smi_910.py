"""910-class hosts: npu-smi tables whose second row is a ``Phy-ID`` (A3) or nothing
(910B), logical ids from ``npu-smi info -m``, the chip's name from the board query, and
containers that see host devices 3-7 as logical 0-4.

Tables marked REAL are lines of ``npu-smi`` output posted in public GitHub threads
(source in the comment; where a post was cut, the first complete devices are kept).
Those marked CONSTRUCTED follow a documented layout where no real transcript was found.
"""
from __future__ import annotations

import textwrap

import pytest

from harness.ascend import npu_smi
from harness.ascend.errors import DeviceBusyError, ToolError
from harness.ascend.npu_smi import NpuSmiOutputError
from tests.doubles.ascend import fake_cann

# REAL: A3 (Atlas A3), npu-smi 25.2.1, ModelEngine-Group/unified-cache-management#748
# (first three of sixteen chips).
A3_TABLE = """\
+------------------------------------------------------------------------------------------------+
| npu-smi 25.2.1                   Version: 25.2.1                                               |
+---------------------------+---------------+----------------------------------------------------+
| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|
| Chip  Phy-ID              | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |
+===========================+===============+====================================================+
| 0     Ascend910           | OK            | 166.5       38                0    / 0             |
| 0     0                   | 0000:9D:00.0  | 0           0    / 0          3131 / 65536         |
+------------------------------------------------------------------------------------------------+
| 0     Ascend910           | OK            | -           37                0    / 0             |
| 1     1                   | 0000:9F:00.0  | 0           0    / 0          2886 / 65536         |
+===========================+===============+====================================================+
| 1     Ascend910           | OK            | 168.1       37                0    / 0             |
| 0     2                   | 0000:99:00.0  | 0           0    / 0          3125 / 65536         |
+===========================+===============+====================================================+
"""

# REAL: A3, npu-smi 26.0.rc2, vllm-project/vllm-ascend#12980: the header, the first NPU,
# the last NPU (chip 1, Phy-ID 15) and the start of the process table with its
# "Process id in container" column (the devices in between are left out).
A3_TABLE_WITH_PROCESS = """\
+------------------------------------------------------------------------------------------------------------------+
| npu-smi 26.0.rc2                            Version: 26.0.rc2                                                    |
+---------------------------+---------------+----------------------------------------------------------------------+
| NPU   Name                | Health        | Power(W)             Temp(C)                 Hugepages-Usage(page)   |
| Chip  Phy-ID              | Bus-Id        | AICore(%)            Memory-Usage(MB)        HBM-Usage(MB)           |
+===========================+===============+======================================================================+
| 0     Ascend910           | OK            | 162.6                34                      0    / 0                |
| 0     0                   | 0000:9D:00.0  | 0                    0    / 0                3419 / 65536            |
+------------------------------------------------------------------------------------------------------------------+
| 0     Ascend910           | OK            | -                    34                      0    / 0                |
| 1     1                   | 0000:9F:00.0  | 0                    0    / 0                2874 / 65536            |
+------------------------------------------------------------------------------------------------------------------+
| 7     Ascend910           | OK            | -                    35                      0    / 0                |
| 1     15                  | 0000:83:00.0  | 0                    0    / 0                31877/ 65536            |
+===========================+===============+======================================================================+
+---------------------------+---------------+----------------------------------------------------------------------+
| NPU     Chip              | Process id    | Process name       | Process memory(MB)    | Process id in container |
+===========================+===============+======================================================================+
| 0       0                 | 632268        | python3.1          | 197                   | NA                      |
+===========================+===============+======================================================================+
| No running processes found in NPU 1                                                                              |
+===========================+===============+======================================================================+
"""

# REAL (as quoted verbatim in a public test suite, "the 8-card 910B3 host used for
# validation"), npu-smi 25.5.1: NPU 0 idle, NPU 5 loaded with a process on it.
TABLE_910B3 = """\
+------------------------------------------------------------------------------------------------+
| npu-smi 25.5.1                   Version: 25.5.1                                               |
+---------------------------+---------------+----------------------------------------------------+
| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|
| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |
+===========================+===============+====================================================+
| 0     910B3               | OK            | 102.8       45                0    / 0             |
| 0                         | 0000:C1:00.0  | 0           0    / 0          3445 / 65536         |
+===========================+===============+====================================================+
| 5     910B3               | OK            | 100.8       44                0    / 0             |
| 0                         | 0000:02:00.0  | 12          0    / 0          60156/ 65536         |
+===========================+===============+====================================================+
+---------------------------+---------------+----------------------------------------------------+
| NPU     Chip              | Process id    | Process name             | Process memory(MB)      |
+===========================+===============+====================================================+
| 5       0                 | 2290156       | VLLMEngineCore           | 56630                   |
+===========================+===============+====================================================+
"""

# REAL: 910B4, npu-smi 24.1.1, 1Panel-dev/1Panel#9472 (first two NPUs): "26838/ 32768".
TABLE_910B4 = """\
+------------------------------------------------------------------------------------------------+
| npu-smi 24.1.1                   Version: 24.1.1                                               |
+---------------------------+---------------+----------------------------------------------------+
| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|
| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |
+===========================+===============+====================================================+
| 0     910B4               | OK            | 88.2        30                0    / 0             |
| 0                         | 0000:C1:00.0  | 0           0    / 0          26838/ 32768         |
+===========================+===============+====================================================+
| 1     910B4               | OK            | 87.0        30                0    / 0             |
| 0                         | 0000:C2:00.0  | 0           0    / 0          29356/ 32768         |
+===========================+===============+====================================================+
"""

# REAL: one 310P3 card with two chips (NPU 1, chips 0 and 1), npu-smi 24.1.rc2,
# ollama/ollama#5315 (host side, first card).
TABLE_310P3_TWO_CHIPS = """\
+--------------------------------------------------------------------------------------------------------+
| npu-smi 24.1.rc2                                 Version: 24.1.rc2                                     |
+-------------------------------+-----------------+------------------------------------------------------+
| NPU     Name                  | Health          | Power(W)     Temp(C)           Hugepages-Usage(page) |
| Chip    Device                | Bus-Id          | AICore(%)    Memory-Usage(MB)                        |
+===============================+=================+======================================================+
| 1       310P3                 | OK              | NA           59                0     / 0             |
| 0       0                     | 0000:01:00.0    | 0            1397 / 44280                            |
+-------------------------------+-----------------+------------------------------------------------------+
| 1       310P3                 | OK              | NA           58                0     / 0             |
| 1       1                     | 0000:01:00.0    | 0            1520 / 43693                            |
+===============================+=================+======================================================+
"""

# REAL: `npu-smi info -m` of an 8-card 910B3 host (same public test suite as TABLE_910B3,
# first two cards; leading tab and trailing spaces as printed).
MAP_910B3 = ("\tNPU ID                         Chip ID                        Chip Logic ID                  Chip Name                     \n"
             "\t0                              0                              0                              Ascend 910B3\n"
             "\t0                              1                              -                              Mcu                           \n"
             "\t1                              0                              1                              Ascend 910B3\n"
             "\t1                              1                              -                              Mcu                           \n")

# CONSTRUCTED: the newer `-m` layout with a `Chip Phy-ID` column (column order as in
# vllm-ascend's cpu-binding tests), for a container that sees host chips 3..7 as 0..4.
MAP_A3_CONTAINER = textwrap.dedent("""\
    NPU ID   Chip ID   Chip Logic ID   Chip Phy-ID   Chip Name
    1        1         0               3             Ascend910
    1        2         -               -             Mcu
    2        0         1               4             Ascend910
    2        1         2               5             Ascend910
    2        2         -               -             Mcu
    3        0         3               6             Ascend910
    3        1         4               7             Ascend910
    3        2         -               -             Mcu
    """)

# REAL: `npu-smi info -t board -i 0 -c 0` on A2 and on A3, from a public Ascend guide
# ("how to obtain the chip's SoC version": Ascend{Chip Name} on A2, {Chip Name}_{NPU Name} on A3).
BOARD_A2 = ("        NPU ID                         : 0\n        Chip ID                        : 0\n"
            "        Chip Type                      : Ascend\n        Chip Name                      : 910B4\n")
BOARD_A3 = ("        NPU ID                         : 0\n        NPU Name                       : 9392\n"
            "        Chip ID                        : 0\n        Chip Name                      : Ascend910\n")


# -- the tables ------------------------------------------------------------------------------------
def test_a3_table_second_row_is_the_physical_id_not_a_logical_one():
    info = npu_smi.parse_npu_smi_info(A3_TABLE)
    assert info.id_column == "Phy-ID" and info.driver_version == "25.2.1"
    assert [(d.npu_id, d.chip_id, d.phy_id, d.device_id) for d in info.devices] == \
        [(0, 0, 0, None), (0, 1, 1, None), (1, 0, 2, None)]
    assert [d.hbm_used_mb for d in info.devices] == [3131, 2886, 3125]
    with pytest.raises(NpuSmiOutputError, match=r"NPU 0 chip 0 .*'Ascend910'.*-t board.*--soc-version"):
        info.devices[0].soc_version


def test_a3_busy_chip_found_through_its_npu_and_chip():
    info = npu_smi.parse_npu_smi_info(A3_TABLE_WITH_PROCESS)
    assert [(d.npu_id, d.chip_id, d.phy_id) for d in info.devices] == [(0, 0, 0), (0, 1, 1), (7, 1, 15)]
    assert info.devices[2].hbm_used_mb == 31877
    # CONSTRUCTED map for these three chips (logical 0, 1, 15 on a host without a container)
    chips = [npu_smi.ChipIds(0, 0, 0, 0, "Ascend910"), npu_smi.ChipIds(0, 1, 1, 1, "Ascend910"),
             npu_smi.ChipIds(7, 1, 15, 15, "Ascend910")]
    mapped = npu_smi.with_logical_ids(info, chips)
    assert npu_smi.busy_reasons(mapped, 0) == ["processes 632268 (python3.1, 197 MB)"]
    assert npu_smi.busy_reasons(mapped, 1) == [] and npu_smi.busy_reasons(mapped, 15) == []


def test_910b_tables_have_no_id_column():
    for text, names in ((TABLE_910B3, ["910B3"] * 2), (TABLE_910B4, ["910B4"] * 2)):
        info = npu_smi.parse_npu_smi_info(text)
        assert info.id_column is None and [d.name for d in info.devices] == names
        assert all(d.device_id is None and d.phy_id is None for d in info.devices)
    b3 = npu_smi.parse_npu_smi_info(TABLE_910B3)
    assert [(d.npu_id, d.aicore_percent, d.hbm_used_mb) for d in b3.devices] == [(0, 0, 3445), (5, 12, 60156)]
    assert b3.devices[1].soc_version == "Ascend910B3"
    b4 = npu_smi.parse_npu_smi_info(TABLE_910B4)
    assert [(d.hbm_used_mb, d.hbm_total_mb) for d in b4.devices] == [(26838, 32768), (29356, 32768)]


def test_910b_logical_ids_come_from_the_map_not_the_npu_id():
    """NPU 5 of the table is logical 1 in a process that sees only two chips (CONSTRUCTED map)."""
    info = npu_smi.parse_npu_smi_info(TABLE_910B3)
    chips = [npu_smi.ChipIds(0, 0, 0, None, "Ascend 910B3"), npu_smi.ChipIds(5, 0, 1, None, "Ascend 910B3")]
    mapped = npu_smi.with_logical_ids(info, chips)
    assert mapped.logical_ids() == [0, 1] and mapped.device(1).npu_id == 5
    assert npu_smi.busy_reasons(mapped, 1) == ["AICore 12%", "processes 2290156 (VLLMEngineCore, 56630 MB)"]
    assert npu_smi.busy_reasons(mapped, 0) == []
    with pytest.raises(KeyError, match="logical ids: \\[0, 1\\]"):
        mapped.device(5)


def test_310p3_card_with_two_chips():
    info = npu_smi.parse_npu_smi_info(TABLE_310P3_TWO_CHIPS)
    assert info.id_column == "Device"
    assert [(d.npu_id, d.chip_id, d.device_id, d.soc_version) for d in info.devices] == \
        [(1, 0, 0, "Ascend310P3"), (1, 1, 1, "Ascend310P3")]


# -- npu-smi info -m and the board query --------------------------------------------------------------
def test_map_of_a_910b3_host_keeps_mcu_rows_without_logical_id():
    rows = npu_smi.parse_npu_smi_map(MAP_910B3)
    assert [(r.npu_id, r.chip_id, r.logical_id, r.name) for r in rows] == [
        (0, 0, 0, "Ascend 910B3"), (0, 1, None, "Mcu"), (1, 0, 1, "Ascend 910B3"), (1, 1, None, "Mcu")]


def test_map_with_phy_id_column_in_a_container():
    rows = [r for r in npu_smi.parse_npu_smi_map(MAP_A3_CONTAINER) if r.logical_id is not None]
    assert [(r.logical_id, r.phy_id, r.npu_id, r.chip_id) for r in rows] == [
        (0, 3, 1, 1), (1, 4, 2, 0), (2, 5, 2, 1), (3, 6, 3, 0), (4, 7, 3, 1)]


@pytest.mark.parametrize("text", ["", "NPU ID Chip ID Chip Name\n0 0 Ascend\n",  # no logical id column
                                  MAP_910B3.replace("\t1                              0", "\tx 0"),
                                  MAP_910B3.replace("              1                              Ascend",
                                                    "              0                              Ascend")])
def test_map_rejects_what_it_cannot_read(text):
    with pytest.raises(NpuSmiOutputError):
        npu_smi.parse_npu_smi_map(text)


def test_board_query_names_the_soc_version():
    assert npu_smi.board_soc_version(npu_smi.parse_board(BOARD_A2)) == "Ascend910B4"
    assert npu_smi.board_soc_version(npu_smi.parse_board(BOARD_A3)) == "Ascend910_9392"
    assert npu_smi.board_soc_version({"Chip Name": "310P3"}) == "Ascend310P3"
    with pytest.raises(NpuSmiOutputError, match="Chip Name"):
        npu_smi.parse_board("NPU ID : 0\n")
    with pytest.raises(NpuSmiOutputError):
        npu_smi.board_soc_version({"Chip Name": "Ascend910"})  # A3 without its NPU Name


@pytest.mark.parametrize("name", ["910", "Ascend910", "Ascend 910"])
def test_a_bare_910_is_no_soc_version(name):
    assert npu_smi.needs_board_query(name)
    with pytest.raises(NpuSmiOutputError, match="family"):
        npu_smi.soc_version(name)


# -- through the double: containers that see host devices 3-7 as 0-4 ----------------------------------
@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    return fake_cann.install(tmp_path_factory.mktemp("cann"))


def smi_env(fake, name, **settings):
    return fake.environ(SUITE_DOUBLE_NPU_NAME=name, SUITE_DOUBLE_NPU_HOST_IDS="3,4,5,6,7", **settings)


@pytest.mark.parametrize("name,soc", [("310P3", "Ascend310P3"), ("910B3", "Ascend910B3"),
                                      ("Ascend910_9392", "Ascend910_9392"), ("910_9382", "Ascend910_9382")])
def test_container_devices_are_addressed_by_logical_id(fake, name, soc):
    info = npu_smi.query(smi_env(fake, name), program=str(fake.sbin / "npu-smi"))
    assert info.logical_ids() == [0, 1, 2, 3, 4]
    dev = info.device(2)  # host device 5
    assert (dev.phy_id if "910_" in name else dev.npu_id) == 5
    assert [d.soc_version for d in info.devices] == [soc] * 5


def test_busy_check_follows_the_logical_id(fake):
    env = smi_env(fake, "Ascend910_9392", SUITE_DOUBLE_NPU_BUSY="2")
    program = str(fake.sbin / "npu-smi")
    idle = npu_smi.require_idle(1, env=env, program=program, attempts=1)
    assert (idle.phy_id, idle.soc_version) == (4, "Ascend910_9392")
    busy = r"device 2 is busy \(AICore 57%; processes 4244 .*NPU 2 chip 1 \(Phy-ID 5\)"
    with pytest.raises(DeviceBusyError, match=busy):
        npu_smi.require_idle(2, env=env, program=program, attempts=1)
    with pytest.raises(DeviceBusyError, match="no device with logical id 5"):
        npu_smi.require_idle(5, env=env, program=program, attempts=1)


def test_without_the_map_a_910_table_cannot_be_addressed(tmp_path):
    """A driver whose `npu-smi info -m` fails: 910B tables carry no id, so the query fails
    naming both; a 310-class table's Device column still serves."""
    script = tmp_path / "npu-smi"
    table = tmp_path / "table.txt"
    script.write_text(f'#!/bin/sh\n[ "$*" = "info" ] && exec cat {table}\necho "invalid option -m" >&2\nexit 3\n')
    script.chmod(0o755)
    table.write_text(TABLE_910B3)
    with pytest.raises(ToolError, match=r"no device id column and `npu-smi info -m` failed"):
        npu_smi.query(program=str(script))
    table.write_text(TABLE_310P3_TWO_CHIPS)
    assert npu_smi.query(program=str(script)).logical_ids() == [0, 1]


def test_npu_test_skips_naming_the_logical_id_of_a_host_id(fake, monkeypatch):
    """--devices 5 in a container that sees host 3-7: skipped, saying 5 is logical 2."""
    from types import SimpleNamespace

    import fixtures.ascend as plugin
    from harness import backends as registry
    from harness.backends.ascend import AscendBackend

    backend = AscendBackend(environ=smi_env(fake, "910B3"))
    monkeypatch.setattr(registry, "get", lambda name: backend)
    config = SimpleNamespace(suite_options=SimpleNamespace(devices=(5,), soc_version=""))
    item = SimpleNamespace(get_closest_marker=lambda name: object() if name == "npu" else None, config=config)
    with pytest.raises(pytest.skip.Exception, match=r"device 5 is not a logical id .*\[0, 1, 2, 3, 4\].*"
                                                    r"host numbering of NPU 5 chip 0, which is logical id 2"):
        plugin.pytest_runtest_setup(item)
    config.suite_options.devices = (2,)
    plugin.pytest_runtest_setup(item)  # a listed logical id: runs


def test_toolkit_platform_configs_name_the_chips_it_compiles_for(tmp_path):
    from harness.ascend import cann

    folder = tmp_path / "aarch64-linux" / "data" / "platform_config"
    folder.mkdir(parents=True)
    for soc in ("Ascend310P3", "Ascend910B3", "Ascend910_9382", "Ascend910_9392"):
        (folder / f"{soc}.ini").write_text("[version]\n")
    assert cann.platform_socs(tmp_path) == ["Ascend310P3", "Ascend910B3", "Ascend910_9382", "Ascend910_9392"]
    assert cann.soc_problem("Ascend910_9392", tmp_path) is None
    problem = cann.soc_problem("Ascend910", tmp_path)
    assert "no platform config for --soc_version Ascend910 (it has Ascend910B3, Ascend910_9382" in problem
    assert cann.platform_socs(tmp_path / "none") is None and cann.soc_problem("Ascend910", tmp_path / "none") is None


def test_npu_test_skips_when_no_chip_name_can_be_had(fake, monkeypatch, tmp_path):
    """A3 table whose board query fails: the npu test is skipped saying so and naming --soc-version."""
    from types import SimpleNamespace

    import fixtures.ascend as plugin
    from harness.backends.ascend import AscendBackend

    backend = AscendBackend(environ=smi_env(fake, "Ascend910_9392"))
    opts = SimpleNamespace(soc_version="")
    assert plugin.chip_problem(backend, opts, 3) is None  # the board query names Ascend910_9392
    broken = AscendBackend(environ=smi_env(fake, "Ascend910_9392", SUITE_DOUBLE_NPU_BOARD_FAIL="1"))
    problem = plugin.chip_problem(broken, opts, 0)
    assert "'Ascend910', a family" in problem and "board query failed" in problem and "--soc-version" in problem
    assert plugin.chip_problem(broken, SimpleNamespace(soc_version="Ascend910_9392"), 0) is None


def test_runtime_refuses_a_host_id_in_ascend_rt_visible_devices(fake, tmp_path):
    """The container of host 3-7: ASCEND_RT_VISIBLE_DEVICES=2 opens (logical 2 = host 5 is
    runtime device 0); =5, the host id, is out of the logical range, as the runtime says."""
    import sys

    from harness.ascend.proc import run_tool

    env = smi_env(fake, "910B3", SUITE_DOUBLE_AIS_LINEAGE="2023")
    cmd = [sys.executable, "-m", "ais_bench", "--model", str(tmp_path / "absent.om"), "--device", "0"]
    host = run_tool(cmd, env={**env, "ASCEND_RT_VISIBLE_DEVICES": "5"}, timeout_s=120, check=False)
    assert host.returncode == 1 and "set ASCEND_RT_VISIBLE_DEVICES:5 error, input data rang[0-5)" in host.stdout
    logical = run_tool(cmd, env={**env, "ASCEND_RT_VISIBLE_DEVICES": "2"}, timeout_s=120, check=False)
    assert "open device 0 success" in logical.stdout, logical.output


# -- robustness: a transcript with any slice replaced parses or raises the parser's error -----------
from hypothesis import given, settings, strategies as st  # noqa: E402

_FUZZED = [(npu_smi.parse_npu_smi_info, A3_TABLE_WITH_PROCESS), (npu_smi.parse_npu_smi_info, TABLE_910B3),
           (npu_smi.parse_npu_smi_map, MAP_910B3), (npu_smi.parse_npu_smi_map, MAP_A3_CONTAINER),
           (lambda t: npu_smi.board_soc_version(npu_smi.parse_board(t)), BOARD_A3)]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_910_parsers_fail_only_with_their_error(data):
    parse, seed = _FUZZED[data.draw(st.integers(0, len(_FUZZED) - 1))]
    a = data.draw(st.integers(0, len(seed)))
    b = data.draw(st.integers(a, len(seed)))
    text = seed[:a] + data.draw(st.text(max_size=20)) + seed[b:]
    try:
        parse(text)
    except NpuSmiOutputError:
        pass
