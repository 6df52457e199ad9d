"""Slicing the standing shell with PrusaSlicer (``--slice``): the program, its settings by
material, and the estimate it writes into its G-code.

PrusaSlicer itself runs at the edge (:func:`afofit.export.slice_print`, which writes the
G-code); this module finds the program, chooses the settings for a material
(``profiles/slicing/printer.ini``, the printer and the print settings, then the
material's file, e.g. ``petg.ini``: temperatures and cooling) and reads what PrusaSlicer
writes at the end of a G-code file: the print time, the filament's length, volume, mass
and cost. Only FFF materials are sliced: a powder-bed part (MJF, SLS) goes to its
printer or bureau as ``afo.3mf``.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from afofit.errors import ExportError, ProfileError
from afofit.printing import PRICE_PER_KG
from afofit.profiles import Material, profiles_dir

__all__ = [
    "SLICER_ENV",
    "SliceResult",
    "Slicing",
    "find_slicer",
    "hours_of",
    "ini_values",
    "read_slice_summary",
    "slicer_of",
    "slicing_for",
]

#: An environment variable naming the PrusaSlicer program (when it is not on the PATH).
SLICER_ENV = "AFOFIT_PRUSA_SLICER"
#: The names PrusaSlicer's program goes by on the PATH (Debian, the AppImage, Flatpak's alias).
SLICER_PROGRAMS = ("prusa-slicer", "PrusaSlicer", "prusaslicer")
#: The printer and the print settings every material shares (``profiles/slicing``).
PRINTER_PROFILE = "printer"
#: Words in PrusaSlicer's messages that say it had to mend the mesh.
MESH_WORDS = ("repair", "manifold", "open edges", "error", "warning")
#: The settings the report and fitting.json repeat (PrusaSlicer's names).
REPORTED_SETTINGS = (
    "printer_notes", "bed_shape", "max_print_height", "nozzle_diameter", "layer_height",
    "perimeters", "fill_density", "support_material", "filament_type", "temperature",
    "bed_temperature",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Slicing:
    """How a part is sliced: the ``program``, its settings files in order (later files
    override earlier ones), the filament's density (the material's) and price per kg."""

    program: str
    profiles: tuple[Path, ...]
    density_g_cm3: float
    price_per_kg: float = PRICE_PER_KG

    def command(self, stl: Path, gcode: Path) -> list[str]:
        """The command line that slices ``stl`` into ``gcode``."""
        loads = [arg for path in self.profiles for arg in ("--load", str(path))]
        return [
            self.program, "--export-gcode", *loads,
            "--filament-density", f"{self.density_g_cm3:g}",
            "--filament-cost", f"{self.price_per_kg:g}",
            str(stl), "--output", str(gcode),
        ]  # fmt: skip

    def settings(self) -> dict[str, str]:
        """Every ``key = value`` of the settings files, the last file winning."""
        values: dict[str, str] = {}
        for path in self.profiles:
            values.update(ini_values(path.read_text(encoding="utf-8")))
        return values

    def build_volume_mm(self) -> tuple[float, float, float]:
        """The printer's build volume (x, y, z) in mm, from ``bed_shape`` and
        ``max_print_height``."""
        values = self.settings()
        corners = [
            tuple(float(v) for v in point.split("x"))
            for point in values.get("bed_shape", "0x0,200x0,200x200,0x200").split(",")
        ]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return max(xs) - min(xs), max(ys) - min(ys), float(values.get("max_print_height", 200))


@dataclass(frozen=True, slots=True)
class SliceResult:
    """What PrusaSlicer made of a part: its G-code file's name, the print time (h), the
    filament's mass (g), length (m) and volume (cm³, supports and brim included), its cost
    (at :data:`~afofit.printing.PRICE_PER_KG` per kg), the slicer (name and version) and
    the settings that matter (:data:`REPORTED_SETTINGS`), and what it said of the mesh
    (``notes``: repairs, open edges; none for a clean solid)."""

    gcode: str
    hours: float
    filament_g: float
    filament_m: float
    filament_cm3: float
    cost: float
    slicer: str
    profiles: tuple[str, ...]
    settings: dict[str, str]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """fitting.json's ``shell.slice``, rounded to what the slicer repeats: PrusaSlicer's
        parallel slicing is not run-to-run identical (the same shell sliced twice here:
        the estimate within a second, the G-code's moves differing in the third decimal)."""
        return {
            "gcode": self.gcode, "hours": round(self.hours, 1),
            "filament_g": round(self.filament_g), "filament_m": round(self.filament_m, 1),
            "filament_cm3": round(self.filament_cm3), "cost": round(self.cost, 1),
            "slicer": self.slicer, "profiles": list(self.profiles), "settings": self.settings,
            "notes": list(self.notes),
        }  # fmt: skip


def find_slicer() -> str | None:
    """PrusaSlicer's program: :data:`SLICER_ENV` if set, else the first of
    :data:`SLICER_PROGRAMS` on the PATH; None when there is none."""
    given = os.environ.get(SLICER_ENV)
    if given:
        return shutil.which(given)
    for name in SLICER_PROGRAMS:
        found = shutil.which(name)
        if found:
            return found
    return None


def slicing_for(material: Material) -> Slicing:
    """The slicing of a part in ``material``: checked before any work.

    Raises
    ------
    ProfileError
        The material is not printed by FFF, or it has no slicing settings.
    ExportError
        PrusaSlicer is not installed.
    """
    if material.process.upper() != "FFF":
        raise ProfileError(
            f"--slice makes FFF G-code, and {material.name} is printed by "
            f"{material.process} (a powder bed): send afo.3mf to that printer or bureau and "
            "leave out --slice, or choose an FFF material (petg, pla, pp-copolymer, tpu)."
        )
    own = material.slicing_profile or material.name
    folder = profiles_dir() / "slicing"
    path = Path(own) if own.endswith(".ini") else folder / f"{own}.ini"
    if not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.ini") if p.stem != PRINTER_PROFILE)
        raise ProfileError(
            f"material {material.name}: no slicing settings '{own}' for --slice. Add "
            f'slicing_profile = "<name or file.ini>" to its profile (built-in: '
            f"{', '.join(known)})."
        )
    program = find_slicer()
    if program is None and os.environ.get(SLICER_ENV):
        raise ExportError(
            f"{SLICER_ENV}={os.environ[SLICER_ENV]} names no program that can run: set it "
            "to PrusaSlicer's path, or unset it to look for prusa-slicer on the PATH."
        )
    if program is None:
        raise ExportError(
            "--slice needs PrusaSlicer, which is not installed here: install it "
            "(Debian/Ubuntu: apt-get install prusa-slicer), or set "
            f"{SLICER_ENV}=/path/to/prusa-slicer, or leave out --slice."
        )
    return Slicing(program, (folder / f"{PRINTER_PROFILE}.ini", path), material.density_g_cm3)


def ini_values(text: str) -> dict[str, str]:
    """The ``key = value`` lines of ``text``: a PrusaSlicer ``.ini``, or a G-code's
    closing settings block (``; key = value``)."""
    values = {}
    for line in text.splitlines():
        line = line.lstrip("; ").strip()
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


_DURATION = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?")


def hours_of(text: str) -> float:
    """PrusaSlicer's duration ``text`` (``1d 14h 16m 14s``, ``42m 3s``) in hours.

    Raises
    ------
    ValueError
        Not such a duration.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        raise ValueError(f"not a PrusaSlicer duration: {text!r}")
    d, h, m, s = (int(g or 0) for g in match.groups())
    return d * 24.0 + h + m / 60.0 + s / 3600.0


def slicer_of(first_line: str) -> str:
    """The slicer and its version from a G-code's ``first_line``, without its date:
    ``; generated by PrusaSlicer 2.5.0 on 2026-12-02 at 15:31:58 UTC`` gives
    ``PrusaSlicer 2.5.0``."""
    match = re.match(r";\s*generated by (.+?)(?: on \d{4}-\d\d-\d\d.*)?$", first_line.strip())
    return match.group(1) if match else "PrusaSlicer"


def read_slice_summary(
    first_line: str, tail: str, gcode: str, slicing: Slicing, said: tuple[str, ...] = ()
) -> SliceResult:
    """The :class:`SliceResult` of G-code file ``gcode`` from its ``first_line`` (``;
    generated by PrusaSlicer 2.5.0 ...``: the slicer) and its ``tail`` (the last lines
    PrusaSlicer writes: the estimate and the settings), sliced with ``slicing``; ``said``
    is what PrusaSlicer printed (its lines about the mesh become ``notes``).

    Raises
    ------
    ExportError
        The estimate is not there (not PrusaSlicer's G-code, or a version that writes
        another form).
    """
    values = ini_values("\n".join(ln for ln in tail.splitlines() if ln.startswith("; ")))
    try:
        hours = hours_of(values["estimated printing time (normal mode)"])
        result = SliceResult(
            gcode=gcode,
            hours=hours,
            filament_g=float(values["total filament used [g]"]),
            filament_m=float(values["filament used [mm]"]) / 1000.0,
            filament_cm3=float(values["filament used [cm3]"]),
            cost=float(values["total filament cost"]),
            slicer=slicer_of(first_line),
            profiles=tuple(p.name for p in slicing.profiles),
            settings={k: values[k] for k in REPORTED_SETTINGS if k in values},
            notes=tuple(ln.strip() for ln in said if any(w in ln.lower() for w in MESH_WORDS)),
        )
    except (KeyError, ValueError) as exc:
        raise ExportError(
            f"{gcode}: PrusaSlicer's G-code lacks its print estimate ({exc}); this afofit "
            "reads PrusaSlicer 2.4 and later: check the slicer's version."
        ) from exc
    return result
