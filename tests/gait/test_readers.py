"""Gait readers: every format's happy path with known values, every repair, every refusal."""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afofit.errors import GaitError, InputError
from afofit.gait.markers import detect_up_axis, match_markers, z_up_rotation
from afofit.gait.parsing import MAX_GAP_S, fill_gaps, rate_from_time
from afofit.gait.readers import SUPPORTED_SUFFIXES, load_gait
from afofit.units import deg_to_rad

from .conftest import FIXTURES, shared_gait

DEG = deg_to_rad(1.0)
MakeC3D = Callable[..., Path]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(path: Path, *fragments: str) -> str:
    """Load ``path``, expect a GaitError whose message holds every fragment; return it."""
    with pytest.raises(GaitError) as info:
        load_gait(path)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


# --- the file itself ------------------------------------------------------------------


def test_gait_error_is_an_input_error_with_exit_code_3() -> None:
    assert issubclass(GaitError, InputError) and GaitError.exit_code == 3


def test_missing_file_names_it_and_the_formats(tmp_path: Path) -> None:
    refused(tmp_path / "nope.c3d", "nope.c3d", "no such file", "C3D", ".mot", ".trc", "CSV")


def test_unknown_suffix_names_it_and_the_formats(tmp_path: Path) -> None:
    refused(write(tmp_path, "trial.xlsx", "time\n"), "trial.xlsx", "'.xlsx'", "C3D", "CSV")


def test_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "trial.csv").mkdir()
    refused(tmp_path / "trial.csv", "folder")


@pytest.mark.parametrize("suffix", [*SUPPORTED_SUFFIXES, ".CSV", ".C3D"])
def test_empty_file_is_refused(tmp_path: Path, suffix: str) -> None:
    refused(write(tmp_path, f"trial{suffix}", ""), f"trial{suffix}", "empty")


def test_suffix_case_does_not_matter(tmp_path: Path) -> None:
    path = tmp_path / "WALK.CSV"
    shutil.copy(FIXTURES / "walk.csv", path)
    assert load_gait(str(path)).path == str(path)


# --- CSV ------------------------------------------------------------------------------


def test_csv_walk_known_values() -> None:
    trial = load_gait(FIXTURES / "walk.csv")
    i = np.arange(30)
    assert trial.rate_hz == 100.0 and trial.body_mass_kg == 70.0
    np.testing.assert_allclose(trial.time_s, 1.0 + i / 100, atol=1e-12)
    left = trial.angles_rad["left", "ankle"]
    assert left.shape == (30, 3)
    np.testing.assert_allclose(left[:, 0], 0.17453292519943295, rtol=1e-15)
    assert np.isnan(left[:, 1:]).all()  # the CSV carries the sagittal angle only
    np.testing.assert_allclose(trial.angles_rad["right", "ankle"][:, 0], (-5 + 0.5 * i) * DEG)
    np.testing.assert_allclose(trial.angles_rad["left", "knee"][:, 0], 20 * DEG)
    np.testing.assert_allclose(trial.angles_rad["right", "knee"][:, 0], 30 * DEG)
    np.testing.assert_allclose(trial.angles_rad["left", "hip"][:, :2], [[15 * DEG, 3 * DEG]] * 30)
    assert ("right", "hip") not in trial.angles_rad
    np.testing.assert_array_equal(
        trial.markers_mm["left", "heel"], np.c_[100 + 10 * i, np.full(30, 150), np.full(30, 40)]
    )
    np.testing.assert_array_equal(trial.markers_mm["left", "toe"][:, 0], 300 + 10 * i)
    assert trial.markers_mm["left", "pelvis"] is trial.markers_mm["right", "pelvis"]
    np.testing.assert_array_equal(trial.markers_mm["left", "pelvis"][0], [100, 0, 900])
    np.testing.assert_allclose(trial.events["left"].foot_strike_s, [1.02, 1.22])
    np.testing.assert_allclose(trial.events["left"].foot_off_s, [1.20])
    np.testing.assert_allclose(trial.events["right"].foot_strike_s, [1.12])
    np.testing.assert_allclose(trial.events["right"].foot_off_s, [1.05])
    assert trial.sides_with_ankle == ("left", "right")
    assert trial.notes == ("ignored unknown columns: comment",)


def test_csv_semicolons_bom_decimal_comma_and_comments() -> None:
    trial = load_gait(FIXTURES / "semicolon.csv")
    assert trial.rate_hz == 50.0 and trial.body_mass_kg is None
    np.testing.assert_allclose(
        trial.angles_rad["right", "ankle"][:, 0], (np.arange(12) - 2.5) * DEG
    )
    assert trial.sides_with_ankle == ("right",) and not trial.events


def test_csv_tabs_with_trailing_tabs_and_a_short_row() -> None:
    trial = load_gait(FIXTURES / "tab.csv")
    np.testing.assert_allclose(trial.angles_rad["right", "ankle"][:, 0], -np.arange(10) * DEG)
    assert trial.notes == ("right_ankle: 1 gap up to 0.01 s interpolated (PCHIP)",)


def test_gaps_short_filled_long_and_ends_left_nan() -> None:
    trial = load_gait(FIXTURES / "gaps.csv")
    left = trial.angles_rad["left", "ankle"][:, 0] / DEG
    i = np.arange(40)
    inside = (i < 20) | (i > 34)
    np.testing.assert_allclose(left[inside], i[inside], atol=1e-9)  # rows 10-11 filled
    assert np.isnan(left[20:35]).all()
    right = trial.angles_rad["right", "ankle"][:, 0]
    assert np.isnan(right[[0, 1, 2, 39]]).all() and not np.isnan(right[3:39]).any()
    heel = trial.markers_mm["left", "heel"]  # a gap of exactly MAX_GAP_S is filled
    np.testing.assert_allclose(heel, np.c_[10 * i, 0 * i, 50 + 0 * i], atol=1e-9)
    assert MAX_GAP_S == 0.1
    assert trial.notes == (
        "left_ankle: 1 gap up to 0.02 s interpolated (PCHIP)",
        "left_ankle: 1 gap up to 0.15 s left as NaN (longer than MAX_GAP_S = 0.1 s)",
        "right_ankle: no data for 0.03 s at the start and 0.01 s at the end, left as NaN",
        "left_heel marker: 1 gap up to 0.10 s interpolated (PCHIP)",
    )


HEAD = "time,left_ankle_deg\n"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("time,left_knee_deg\n0,1\n", ["no ankle angle", "left_ankle_deg", "right_ankle_deg"]),
        (HEAD + "0,1\n0.01,abc\n", ["line 3", "'left_ankle_deg'", "'abc' is not a number"]),
        (HEAD + "0,1\n0.02,1\n0.01,1\n", ["time does not increase at line 4", "0.02 s"]),
        (HEAD + "0,1\n0,1\n", ["time does not increase"]),
        (HEAD + "0,1\n,2\n", ["line 3", "time cell is empty"]),
        (HEAD, ["no data rows"]),
        ("# only a comment\n\n", ["no header row"]),
        ("t,left_ankle_deg\n0,1\n", ["no 'time' column"]),
        (HEAD + "0,\n0.01,nan\n", ["left ankle angle is NaN in every frame"]),
        (HEAD + "0,1,5\n", ["line 2 has 3 values", "2 columns"]),
        ("time,left_ankle_deg,time\n0,1,0\n", ["time appear twice"]),
        ("time,left_ankle_deg,left_foot_strike\n0,1,2\n", ["'left_foot_strike'", "not 0 or 1"]),
        ("time,left_ankle_deg,left_heel_x_mm\n0,1,2\n", ["left_heel_y_mm, left_heel_z_mm"]),
        ("# body_mass_kg: heavy\n" + HEAD + "0,1\n", ["line 1", "'heavy' is not a number"]),
    ],
    ids=[
        "no-ankle",
        "bad-number",
        "time-backwards",
        "time-repeated",
        "time-blank",
        "no-rows",
        "no-header",
        "no-time",
        "ankle-all-nan",
        "row-too-long",
        "repeated-column",
        "bad-event",
        "marker-incomplete",
        "bad-mass",
    ],
)
def test_csv_refusals(tmp_path: Path, text: str, fragments: list[str]) -> None:
    refused(write(tmp_path, "bad.csv", text), "bad.csv", *fragments)


def test_csv_messages_say_what_to_do(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "t.csv", "time,knee\n0,1\n"), "Add left_ankle_deg")
    assert "dorsiflexion positive" in message


def test_one_all_nan_ankle_side_is_dropped_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "time,left_ankle_deg,right_ankle_deg\n0,,1\n0.01,,2\n")
    trial = load_gait(path)
    assert trial.sides_with_ankle == ("right",)
    assert trial.notes == ("left ankle angle is NaN in every frame; dropped",)


def test_signals_nan_throughout_are_dropped_with_a_note(tmp_path: Path) -> None:
    text = "endheader\ntime ankle_angle_r knee_angle_r\n0 10 nan\n0.01 11 nan\n"
    trial = load_gait(write(tmp_path, "t.mot", text))
    assert ("right", "knee") not in trial.angles_rad
    assert "right knee angle is NaN in every frame; dropped" in trial.notes
    head = "time,left_ankle_deg,left_toe_x_mm,left_toe_y_mm,left_toe_z_mm\n"
    trial = load_gait(write(tmp_path, "t.csv", head + "0,1,,,\n0.01,1,,,\n"))
    assert not trial.markers_mm
    assert trial.notes == ("left toe marker is NaN in every frame; dropped",)


def test_binary_junk_in_a_text_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\x00\x01\x02garbage")
    refused(path, "binary")


# --- OpenSim .mot ---------------------------------------------------------------------


def test_mot_gait2392_degrees_knee_flip_and_lying_header() -> None:
    trial = load_gait(FIXTURES / "gait2392.mot")
    i = np.arange(20)
    assert trial.rate_hz == 120.0
    np.testing.assert_allclose(trial.time_s, 0.5 + i / 120, atol=1e-8)
    np.testing.assert_allclose(trial.angles_rad["right", "ankle"][:, 0], 0.17453292519943295)
    np.testing.assert_allclose(trial.angles_rad["left", "ankle"][:, 0], -5 * DEG)
    np.testing.assert_allclose(trial.angles_rad["right", "knee"][:, 0], (20 + i) * DEG)
    np.testing.assert_allclose(trial.angles_rad["left", "knee"][:, 0], 30 * DEG)
    np.testing.assert_allclose(trial.angles_rad["right", "hip"][:, :2], [[25 * DEG, 4 * DEG]] * 20)
    assert np.isnan(trial.angles_rad["right", "hip"][:, 2]).all()
    assert not trial.markers_mm and not trial.events and trial.body_mass_kg is None
    assert "header says nRows = 99 but the file holds 20; used 20" in trial.notes
    assert "header says nColumns = 12 but the file holds 10; used 10" in trial.notes
    flips = [n for n in trial.notes if "negated to flexion positive" in n]
    assert len(flips) == 2 and "gait2392" in flips[0] and "-30.0°" in flips[0]


def test_mot_rajagopal_radians_spaces_knee_kept() -> None:
    trial = load_gait(FIXTURES / "rajagopal.mot")
    np.testing.assert_allclose(trial.angles_rad["left", "ankle"][:, 0], 0.1 + 0.01 * np.arange(15))
    np.testing.assert_allclose(trial.angles_rad["left", "knee"][:, 0], 0.3)
    assert trial.rate_hz == 100.0 and trial.notes == ()


MOT = "name\nversion=1\n{flag}endheader\ntime\t{columns}\n"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("time\tankle_angle_r\n0\t1\n", ["no 'endheader'", "OpenSim"]),
        (
            MOT.format(flag="inDegrees=yes\n", columns="knee_angle_r\thip_flexion_r") + "0\t1\t2\n",
            ["no ankle angle", "ankle_angle_l and ankle_angle_r", "knee_angle_r"],
        ),
        (
            MOT.format(flag="", columns="ankle_angle_r") + "0.1\t1\n0.1\t2\n",
            ["time does not increase at line 6"],
        ),
        (MOT.format(flag="", columns="ankle_angle_r") + "0\tx\n", ["line 5", "'x'"]),
        ("endheader\nankle_angle_r\n1\n", ["no 'time' column"]),
        ("endheader\n\n", ["no column header"]),
        (MOT.format(flag="", columns="ankle_angle_r"), ["no data rows"]),
    ],
    ids=[
        "no-endheader",
        "no-ankle",
        "time-repeated",
        "bad-number",
        "no-time",
        "no-columns",
        "no-rows",
    ],
)
def test_mot_refusals(tmp_path: Path, text: str, fragments: list[str]) -> None:
    refused(write(tmp_path, "bad.mot", text), "bad.mot", *fragments)


@pytest.mark.parametrize(("value", "degrees"), [(10.0, True), (0.2, False)])
def test_mot_without_in_degrees_guesses_from_the_values(
    tmp_path: Path, value: float, degrees: bool
) -> None:
    path = write(tmp_path, "t.mot", f"endheader\ntime ankle_angle_r\n0 {value}\n0.01 {value}\n")
    trial = load_gait(path)
    np.testing.assert_allclose(
        trial.angles_rad["right", "ankle"][:, 0], value * (DEG if degrees else 1)
    )
    assert any(("degrees" if degrees else "radians") in n for n in trial.notes)


# --- OpenSim .trc ---------------------------------------------------------------------


def test_trc_y_up_metres_comes_out_z_up_mm() -> None:
    trial = load_gait(FIXTURES / "yup.trc")
    i = np.arange(12)
    assert trial.rate_hz == 100.0 and not trial.angles_rad and trial.sides_with_ankle == ()
    np.testing.assert_allclose(trial.time_s, 0.1 + i / 100, atol=1e-12)
    np.testing.assert_allclose(
        trial.markers_mm["left", "heel"], np.c_[100 + 10 * i, 100 + 0 * i, 50 + 0 * i]
    )
    np.testing.assert_allclose(trial.markers_mm["left", "toe"][0], [300, 100, 30])
    np.testing.assert_allclose(
        trial.markers_mm["right", "heel"], [[500, -100, 50]] * 12
    )  # gap filled
    np.testing.assert_allclose(trial.markers_mm["right", "toe"][0], [700, -100, 30])  # RMT2
    np.testing.assert_allclose(trial.markers_mm["right", "pelvis"][:, 2], 950)
    assert trial.notes == (
        "header says NumFrames = 50 but the file holds 12; used 12",
        "markers used: left heel=L.Heel, right heel=R_HEE, left toe=L.Toe, right toe=RMT2, "
        "pelvis=V.Sacral (in m)",
        "up axis +Y (OpenSim convention); rotated to +z up: x→x, y→z, z→-y",
        "right_heel marker: 1 gap up to 0.01 s interpolated (PCHIP)",
    )


def trc(names: list[str], rows: list[list[float]], units: str = "mm") -> str:
    head = [
        "PathFileType\t4\t(X/Y/Z)\tt.trc",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits",
        f"100\t100\t{len(rows)}\t{len(names)}\t{units}",
        "Frame#\tTime\t" + "\t\t\t".join(names),
        "\t\t" + "\t".join(f"X{k}\tY{k}\tZ{k}" for k in range(1, len(names) + 1)),
    ]
    body = [f"{k + 1}\t{k / 100}\t" + "\t".join(map(str, row)) for k, row in enumerate(rows)]
    return "\n".join(head + body) + "\n"


def test_trc_z_up_is_kept_when_the_pelvis_says_so(tmp_path: Path) -> None:
    rows = [[10.0 * k, 100, 50, 10.0 * k, 0, 900] for k in range(5)]
    trial = load_gait(write(tmp_path, "z.trc", trc(["LHEE", "SACR"], rows)))
    np.testing.assert_allclose(trial.markers_mm["left", "heel"][1], [10, 100, 50])
    assert "up axis +Z (pelvis/knee markers above the feet); no rotation" in trial.notes


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("DataRate\n1\n2\n3\n4\n", ["five .trc header lines"]),
        (
            trc(["LASI", "RASI"], [[0, 0, 0, 1, 1, 1]]),
            ["no heel or toe marker", "L.Heel", "LASI, RASI"],
        ),
        (trc(["LHEE"], [[0, 0, 0]], units="furlong"), ["unknown length unit 'furlong'"]),
        (trc(["LHEE"], [[0, "a", 0]]), ["line 6", "'LHEE Y'"]),
    ],
    ids=["bad-header", "no-foot-marker", "bad-unit", "bad-number"],
)
def test_trc_refusals(tmp_path: Path, text: str, fragments: list[str]) -> None:
    refused(write(tmp_path, "bad.trc", text), "bad.trc", *fragments)


# --- C3D (written with ezc3d into tmp_path) -------------------------------------------


def pig_points(n: int = 30) -> dict[str, np.ndarray]:
    """Plug-in Gait outputs with a subject prefix; markers in metres, +Y up."""
    i = np.arange(n, dtype=np.float64)
    flat = np.zeros(n)
    return {
        "Bob:LAnkleAngles": np.c_[flat + 10, flat + 2, flat - 3],
        "Bob:RAnkleAngles": np.c_[i, flat, flat],
        "Bob:LKneeAngles": np.c_[flat + 40, flat, flat],
        "Bob:RHipAngles": np.c_[flat + 20, flat + 5, flat - 1],
        "Bob:LPelvisAngles": np.c_[flat + 8, flat + 1, flat],
        "Bob:LHEE": np.c_[0.1 + 0.01 * i, flat + 0.05, flat - 0.1],
        "Bob:LTOE": np.c_[0.3 + 0.01 * i, flat + 0.03, flat - 0.1],
        "Bob:SACR": np.c_[0.2 + 0.01 * i, flat + 0.95, flat],
    }


PIG_PARAMS = {
    ("POINT", "UNITS"): ["m"],
    ("POINT", "Y_SCREEN"): ["+Y"],
    ("POINT", "ANGLE_UNITS"): ["deg"],
    ("PROCESSING", "Bodymass"): [70.0],
}


def test_c3d_plug_in_gait_known_values(c3d_file: MakeC3D) -> None:
    events = [
        ("Left", "Foot Strike", 1.05),
        ("Right", "TO", 1.10),
        ("left", "heel strike", 1.25),
        ("Right", "Toe Off", 1.02),
        ("General", "Event", 1.20),
        ("Left", "Foot Off", 1.28),  # beyond EVENT:USED: not read
    ]
    path = c3d_file(pig_points(), first_frame=101, params=PIG_PARAMS, events=events, events_used=5)
    trial = load_gait(path)
    i = np.arange(30)
    assert trial.rate_hz == 100.0 and trial.body_mass_kg == pytest.approx(70.0)
    np.testing.assert_allclose(trial.time_s, (100 + i) / 100, atol=1e-12)  # header frame 101
    np.testing.assert_allclose(
        trial.angles_rad["left", "ankle"], [[10 * DEG, 2 * DEG, -3 * DEG]] * 30, rtol=1e-7
    )
    np.testing.assert_allclose(trial.angles_rad["right", "ankle"][:, 0], i * DEG, rtol=1e-7)
    assert set(trial.angles_rad) == {
        ("left", "ankle"),
        ("right", "ankle"),
        ("left", "knee"),
        ("right", "hip"),
        ("left", "pelvis"),
    }
    heel = trial.markers_mm["left", "heel"]  # +Y up in metres -> +z up in mm
    np.testing.assert_allclose(heel, np.c_[100 + 10 * i, 100 + 0 * i, 50 + 0 * i], atol=1e-4)
    np.testing.assert_allclose(trial.markers_mm["left", "pelvis"][:, 2], 950, atol=1e-4)
    assert trial.events["left"].foot_strike_s.tolist() == [1.05, 1.25]
    assert trial.events["left"].foot_off_s.size == 0
    assert trial.events["right"].foot_off_s.tolist() == [1.02, 1.10]
    assert trial.notes == (
        "markers used: left heel=LHEE, left toe=LTOE, pelvis=SACR (in m)",
        "up axis +Y (POINT:Y_SCREEN); rotated to +z up: x→x, y→z, z→-y",
        "EVENT:USED says 5 events, the arrays hold 6; read 5",
        "ignored 1 events that are not a left/right foot strike or off: General Event",
    )


def test_c3d_hbm2_markers_and_detected_up_axis(c3d_file: MakeC3D) -> None:
    n = 20
    i = np.arange(n, dtype=np.float64)
    flat = np.zeros(n)
    points = {
        "RAnkleAngles": np.c_[flat + 5, flat, flat],
        "RHEE": np.c_[500 + 0 * i, flat - 100, flat + 50],
        "RMT5": np.c_[700 + 0 * i, flat - 130, flat + 30],
        "RMT2": np.c_[700 + 0 * i, flat - 100, flat + 30],
        "RLM": np.c_[520 + 0 * i, flat - 130, flat + 80],
        "RLEK": np.c_[520 + 0 * i, flat - 120, flat + 480],
        "LPSIS": np.c_[400 + i, flat + 50, flat + 1000],
        "RPSIS": np.c_[400 + i, flat - 50, flat + 1000],
    }
    trial = load_gait(c3d_file(points))  # no POINT:UNITS, no Y_SCREEN
    np.testing.assert_allclose(trial.markers_mm["right", "toe"][0], [700, -100, 30])  # MT2 > MT5
    np.testing.assert_allclose(trial.markers_mm["right", "knee"][0], [520, -120, 480])
    np.testing.assert_allclose(
        trial.markers_mm["left", "pelvis"], np.c_[400 + i, flat, flat + 1000]
    )
    assert trial.time_s[0] == 0.0 and trial.body_mass_kg is None and not trial.events
    assert trial.notes == (
        "no length unit in the file; markers read as mm",
        "markers used: right heel=RHEE, right toe=RMT2, right ankle=RLM, right knee=RLEK, "
        "pelvis=LPSIS+RPSIS",
        "up axis +Z (pelvis/knee markers above the feet); no rotation",
    )


def test_c3d_angles_in_radians_and_a_short_gap(c3d_file: MakeC3D) -> None:
    ankle = np.c_[np.linspace(0, 0.3, 20), np.zeros(20), np.zeros(20)]
    ankle[8:10] = np.nan
    trial = load_gait(c3d_file({"LAnkleAngles": ankle}, params={("POINT", "ANGLE_UNITS"): ["rad"]}))
    np.testing.assert_allclose(
        trial.angles_rad["left", "ankle"][:, 0], np.linspace(0, 0.3, 20), atol=1e-7
    )
    assert trial.notes == ("left_ankle: 1 gap up to 0.02 s interpolated (PCHIP)",)


def test_c3d_without_ankle_angles_names_the_labels(c3d_file: MakeC3D) -> None:
    path = c3d_file({"LKneeAngles": np.zeros((5, 3)), "LHEE": np.zeros((5, 3))})
    message = refused(
        path, "no ankle angle", "LAnkleAngles and RAnkleAngles", "LKneeAngles", "Plug-in Gait"
    )
    assert "export" in message


def test_c3d_unknown_point_unit_is_refused(c3d_file: MakeC3D) -> None:
    points = {"LAnkleAngles": np.zeros((5, 3)), "LHEE": np.ones((5, 3))}
    refused(c3d_file(points, params={("POINT", "UNITS"): ["parsec"]}), "'parsec'")


def test_c3d_that_is_not_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.c3d"
    path.write_bytes(b"not a c3d file at all " * 40)
    refused(path, "t.c3d", "not a C3D file", "Export")


@pytest.mark.parametrize(
    ("where", "fragment"), [("parameters", "parameter section"), ("data", "frames")]
)
def test_c3d_cut_short_is_refused_not_hung(c3d_file: MakeC3D, where: str, fragment: str) -> None:
    """ezc3d loops forever on a parameter section cut short, and silently drops frames."""
    path = c3d_file({"LAnkleAngles": np.zeros((40, 3))})
    raw = path.read_bytes()
    data_start = (struct.unpack("<H", raw[16:18])[0] - 1) * 512
    path.write_bytes(raw[: 700 if where == "parameters" else data_start + 100])
    refused(path, "cut short", fragment)


# --- helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(("axis", "sign"), [(a, s) for a in range(3) for s in (1, -1)])
def test_z_up_rotation_is_proper_and_exact(axis: int, sign: int) -> None:
    rotation = z_up_rotation(axis, sign)
    up = np.zeros(3, dtype=np.int64)
    up[axis] = sign
    assert (rotation @ up).tolist() == [0, 0, 1]
    assert round(np.linalg.det(rotation)) == 1 and (rotation @ rotation.T == np.eye(3)).all()


def test_match_markers_is_forgiving_and_ranks_roles() -> None:
    labels = [
        "Bob:L_HEE",
        "L.Toe.Tip",
        "LMT5",
        "RHeel",
        "R.MT5",
        "RIGHT_ANKLE",
        "LLEK",
        "LPSI",
        "RPSI",
    ]
    found = match_markers(labels)
    assert found["left", "heel"] == (0,) and found["left", "toe"] == (1,)
    assert found["right", "heel"] == (3,) and found["right", "toe"] == (4,)
    assert found["right", "ankle"] == (5,) and found["left", "knee"] == (6,)
    assert found["left", "pelvis"] == found["right", "pelvis"] == (7, 8)
    assert match_markers(["LPSI", "SACR"])["left", "pelvis"] == (1,)
    assert ("left", "pelvis") not in match_markers(["LPSI"])


def test_up_axis_from_the_feet_alone() -> None:
    """Treadmill-like, +Y up: the feet travel 700 mm along z, 100 mm apart along x."""
    t = np.linspace(0, 2 * np.pi, 50)
    left = np.c_[np.full(50, 100.0), 50 + 100 * np.sin(t) ** 2, 350 * np.cos(t)]
    right = np.c_[np.full(50, -100.0), 50 + 100 * np.cos(t) ** 2, -350 * np.cos(t)]
    markers = {("left", "heel"): left, ("right", "heel"): right}
    assert detect_up_axis(markers, strict=False)[:2] == (1, 1)  # type: ignore[index]
    assert detect_up_axis(markers, strict=True) is None
    assert detect_up_axis({}, strict=False) is None


def test_rate_of_a_single_row_is_nan() -> None:
    assert np.isnan(rate_from_time(Path("t.csv"), np.array([0.0]), [2]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=2, max_size=60))
def test_fill_gaps_fills_exactly_the_short_inner_gaps(missing: list[bool]) -> None:
    n = len(missing)
    time_s = np.arange(n) / 100.0
    values = np.c_[2.0 * np.arange(n), np.full(n, np.nan)]  # a line; a column not carried
    values[np.array(missing), 0] = np.nan
    filled, notes = fill_gaps(values, time_s, 100.0, "x")
    assert np.isnan(filled[:, 1]).all()
    valid = np.flatnonzero(~np.array(missing))
    for k in range(n):
        inner = valid.size and valid[0] < k < valid[-1]
        run = 0
        if missing[k] and inner:
            lo, hi = valid[valid < k].max(), valid[valid > k].min()
            run = hi - lo - 1
        if not missing[k] or (inner and run <= 10):
            assert filled[k, 0] == pytest.approx(2.0 * k)
        else:
            assert np.isnan(filled[k, 0])
    assert all(note.startswith("x: ") for note in notes)


# --- the reference recordings ---------------------------------------------------------


def file_events(path: Path) -> dict[tuple[str, str], list[float]]:
    """The EVENT group straight from ezc3d: (context, label) -> times, float32 as stored."""
    import ezc3d

    event = ezc3d.c3d(str(path))["parameters"]["EVENT"]
    found: dict[tuple[str, str], list[float]] = {}
    times = event["TIMES"]["value"]
    for k, (context, label) in enumerate(
        zip(event["CONTEXTS"]["value"], event["LABELS"]["value"], strict=True)
    ):
        found.setdefault((context.lower(), label), []).append(float(60 * times[0, k] + times[1, k]))
    return found


@pytest.mark.parametrize(
    ("name", "mass", "strikes", "offs"),
    [("overground_pig_fullbody.c3d", 63.6, 6, 7), ("treadmill_hbm2_events.c3d", 55.3, 22, 21)],
)
def test_reference_c3d(name: str, mass: float, strikes: int, offs: int) -> None:
    import ezc3d

    path = shared_gait(name)
    trial = load_gait(path)
    raw = ezc3d.c3d(str(path))
    assert trial.rate_hz == 100.0
    assert trial.body_mass_kg == pytest.approx(mass, abs=0.05)
    header_first_frame = struct.unpack("<H", path.read_bytes()[6:8])[0]  # 1-based
    assert trial.time_s[0] == pytest.approx((header_first_frame - 1) / 100.0, abs=1e-12)
    assert np.allclose(np.diff(trial.time_s), 0.01)
    assert sum(e.foot_strike_s.size for e in trial.events.values()) == strikes
    assert sum(e.foot_off_s.size for e in trial.events.values()) == offs
    for (context, label), times in file_events(path).items():
        side = context.lower()
        mine = (
            trial.events[side].foot_strike_s
            if label == "Foot Strike"
            else trial.events[side].foot_off_s
        )
        np.testing.assert_allclose(mine, np.sort(times), atol=1e-6)  # float32 in the file
    labels = raw["parameters"]["POINT"]["LABELS"]["value"]
    for prefix, side in (("L", "left"), ("R", "right")):
        ankle_deg = raw["data"]["points"][:3, labels.index(f"{prefix}AnkleAngles"), :].T
        np.testing.assert_allclose(
            trial.angles_rad[side, "ankle"], ankle_deg * DEG, rtol=0, atol=1e-12
        )
    assert "up axis +Z (POINT:Y_SCREEN); no rotation" in trial.notes
    assert trial.markers_mm["left", "heel"][:, 2].min() > 0  # the heel stays above the floor
    assert set(trial.markers_mm) == {
        (s, r) for s in ("left", "right") for r in ("heel", "toe", "ankle", "knee", "pelvis")
    }
