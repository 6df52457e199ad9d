"""A batch's manifest: one fitting per row, read from CSV or TOML and checked whole before
any work.

CSV: a header row naming the columns, then a row per case. TOML: an array of tables
``[[case]]`` with the same keys. Only ``case_id`` and ``scan`` are required; an empty
cell takes the default of ``afofit fit``. Paths are relative to the manifest's folder.

======================  ==================================================================
column                  value
======================  ==================================================================
``case_id``             the case's folder name under OUT: letters, digits, ``._-``
``scan``                the leg scan (STL, PLY, OBJ)
``gait``                gait trials, separated by ``;`` (a list in TOML)
``side``                left, right or both
``design``              pls, semi-rigid, solid, or a design ``.toml``
``material``            a material profile or ``.toml`` (default pp-copolymer)
``thickness``           wall, mm (default: the design's, or tuned to the stiffness)
``stiffness``           target N·m/deg: ``K`` or ``LOW-HIGH`` (or ``LOW,HIGH``)
``stiffness_method``    fast or fe
``clearance``           gap over the skin, mm
``footplate``           sulcus, three-quarter or full
``strap_slots``         yes or no
``units``               the scan's units: mm, cm, m, in
``landmarks``           a landmarks file that replaces the detected ones
``mass``                body mass, kg
``sex``                 male or female
``patient_ref``         for the report's header
``clinician``           for the report's header
``date``                the report's date, YYYY-MM-DD
``label``               text engraved in the outer calf (e.g. case id, side and date)
``slice``               yes or no: also slice the shell into G-code (PrusaSlicer, FFF)
======================  ==================================================================
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from afofit.clinical import ClinicalInputs
from afofit.errors import AfofitError, InputError
from afofit.profiles import load_design, load_material
from afofit.request import DEFAULT_MATERIAL, STIFFNESS_METHODS, FitRequest, parse_stiffness
from afofit.slicing import slicing_for

__all__ = ["COLUMNS", "BatchCase", "ManifestError", "read_manifest"]

#: Every column a manifest may have (``case_id`` and ``scan`` are required).
COLUMNS = (
    "case_id", "scan", "gait", "side", "design", "material", "thickness", "stiffness",
    "stiffness_method", "clearance", "footplate", "strap_slots", "units", "landmarks", "mass",
    "sex", "patient_ref", "clinician", "date", "label", "slice",
)  # fmt: skip
#: A case id: a plain folder name (it names OUT/<case_id>).
CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CHOICES = {
    "side": ("left", "right", "both"),
    "footplate": ("sulcus", "three-quarter", "full"),
    "units": ("mm", "cm", "m", "in"),
    "sex": ("male", "female"),
    "stiffness_method": STIFFNESS_METHODS,
}
_YES, _NO = ("yes", "true", "1", "y"), ("no", "false", "0", "n")


class ManifestError(InputError):
    """The manifest cannot be read, or rows of it are wrong (each named by its row)."""


@dataclass(frozen=True, slots=True)
class BatchCase:
    """One row of a manifest: its ``row`` number (the file's line for CSV, the table's
    number for TOML), ``case_id``, the fitting's ``request`` and the report's header
    fields (``patient_ref``, ``clinician``, ``date``).

    The request's paths are relative to ``base`` (the manifest's folder, absolute) when
    the files lie in it, as the manifest wrote them: a case runs with ``base`` as its
    working folder (on this machine, or shipped with its inputs to another), and its
    outputs name the inputs as the manifest did. :meth:`located` gives them from here."""

    row: int
    case_id: str
    request: FitRequest
    patient_ref: str | None = None
    clinician: str | None = None
    date: str | None = None
    base: Path = Path()

    def located(self) -> FitRequest:
        """The request with its paths joined to ``base``: readable from any folder."""
        return replace(
            self.request,
            scan=self.base / self.request.scan,
            landmarks=None if self.request.landmarks is None
            else self.base / self.request.landmarks,
            gait=tuple(self.base / g for g in self.request.gait),
            design=None if self.request.design is None else _at(self.base, self.request.design),
            material=_at(self.base, self.request.material),
        )  # fmt: skip

    def inputs(self) -> list[Path]:
        """The input files as the request names them (relative to ``base`` or absolute)."""
        return self.request.input_files()


def read_manifest(path: Path, slice_all: bool = False) -> list[BatchCase]:
    """Read and check the manifest at ``path`` (``.csv`` or ``.toml``): every row, before
    any work; all the wrong rows are reported at once. ``slice_all`` slices every case
    (as a ``slice`` column of yes would).

    Raises
    ------
    ManifestError
        The file cannot be read, has no cases, or rows are wrong (a missing or unknown
        column, a bad value, a file that is not there, an unsafe or repeated case id).
    """
    path = Path(os.path.abspath(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot be read ({exc.strerror}); check the path.") from None
    except UnicodeDecodeError:
        raise ManifestError(
            f"{path}: is not UTF-8 text (save the manifest as CSV or TOML)."
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(text, path)
    elif suffix == ".toml":
        rows = _toml_rows(text, path)
    else:
        raise ManifestError(f"{path}: a manifest is a .csv or a .toml file.")
    if not rows:
        raise ManifestError(f"{path}: holds no cases.")
    cases, problems = [], []
    seen: dict[str, int] = {}
    for number, row in rows:
        try:
            case = _case(number, row, path.parent, slice_all)
        except AfofitError as exc:
            problems.append(f"row {number}: {exc}")
            continue
        if case.case_id in seen:
            problems.append(
                f"row {number}: case_id {case.case_id!r} is already row {seen[case.case_id]}'s; "
                "give each case its own id."
            )
            continue
        seen[case.case_id] = number
        cases.append(case)
    if problems:
        shown = problems[:20] + (
            [f"... and {len(problems) - 20} more"] if len(problems) > 20 else []
        )
        raise ManifestError(f"{path}: {len(problems)} wrong row(s):\n  " + "\n  ".join(shown))
    return cases


def _csv_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    _check_columns(header, path)
    rows = []
    for record in reader:
        line = reader.line_num
        extra = record.get(None)
        if extra:
            raise ManifestError(f"{path}: row {line} has more cells than the header has columns.")
        values = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
        if any(values.values()):  # a blank line is not a case
            rows.append((line, values))
    return rows


def _toml_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: is not valid TOML ({exc}).") from None
    tables = data.get("case")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ManifestError(f"{path}: write each case as a [[case]] table.")
    rows = []
    for number, table in enumerate(tables, 1):
        _check_columns(list(table), path, f"[[case]] {number}")
        rows.append((number, table))
    return rows


def _check_columns(names: list[str], path: Path, where: str = "the header") -> None:
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise ManifestError(
            f"{path}: {where} has unknown column(s) {', '.join(map(repr, unknown))}; "
            f"the columns are {', '.join(COLUMNS)}."
        )
    missing = [n for n in ("case_id", "scan") if n not in names]
    if missing and where == "the header":
        raise ManifestError(f"{path}: the header lacks {' and '.join(missing)}.")


def _text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None or isinstance(value, list):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value).strip()
    return text or None


def _number(row: Mapping[str, Any], name: str, unit: str) -> float | None:
    text = _text(row, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{name} {text!r} is not a number of {unit}.") from None
    if not value > 0.0:
        raise InputError(f"{name} {text!r} must be > 0 {unit}.")
    return value


def _choice(row: Mapping[str, Any], name: str) -> str | None:
    text = _text(row, name)
    if text is not None and text not in _CHOICES[name]:
        raise InputError(f"{name} {text!r}: use one of {', '.join(_CHOICES[name])}.")
    return text


def _file(text: str, base: Path, name: str) -> Path:
    """The file ``text`` names (relative to the manifest's folder ``base``), checked; as a
    path relative to ``base`` when it lies in it, else absolute."""
    path = Path(text).expanduser()
    found = path if path.is_absolute() else base / path
    if not found.is_file():
        raise InputError(f"{name} {text!r}: no such file ({found}).")
    found = Path(os.path.normpath(found))
    return found.relative_to(base) if found.is_relative_to(base) else found


def _stiffness(row: Mapping[str, Any]) -> tuple[float, float] | None:
    text = _text(row, "stiffness")
    if text is None:
        return None
    return parse_stiffness(text, r"\s*[,;]\s*|\s*-\s*(?=\d|\.)", "stiffness", "LOW-HIGH")


def _at(base: Path, profile: str) -> str:
    """A profile's name as is, its ``.toml`` file joined to ``base``."""
    return str(base / profile) if profile.lower().endswith(".toml") else profile


def _profile(row: Mapping[str, Any], name: str, base: Path) -> str | None:
    """A profile's name, or its ``.toml`` file's path (relative to the manifest)."""
    text = _text(row, name)
    if text is None or not text.lower().endswith(".toml"):
        return text
    return str(_file(text, base, name))


def _gait(row: Mapping[str, Any], base: Path) -> tuple[Path, ...]:
    value = row.get("gait")
    items = value if isinstance(value, list) else str(value or "").split(";")
    return tuple(_file(str(item).strip(), base, "gait") for item in items if str(item).strip())


def _yes_no(row: Mapping[str, Any], column: str) -> bool | None:
    """A yes/no column: True, False, or None when empty."""
    value = _text(row, column)
    if value is None:
        return None
    if value.lower() not in _YES + _NO:
        raise InputError(f"{column} {value!r}: write yes or no.")
    return value.lower() in _YES


def _case(number: int, row: Mapping[str, Any], base: Path, slice_all: bool) -> BatchCase:
    case_id = _text(row, "case_id")
    if case_id is None:
        raise InputError("case_id is empty; give each case an id (it names its folder).")
    if not CASE_ID.fullmatch(case_id) or ".." in case_id:
        raise InputError(
            f"case_id {case_id!r} cannot name a folder inside OUT: use letters, digits, '.', "
            "'_' and '-' (up to 64, starting with a letter or digit)."
        )
    scan = _text(row, "scan")
    if scan is None:
        raise InputError("scan is empty.")
    strap, sliced = _yes_no(row, "strap_slots"), _yes_no(row, "slice")
    date = _text(row, "date")
    if date is not None:
        try:
            date = datetime.date.fromisoformat(date).isoformat()
        except ValueError:
            raise InputError(f"date {date!r}: write the date as YYYY-MM-DD.") from None
    design, material = _profile(row, "design", base), _profile(row, "material", base)
    if design is not None:  # an unknown design or material is the manifest's mistake
        load_design(_at(base, design))
    chosen = load_material(_at(base, material or DEFAULT_MATERIAL))
    if slice_all or sliced:
        slicing_for(chosen)  # a powder material or no PrusaSlicer: before any work
    landmarks = _text(row, "landmarks")
    request = FitRequest(
        _file(scan, base, "scan"),
        side=_choice(row, "side"),
        units=_choice(row, "units"),
        landmarks=None if landmarks is None else _file(landmarks, base, "landmarks"),
        design=design,
        material=material or DEFAULT_MATERIAL,
        thickness_mm=_number(row, "thickness", "mm"),
        clearance_mm=_number(row, "clearance", "mm"),
        footplate=_choice(row, "footplate"),
        strap_slots=strap,
        stiffness_nm_per_deg=_stiffness(row),
        stiffness_method=_choice(row, "stiffness_method") or "fast",
        gait=_gait(row, base),
        clinical=ClinicalInputs(body_mass_kg=_number(row, "mass", "kg"), sex=_choice(row, "sex")),
        case_id=case_id,
        label=_text(row, "label"),
        slice_gcode=slice_all or bool(sliced),
    )  # fmt: skip
    return BatchCase(
        number, case_id, request, _text(row, "patient_ref"), _text(row, "clinician"), date, base
    )
