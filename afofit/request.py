"""What a fitting is asked to do: :class:`FitRequest`, every option of one fitting.

The command line, the Python API and (later) a batch manifest's rows all build one;
:func:`afofit.fitting.fit` takes it and returns a :class:`~afofit.fitting.FitResult`. A request
is plain data: it reads no file until :meth:`FitRequest.key` hashes the inputs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from afofit.clinical import ClinicalInputs
from afofit.errors import InputError
from afofit.version import __version__

__all__ = [
    "DEFAULT_MATERIAL",
    "DEFAULT_VOXEL_MM",
    "STIFFNESS_METHODS",
    "FitRequest",
    "parse_stiffness",
]

#: The material fitted when none is named.
DEFAULT_MATERIAL = "pp-copolymer"
#: The shell's grid spacing, mm: keeps a 2.5 mm wall well resolved (see geometry/shell.py).
DEFAULT_VOXEL_MM = 1.25
#: How a brace's stiffness is predicted: the fast model (default) or finite elements.
STIFFNESS_METHODS = ("fast", "fe")
#: The fields that name input files: hashed by content in :meth:`FitRequest.key`.
_FILE_FIELDS = ("scan", "landmarks", "gait")


def parse_stiffness(text: str, split: str, option: str, form: str) -> tuple[float, float]:
    """A target stiffness written as ``text``: 'K', or LOW and HIGH parted by the regular
    expression ``split``, in N·m/deg; as (low, high).

    Raises
    ------
    InputError
        Not one or two numbers with 0 < LOW <= HIGH <= 20; the message names the
        ``option`` and its ``form`` (e.g. ``--stiffness``, ``LOW,HIGH``).
    """
    try:
        values = [float(part) for part in re.split(split, text)]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not 0.0 < values[0] <= values[-1] <= 20.0:
        raise InputError(
            f"{option} {text!r}: give 'K' or '{form}' in N·m/deg, 0 < LOW <= HIGH <= 20."
        )
    return values[0], values[-1]


@dataclass(frozen=True, slots=True)
class FitRequest:
    """Every option of one fitting (None: the design's value, or detect it).

    Parameters
    ----------
    scan : the leg scan (STL, PLY, OBJ).
    side : "left", "right" or "both"; None takes the one leg of a one-leg scan.
    units : the scan's length unit ("mm", "cm", "m", "in"); None to detect it.
    landmarks : JSON or MeshLab ``.pp`` landmarks that replace detected ones.
    design : a built-in design name or a ``.toml`` path; None: the gait's
        prescription, else ``pls``.
    material : a built-in material name or a ``.toml`` path.
    thickness_mm, clearance_mm, footplate, strap_slots : override the design's values.
    voxel_mm : the shell's grid spacing, mm.
    stiffness_nm_per_deg : the target ankle stiffness (low, high), N·m/deg, instead of
        the prescription's; the design is tuned to its middle (unless ``thickness_mm`` is given).
    stiffness_method : how the stiffness is predicted: "fast" (shell elements on the
        midsurface, calibrated on FE) or "fe" (solid finite elements, needs ``afofit[fe]``;
        it also judges the tuning).
    gait : gait trials (C3D, .mot, .trc, .csv); their prescription picks the design and
        the target stiffness.
    clinical : clinical inputs for the prescription.
    case_id : the lab's name for this case (a batch row's id); recorded, not used.
    label : text engraved 0.6 mm deep in the outer calf (case id, side, date: the lab's
        choice), or None.
    slice_gcode : also slice the standing shell into G-code with PrusaSlicer (FFF
        materials; the writer does it: :func:`afofit.export.write_fit`).
    """

    scan: Path
    side: str | None = None
    units: str | None = None
    landmarks: Path | None = None
    design: str | None = None
    material: str = DEFAULT_MATERIAL
    thickness_mm: float | None = None
    clearance_mm: float | None = None
    footplate: str | None = None
    strap_slots: bool | None = None
    voxel_mm: float = DEFAULT_VOXEL_MM
    stiffness_nm_per_deg: tuple[float, float] | None = None
    stiffness_method: str = "fast"
    gait: tuple[Path, ...] = ()
    clinical: ClinicalInputs = field(default_factory=ClinicalInputs)
    case_id: str | None = None
    label: str | None = None
    slice_gcode: bool = False

    def __post_init__(self) -> None:
        # Paths may be given as strings and the trials as any sequence: store them as
        # Path and tuple so that equal requests compare (and hash) equal.
        object.__setattr__(self, "scan", Path(self.scan))
        if self.landmarks is not None:
            object.__setattr__(self, "landmarks", Path(self.landmarks))
        object.__setattr__(self, "gait", tuple(Path(g) for g in self.gait or ()))
        if self.stiffness_nm_per_deg is not None:
            low, high = (float(k) for k in self.stiffness_nm_per_deg)
            if not 0.0 < low <= high <= 20.0:
                raise InputError(
                    f"stiffness_nm_per_deg=({low:g}, {high:g}): need 0 < low <= high <= 20 N·m/deg."
                )
            object.__setattr__(self, "stiffness_nm_per_deg", (low, high))
        if self.stiffness_method not in STIFFNESS_METHODS:
            raise InputError(
                f"stiffness_method={self.stiffness_method!r}: use one of "
                f"{', '.join(STIFFNESS_METHODS)}."
            )
        if self.label is not None:
            from afofit.geometry.label import check_label  # (numpy, scipy: when needed)

            object.__setattr__(self, "label", check_label(self.label))
        if not self.voxel_mm > 0.0:
            raise InputError(f"voxel_mm={self.voxel_mm}: the grid spacing must be > 0 mm.")

    def options(self) -> dict[str, Any]:
        """The fitting's options as fitting.json's ``inputs.options`` records them."""
        return {
            "side": self.side, "design": self.design, "material": self.material,
            "thickness_mm": self.thickness_mm, "clearance_mm": self.clearance_mm,
            "footplate": self.footplate, "strap_slots": self.strap_slots, "units": self.units,
            "landmarks": None if self.landmarks is None else str(self.landmarks),
            "voxel_mm": self.voxel_mm, "gait": [str(g) for g in self.gait] or None,
            "stiffness_nm_per_deg": list(self.stiffness_nm_per_deg)
            if self.stiffness_nm_per_deg else None,
            "stiffness_method": self.stiffness_method, "label": self.label,
            "slice": self.slice_gcode,
        }  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-ready values (paths as given, the clinical inputs in full)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif f.name == "gait":
                value = [str(g) for g in value]
            elif isinstance(value, ClinicalInputs):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def input_files(self) -> list[Path]:
        """The files the fitting reads: the scan, the landmarks (if any), the gait trials."""
        files = [self.scan] + ([self.landmarks] if self.landmarks is not None else [])
        return files + list(self.gait)

    def key(self) -> str:
        """A stable hex key for "same request, same answer": the resume key of a batch.

        SHA-256 of afofit's version, the options (not the file paths) and the SHA-256 of
        each input file's bytes, so the same inputs moved to another folder keep their
        key, and a changed file or another afofit version gets a new one.

        Raises
        ------
        InputError
            An input file cannot be read.
        """
        from afofit.scan import file_sha256  # (trimesh: not for the command line's start)

        options = {k: v for k, v in self.to_dict().items() if k not in _FILE_FIELDS}
        digest = hashlib.sha256(f"afofit {__version__}\n".encode())
        digest.update(json.dumps(options, sort_keys=True).encode())
        for role in _FILE_FIELDS:
            value = getattr(self, role)
            paths = value if isinstance(value, tuple) else (value,)
            for path in paths:
                if path is None:
                    digest.update(f"\n{role}: none".encode())
                    continue
                try:
                    digest.update(f"\n{role}: {file_sha256(path)}".encode())
                except OSError as exc:
                    raise InputError(
                        f"{path}: cannot be read ({exc.strerror}); check the path."
                    ) from exc
        return digest.hexdigest()
