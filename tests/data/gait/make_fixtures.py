"""Write the small text fixtures of tests/gait/test_readers.py (see README.md here).

Run from the repository root: ``python tests/data/gait/make_fixtures.py``. The files are
committed; rerun only to change them on purpose. Values are simple functions of the row
index ``i`` so the tests can state the truth exactly.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def _write(name: str, lines: list[str], bom: bool = False) -> None:
    text = "\n".join(lines) + "\n"
    (HERE / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())


def walk_csv() -> None:
    """30 rows at 100 Hz from 1.00 s, comma-delimited, everything the CSV format offers."""
    head = (
        "time,left_ankle_deg,right_ankle_deg,left_knee_deg,right_knee_deg,left_hip_deg,"
        "left_hip_adduction_deg,left_heel_x_mm,left_heel_y_mm,left_heel_z_mm,left_toe_x_mm,"
        "left_toe_y_mm,left_toe_z_mm,pelvis_x_mm,pelvis_y_mm,pelvis_z_mm,left_foot_strike,"
        "left_foot_off,right_foot_strike,right_foot_off,Comment"
    )
    events = {2: "1,0,0,0", 5: "0,0,0,1", 12: "0,0,1,0", 20: "0,1,0,0", 22: "1,0,0,0"}
    rows = []
    for i in range(30):
        flags = events.get(i, "0,,0," if i % 2 else "0,0,0,0")
        rows.append(
            f"{1 + i / 100:.2f},10,{-5 + 0.5 * i:g},20,30,15,3,"
            f"{100 + 10 * i},150,40,{300 + 10 * i},150,30,{100 + 10 * i},0,900,{flags},ok"
        )
    _write("walk.csv", ["# walk.csv: afofit CSV fixture", "# body_mass_kg: 70", head, *rows])


def semicolon_csv() -> None:
    """BOM, semicolons, decimal commas, a comment and blank lines; right ankle only."""
    rows = [
        f"{i / 50:.2f}".replace(".", ",") + f";{-2.5 + i:g}".replace(".", ",") for i in range(12)
    ]
    _write(
        "semicolon.csv",
        ["# exported by a spreadsheet", "Time;Right_Ankle_Deg", *rows, "", ""],
        bom=True,
    )


def tab_csv() -> None:
    """Tab-delimited, trailing tabs, a short row (missing trailing cell)."""
    rows = [f"{i / 100:.2f}\t{i:g}\t{-i:g}\t" for i in range(10)]
    rows[4] = "0.04\t4"  # right ankle missing: a 1-sample gap
    _write("tab.csv", ["time\tleft_ankle_deg\tright_ankle_deg\t", *rows])


def gaps_csv() -> None:
    """40 rows at 100 Hz; left ankle = i deg with a 0.02 s gap (rows 10-11) and a 0.15 s
    gap (rows 20-34); right ankle = -i deg missing in rows 0-2 and 39; left heel x = 10 i mm
    missing in rows 5-14 (exactly 0.10 s)."""
    rows = []
    for i in range(40):
        left = "" if i in (10, 11) else "NaN" if 20 <= i <= 34 else f"{i}"
        right = "" if i < 3 or i == 39 else f"{-i}"
        heel = ["", "", ""] if 5 <= i <= 14 else [f"{10 * i}", "0", "50"]
        rows.append(",".join([f"{i / 100:.2f}", left, right, *heel]))
    header = "time,left_ankle_deg,right_ankle_deg,left_heel_x_mm,left_heel_y_mm,left_heel_z_mm"
    _write("gaps.csv", [header, *rows])


def gait2392_mot() -> None:
    """OpenSim gait2392 IK: 20 rows at 120 Hz from 0.5 s, tabs with trailing tabs, degrees,
    knee flexion negative, header counts that lie (nRows=99, nColumns=12)."""
    names = [
        "time",
        "pelvis_tilt",
        "hip_flexion_r",
        "hip_adduction_r",
        "knee_angle_r",
        "ankle_angle_r",
        "hip_flexion_l",
        "hip_adduction_l",
        "knee_angle_l",
        "ankle_angle_l",
    ]
    rows = []
    for i in range(20):
        values = [0.5 + i / 120, -8, 25, 4, -(20 + i), 10, 20, -2, -30, -5]
        rows.append("\t".join(f"{v:.8f}" for v in values) + "\t")
    header = [
        "Coordinates",
        "version=1",
        "nRows=99",
        "nColumns=12",
        "inDegrees=yes",
        "",
        "Units are S.I. units (second, meters, Newtons, ...)",
        "Angles are in degrees.",
        "",
        "endheader",
    ]
    _write("gait2392.mot", [*header, "\t".join(names) + "\t", *rows])


def rajagopal_mot() -> None:
    """Rajagopal-style: spaces, radians (inDegrees=no), knee flexion positive, left only."""
    rows = [f"  {i / 100:.3f}   {0.1 + 0.01 * i:.4f}   {0.3:.4f}" for i in range(15)]
    header = ["ik_rajagopal", "version=1", "nRows=15", "nColumns=3", "inDegrees=no", "endheader"]
    _write("rajagopal.mot", [*header, "time ankle_angle_l knee_angle_l", *rows])


def yup_trc() -> None:
    """OpenSim .trc, +Y up, metres, 12 frames at 100 Hz from 0.1 s, NumFrames that lies (50),
    forgiving names, a missing cell, trailing tabs and blank trailing lines.

    In the file (x forward, y up, z right): L.Heel (0.1 + 0.01 i, 0.05, -0.1),
    L.Toe (0.3 + 0.01 i, 0.03, -0.1), R_HEE (0.5, 0.05, 0.1), RMT2 (0.7, 0.03, 0.1),
    V.Sacral (0.2 + 0.01 i, 0.95, 0). Expected in mm, +z up (x→x, y→z, z→-y):
    left heel (100 + 10 i, 100, 50), right heel (500, -100, 50), pelvis (200 + 10 i, 0, 950).
    R_HEE is blank in frame 6 (row index 5).
    """
    names = ["L.Heel", "L.Toe", "R_HEE", "RMT2", "V.Sacral"]
    lines = [
        "PathFileType\t4\t(X/Y/Z)\tyup.trc",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        "100.00\t100.00\t50\t5\tm\t100.00\t1\t50",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t\t",
        "\t\t" + "\t".join(f"X{k}\tY{k}\tZ{k}" for k in range(1, 6)) + "\t",
        "",
    ]
    for i in range(12):
        x = 0.01 * i
        xyz = [
            (0.1 + x, 0.05, -0.1),
            (0.3 + x, 0.03, -0.1),
            (0.5, 0.05, 0.1),
            (0.7, 0.03, 0.1),
            (0.2 + x, 0.95, 0.0),
        ]
        cells = [f"{i + 1}", f"{0.1 + i / 100:.3f}"]
        for k, point in enumerate(xyz):
            cells += ["", "", ""] if (k == 2 and i == 5) else [f"{v:.5f}" for v in point]
        lines.append("\t".join(cells) + "\t")
    _write("yup.trc", [*lines, "", ""])


if __name__ == "__main__":
    walk_csv()
    semicolon_csv()
    tab_csv()
    gaps_csv()
    gait2392_mot()
    rajagopal_mot()
    yup_trc()
