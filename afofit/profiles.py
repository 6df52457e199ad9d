"""Design and material profiles: the only module that reads profile files (TOML).

Built-in profiles live in ``profiles/`` (in the wheel: ``afofit/profiles``);
a path to a ``.toml`` file may be given instead of a name. A bad file gets an
error naming the file and the key.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afofit.errors import ProfileError

__all__ = [
    "FOOTPLATES",
    "TRIMS",
    "DesignProfile",
    "Material",
    "builtin_profiles",
    "load_design",
    "load_material",
    "profile_text",
    "profiles_dir",
]

TRIMS = ("posterior", "malleoli", "anterior")
FOOTPLATES = ("sulcus", "three-quarter", "full")
RELIEF_SITES = (
    "lateral_malleolus",
    "medial_malleolus",
    "navicular",
    "fifth_metatarsal_base",
    "fibular_head",
)


def profiles_dir() -> Path:
    """The built-in profiles folder: inside the installed package, or the source tree's."""
    packaged = Path(__file__).resolve().parent / "profiles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "profiles"


@dataclass(frozen=True, slots=True)
class Material:
    """A shell material. Moduli in GPa and strengths in MPa as in datasheets."""

    name: str
    description: str
    modulus_gpa: float
    strength_mpa: float
    density_g_cm3: float
    process: str
    min_wall_mm: float
    thickness_range_mm: tuple[float, float]
    source: str
    #: The PrusaSlicer settings (``.ini``) for ``--slice``: a built-in name (in
    #: ``profiles/slicing``) or a file's absolute path; None: the material's own name.
    slicing_profile: str | None = None

    def __post_init__(self) -> None:
        lo, hi = self.thickness_range_mm
        if not 0 < lo < hi:
            raise ProfileError(
                f"material {self.name}: thickness_range_mm={list(self.thickness_range_mm)}; "
                "give [min, max] with 0 < min < max."
            )


@dataclass(frozen=True, slots=True)
class DesignProfile:
    """A design family (pls, semi-rigid, solid) with its default parameters."""

    name: str
    description: str
    trim: str
    footplate: str
    thickness_mm: float
    clearance_mm: float
    calf_trim_deg: float
    ankle_trim_deg: float | None
    retromalleolar_width_mm: float | None
    proximal_below_fibular_head_mm: float
    heel_wall_height_fraction: float
    toe_wall_height_mm: float
    edge_radius_mm: float
    strap_slots: bool
    reliefs_mm: dict[str, float] = field(default_factory=dict)


def _read(path: Path, kind: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{kind} profile {path}: not valid TOML ({exc}).") from exc
    except OSError as exc:
        raise ProfileError(f"{kind} profile {path}: cannot be read ({exc.strerror}).") from exc


def _locate(name: str | Path, kind: str) -> Path:
    """A built-in profile by name, or a .toml file by path."""
    text = str(name)
    if text.endswith(".toml") or "/" in text:
        path = Path(text)
        if not path.is_file():
            raise ProfileError(f"{kind} profile {path}: no such file.")
        return path
    folder = profiles_dir() / f"{kind}s"
    path = folder / f"{text}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.toml"))
        raise ProfileError(f"unknown {kind} '{text}'. Built-in {kind}s: {', '.join(known)}.")
    return path


class _Keys:
    """Typed access to a profile's keys; every error names the file and the key."""

    def __init__(self, data: dict[str, Any], path: Path, kind: str) -> None:
        self.data, self.path, self.kind = data, path, kind

    def _fail(self, key: str, why: str) -> ProfileError:
        return ProfileError(f"{self.kind} profile {self.path.name}: key '{key}' {why}.")

    def number(self, key: str, lo: float, hi: float, optional: bool = False) -> float | None:
        if key not in self.data:
            if optional:
                return None
            raise self._fail(key, "is missing")
        value = self.data[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self._fail(key, f"must be a number, not {value!r}")
        if not lo <= value <= hi:
            raise self._fail(key, f"= {value} is outside {lo}..{hi}")
        return float(value)

    def req(self, key: str, lo: float, hi: float) -> float:
        value = self.number(key, lo, hi)
        if value is None:  # only an optional number can be absent
            raise self._fail(key, "is missing")
        return value

    def text(
        self, key: str, choices: tuple[str, ...] | None = None, default: str | None = None
    ) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self._fail(key, "is missing")
        if not isinstance(value, str):
            raise self._fail(key, f"must be text, not {value!r}")
        if choices is not None and value not in choices:
            raise self._fail(key, f"= '{value}' is not one of {', '.join(choices)}")
        return value


def load_material(name: str | Path) -> Material:
    """Load a material by built-in name (e.g. ``pp-copolymer``) or ``.toml`` path.

    Raises
    ------
    ProfileError
        Unknown name, unreadable file, or a missing or bad key (named).
    """
    path = _locate(name, "material")
    keys = _Keys(_read(path, "material"), path, "material")
    rng = keys.data.get("thickness_range_mm")
    if not (
        isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, int | float) for v in rng)
    ):
        raise keys._fail("thickness_range_mm", f"must be [min, max] in mm, not {rng!r}")
    return Material(
        name=keys.text("name"),
        description=keys.text("description", default=""),
        modulus_gpa=keys.req("modulus_gpa", 0.001, 500.0),
        strength_mpa=keys.req("strength_mpa", 0.1, 5000.0),
        density_g_cm3=keys.req("density_g_cm3", 0.1, 25.0),
        process=keys.text("process"),
        min_wall_mm=keys.req("min_wall_mm", 0.1, 10.0),
        thickness_range_mm=(float(rng[0]), float(rng[1])),
        source=keys.text("source"),
        slicing_profile=_slicing_profile(keys),
    )


def _slicing_profile(keys: _Keys) -> str | None:
    """The material's ``slicing_profile``: a built-in name, or an ``.ini`` file's path
    (relative to the material's file), checked to exist."""
    if "slicing_profile" not in keys.data:
        return None
    value = keys.text("slicing_profile")
    if not value.endswith(".ini"):
        return value
    path = (keys.path.parent / value).resolve()
    if not path.is_file():
        raise keys._fail("slicing_profile", f"names {path}, which does not exist")
    return str(path)


def load_design(name: str | Path) -> DesignProfile:
    """Load a design profile by built-in name (``pls``, ``semi-rigid``, ``solid``) or path.

    Raises
    ------
    ProfileError
        Unknown name, unreadable file, or a missing or bad key (named).
    """
    path = _locate(name, "design")
    keys = _Keys(_read(path, "design"), path, "design")
    trim = keys.text("trim", TRIMS)
    reliefs_raw = keys.data.get("reliefs_mm", {})
    if not isinstance(reliefs_raw, dict):
        raise keys._fail("reliefs_mm", "must be a table of site = mm")
    reliefs = {}
    for site, value in reliefs_raw.items():
        if site not in RELIEF_SITES:
            raise keys._fail(
                f"reliefs_mm.{site}", f"is not a relief site ({', '.join(RELIEF_SITES)})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 10:
            raise keys._fail(f"reliefs_mm.{site}", f"= {value!r} must be 0..10 mm")
        reliefs[site] = float(value)
    ankle = keys.number("ankle_trim_deg", 10.0, 160.0, optional=True)
    strut = keys.number("retromalleolar_width_mm", 10.0, 80.0, optional=True)
    if trim == "posterior" and strut is None:
        raise keys._fail("retromalleolar_width_mm", "is needed for a posterior trim")
    if trim != "posterior" and ankle is None:
        raise keys._fail("ankle_trim_deg", f"is needed for a {trim} trim")
    slots = keys.data.get("strap_slots", False)
    if not isinstance(slots, bool):
        raise keys._fail("strap_slots", "must be true or false")
    return DesignProfile(
        name=keys.text("name"),
        description=keys.text("description", default=""),
        trim=trim,
        footplate=keys.text("footplate", FOOTPLATES),
        thickness_mm=keys.req("thickness_mm", 0.5, 15.0),
        clearance_mm=keys.req("clearance_mm", 0.0, 15.0),
        calf_trim_deg=keys.req("calf_trim_deg", 30.0, 170.0),
        ankle_trim_deg=ankle,
        retromalleolar_width_mm=strut,
        proximal_below_fibular_head_mm=keys.req("proximal_below_fibular_head_mm", 0.0, 200.0),
        heel_wall_height_fraction=keys.req("heel_wall_height_fraction", 0.02, 0.4),
        toe_wall_height_mm=keys.req("toe_wall_height_mm", 0.0, 60.0),
        edge_radius_mm=keys.req("edge_radius_mm", 0.0, 10.0),
        strap_slots=slots,
        reliefs_mm=reliefs,
    )


def builtin_profiles() -> dict[str, list[str]]:
    """Names of the built-in designs and materials."""
    root = profiles_dir()
    return {
        kind: sorted(p.stem for p in (root / kind).glob("*.toml"))
        for kind in ("designs", "materials")
    }


def profile_text(name: str) -> str:
    """The text of the built-in design or material ``name``, after checking that it loads.

    Raises
    ------
    ProfileError
        No such profile, or it does not load.
    """
    listing = builtin_profiles()
    if name in listing["designs"]:
        load_design(name)
        return (profiles_dir() / "designs" / f"{name}.toml").read_text(encoding="utf-8")
    if name in listing["materials"]:
        load_material(name)
        return (profiles_dir() / "materials" / f"{name}.toml").read_text(encoding="utf-8")
    every = ", ".join(listing["designs"] + listing["materials"])
    raise ProfileError(f"no profile named '{name}'. Built-in profiles: {every}.")
