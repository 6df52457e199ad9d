"""The ``afofit`` command line: parse, call one core function, render.

The only module that prints or imports rich.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from afofit import __version__
from afofit.errors import AfofitError, InputError

app = typer.Typer(
    name="afofit",
    help="Custom ankle-foot orthoses from a lower-leg scan: anatomy, shell, report.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals hold patient geometry
    add_completion=False,
)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")

if TYPE_CHECKING:
    from afofit.gait.prescribe import ClinicalInputs


class Side(StrEnum):
    left = "left"
    right = "right"


class PhantomSide(StrEnum):
    left = "left"
    right = "right"
    both = "both"


class Units(StrEnum):
    mm = "mm"
    cm = "cm"
    m = "m"
    inch = "in"


class Sex(StrEnum):
    male = "male"
    female = "female"


class AfoType(StrEnum):
    none = "none"
    pls = "pls"
    semi_rigid = "semi-rigid"
    solid = "solid"


class Pose(StrEnum):
    random = "random"
    neutral = "neutral"


def _version(value: bool) -> None:
    if value:
        out.print(f"afofit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """afofit: fit a custom ankle-foot orthosis to a lower-leg scan."""


@contextmanager
def _errors() -> Iterator[None]:
    """Turn an AfofitError into one red line on stderr and its exit code."""
    try:
        yield
    except AfofitError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


def _busy(message: str, work: Callable[[], T]) -> T:
    """Run ``work`` with a spinner on stderr (shown only on a terminal)."""
    with _errors(), err.status(message):
        return work()


@app.command()
def phantom(
    out_path: Annotated[
        Path, typer.Argument(metavar="OUT", help="Mesh to write (.stl, .ply or .obj).")
    ],
    side: Annotated[
        PhantomSide, typer.Option(help="Which leg, or both legs in one file.")
    ] = PhantomSide.right,
    foot_length: Annotated[float, typer.Option(help="Foot length, mm.")] = 260.0,
    calf_girth: Annotated[float, typer.Option(help="Maximum calf girth, mm.")] = 360.0,
    seed: Annotated[int, typer.Option(help="Seed for the pose, proportions, noise and holes.")] = 0,
    noise: Annotated[float, typer.Option(help="Scanner noise, sd in mm along the normals.")] = 0.0,
    holes: Annotated[int, typer.Option(help="Number of small holes to punch.")] = 0,
    pose: Annotated[
        Pose, typer.Option(help="Random rigid pose, or neutral (z up, y anterior).")
    ] = Pose.random,
    units: Annotated[Units, typer.Option(help="Units to write the mesh in.")] = Units.mm,
    faces: Annotated[int, typer.Option(help="Target face count per leg.")] = 60000,
    open_sole: Annotated[
        bool, typer.Option(help="Leave the sole open, as a standing scan.")
    ] = False,
    knee: Annotated[
        bool, typer.Option(help="Reach above the knee (else stop at mid-shank).")
    ] = True,
) -> None:
    """Write a synthetic lower leg with its foot, and its ground truth (OUT.truth.json)."""
    from afofit.export import write_phantom
    from afofit.phantom import PhantomSpec

    spec = PhantomSpec(
        side=side.value, foot_length_mm=foot_length, calf_girth_mm=calf_girth, seed=seed,
        noise_mm=noise, holes=holes, pose=pose.value, units=units.value, faces=faces,
        open_sole=open_sole, reaches_knee=knee,
    )  # fmt: skip
    mesh_path, truth_path = _busy("Building the phantom…", lambda: write_phantom(spec, out_path))
    out.print(f"wrote {mesh_path} and {truth_path}")


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _scan_table(data: dict[str, Any]) -> Table:
    table = Table(
        title=f"{Path(data['file']).name}: {data['faces']} faces, units {data['units_detected']}"
        f" ({data['units_source']}), scale to mm ×{data['scale_to_mm']:g}"
    )
    table.add_column("")
    for leg in data["legs"]:
        table.add_column(f"{leg['side']} leg (side confidence {leg['side_confidence']:.2f})")
    table.add_column("")
    legs = data["legs"]
    for name in legs[0]["landmarks_mm"]:
        cells = []
        for leg in legs:
            p = leg["landmarks_mm"][name]
            src = "" if leg["landmark_source"][name] == "detected" else " (given)"
            cells.append(
                "—"
                if p is None
                else f"({p[0]:.1f}, {p[1]:.1f}, {p[2]:.1f}) conf {leg['confidence'][name]:.1f}{src}"
            )
        table.add_row(name.replace("_", " "), *cells, "mm")
    table.add_section()
    for name in legs[0]["measurements_mm"]:
        table.add_row(
            name.replace("_", " "), *[_fmt(leg["measurements_mm"][name]) for leg in legs], "mm"
        )
    return table


@app.command()
def scan(
    scan_path: Annotated[Path, typer.Argument(metavar="SCAN", help="Leg scan: STL, PLY or OBJ.")],
    side: Annotated[Side | None, typer.Option(help="Keep only this leg.")] = None,
    landmarks: Annotated[
        Path | None, typer.Option(help="JSON or MeshLab .pp landmarks that replace detected ones.")
    ] = None,
    units: Annotated[
        Units | None, typer.Option(help="The file's units, instead of detecting them.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Find the side, frame, landmarks and measurements of the leg(s) in a scan."""
    from afofit.anatomy import anatomy_to_dict
    from afofit.fit import analyse_scan

    result = _busy(
        f"Reading {scan_path.name}…",
        lambda: analyse_scan(
            scan_path, side=side and side.value, units=units and units.value, landmarks=landmarks
        ),
    )
    data = anatomy_to_dict(result)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(_scan_table(data))
    for warning in data["warnings"]:
        out.print(f"[yellow]warning:[/] {warning}", highlight=False)


class FitSide(StrEnum):
    left = "left"
    right = "right"
    both = "both"


class Footplate(StrEnum):
    sulcus = "sulcus"
    three_quarter = "three-quarter"
    full = "full"


StiffnessOpt = Annotated[
    str | None,
    typer.Option(help="Target ankle stiffness, N·m/deg: 'K' or 'LOW,HIGH' (default: prescribed)."),
]
MassOpt = Annotated[float | None, typer.Option(help="Body mass, kg (default: from the C3D).")]
SexOpt = Annotated[Sex | None, typer.Option(help="Sex, for the foot's mass fraction.")]
SpasticityOpt = Annotated[
    str | None,
    typer.Option(
        help="Modified Ashworth of the plantarflexors: '1+' for both sides or 'left=2,right=0'."
    ),
]
ContractureOpt = Annotated[
    str | None,
    typer.Option(
        help="Plantarflexion contracture (passive DF < 0° knee straight): left, right or both."
    ),
]
StrengthOpt = Annotated[
    str | None,
    typer.Option(help="MRC plantarflexor strength 0-5: '4' for both sides or 'left=3,right=5'."),
]


def _per_side(
    text: str | None, convert: Callable[[str], T], option: str
) -> T | dict[str, T] | None:
    """Parse '1+' (both sides) or 'left=2,right=0' (per side)."""
    if text is None:
        return None
    if "=" not in text:
        return convert(text.strip())
    values: dict[str, T] = {}
    for part in text.split(","):
        side, _, value = part.partition("=")
        if side.strip() not in ("left", "right") or not value.strip():
            raise InputError(f"{option} {text!r}: write one value, or 'left=…,right=…'.")
        values[side.strip()] = convert(value.strip())
    return values


def _integer(text: str) -> int:
    if not text.isdigit():
        raise InputError(f"--pf-strength {text!r}: an MRC grade is a whole number 0..5.")
    return int(text)


def _clinical(
    mass: float | None,
    sex: Sex | None,
    spasticity: str | None,
    contracture: str | None,
    pf_strength: str | None,
    afo_type: str | None,
    foot_length: float | None,
) -> ClinicalInputs:
    from afofit.gait.prescribe import ClinicalInputs, ashworth_score

    if contracture not in (None, "left", "right", "both"):
        raise InputError(f"--contracture {contracture!r}: use left, right or both.")
    return ClinicalInputs(
        body_mass_kg=mass, sex=sex and sex.value,
        spasticity=_per_side(spasticity, ashworth_score, "--spasticity"),
        contracture={s: contracture in (s, "both") for s in ("left", "right")},
        pf_strength=_per_side(pf_strength, _integer, "--pf-strength"),
        afo_type=afo_type, foot_length_mm=foot_length,
    )  # fmt: skip


def _stiffness(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not 0.0 < values[0] <= values[-1] <= 20.0:
        raise InputError(
            f"--stiffness {text!r}: give 'K' or 'LOW,HIGH' in N·m/deg, 0 < LOW <= HIGH <= 20."
        )
    return values[0], values[-1]


def _gait_tables(data: dict[str, Any]) -> list[Any]:
    """The gait summary: metrics against normal per side, flags, prescription and rationale."""
    from afofit.gait.analysis import metric_rows

    sides = list(data["sides"])
    table = Table(title="Gait, mean ± sd over strides (ankle: dorsiflexion +)")
    table.add_column("")
    for side in sides:
        table.add_column(f"{side} ({data['sides'][side]['cycles']} strides)", justify="right")
    table.add_column("typical healthy", justify="right")
    for label, cells, normal in metric_rows(data):
        shown = ["—" if c is None else f"{'[red]' if c[1] else ''}{c[0]}" for c in cells]
        table.add_row(label, *shown, normal)
    out_: list[Any] = [table]
    for side in sides:
        rx = data["prescription"].get(side)
        flags = ", ".join(f["name"].replace("_", " ") for f in data["sides"][side]["flags"])
        lines = [f"[bold]{side}[/]: signs: {flags or 'none'}"]
        if rx is not None:
            k = rx["stiffness_nm_per_deg"]
            lines.append(
                f"  prescription: [bold]{rx['afo_type']}[/]"
                + (f", {k[0]:.2f}–{k[1]:.2f} N·m/deg" if k else "")
            )
            lines += [f"  · {r['text']} [dim]({r['source']})[/]" for r in rx["rationale"]]
        out_.append("\n".join(lines))
    return out_


def _fmt_range(pair: list[float] | None, unit: str) -> str:
    return "—" if not pair else f"{pair[0]:.2f}–{pair[1]:.2f} {unit}"


def _fit_table(data: dict[str, Any]) -> Table:
    table = Table(title="AFO fitting")
    table.add_column("")
    legs = data["legs"]
    for leg in legs:
        table.add_column(f"{leg['side']} leg")
    rows = [
        ("design", lambda L: f"{L['design']['name']}, {L['design']['material']} (from {L['design'].get('design_source', '--design')})"),
        ("target stiffness", lambda L: _fmt_range(L["design"].get("target_stiffness_nm_per_deg"), "N·m/deg")),
        ("thickness / clearance", lambda L: f"{L['design']['thickness_mm']:g} / {L['design']['clearance_mm']:g} mm"),
        ("footplate", lambda L: L["design"]["footplate"]),
        ("top edge", lambda L: f"{L['design']['proximal_height_mm']:.0f} mm above the sole"),
        ("STL", lambda L: f"{L['shell']['stl']} ({L['shell']['faces']} faces)"),
        ("mass", lambda L: f"{L['shell']['mass_g']:.0f} g"),
        ("thinnest wall", lambda L: f"{L['shell']['min_wall_mm']:.2f} mm"),
        ("clearance median", lambda L: f"{L['shell']['clearance_mm']['median']:.2f} mm"),
    ]  # fmt: skip
    for name, cell in rows:
        table.add_row(name, *[cell(leg) for leg in legs])
    table.add_section()
    for i, check in enumerate(legs[0]["checks"]):
        cells = []
        for leg in legs:
            c = leg["checks"][i]
            cells.append(
                f"[green]pass[/] {c['detail']}"
                if c["passed"]
                else f"[bold red]FAIL[/] {c['detail']}"
            )
        table.add_row(check["name"], *cells)
    return table


@app.command()
def fit(
    scan_path: Annotated[Path, typer.Argument(metavar="SCAN", help="Leg scan: STL, PLY or OBJ.")],
    out_dir: Annotated[
        Path, typer.Option("-o", "--out", help="Folder for afo.stl, fitting.json, report.html.")
    ],
    side: Annotated[
        FitSide | None, typer.Option(help="Which leg; 'both' fits a brace to each.")
    ] = None,
    design: Annotated[
        str | None,
        typer.Option(
            help="Design profile: pls, semi-rigid, solid, or a .toml file "
            "(default: the gait's prescription, else pls)."
        ),
    ] = None,
    material: Annotated[
        str, typer.Option(help="Material profile name or .toml file.")
    ] = "pp-copolymer",
    thickness: Annotated[
        float | None, typer.Option(help="Wall thickness, mm (default: the design's).")
    ] = None,
    clearance: Annotated[
        float | None, typer.Option(help="Gap over the skin, mm (default 2).")
    ] = None,
    footplate: Annotated[Footplate | None, typer.Option(help="Footplate length.")] = None,
    units: Annotated[
        Units | None, typer.Option(help="The scan's units, instead of detecting them.")
    ] = None,
    landmarks: Annotated[
        Path | None, typer.Option(help="JSON or MeshLab .pp landmarks that replace detected ones.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print fitting.json instead of a table.")
    ] = False,
    gait: Annotated[
        list[Path] | None,
        typer.Option(
            help="Gait trial (C3D, .mot, .trc, .csv); repeat for several. Its prescription picks the design."
        ),
    ] = None,
    stiffness: StiffnessOpt = None,
    mass: MassOpt = None,
    sex: SexOpt = None,
    spasticity: SpasticityOpt = None,
    contracture: ContractureOpt = None,
    pf_strength: StrengthOpt = None,
) -> None:
    """Fit a parametric AFO shell to a scan; write a printable STL, fitting.json and report.html."""
    from afofit.fit import fit as fit_afo

    with _errors():
        clinical = _clinical(mass, sex, spasticity, contracture, pf_strength, None, None)
        target = _stiffness(stiffness)
    _busy(
        f"Fitting an AFO to {scan_path.name}…",
        lambda: fit_afo(scan_path, out_dir, side=side and side.value, design=design, material=material,
                        thickness_mm=thickness, clearance_mm=clearance, footplate=footplate and footplate.value,
                        units=units and units.value, landmarks=landmarks, gait=gait or None,
                        clinical=clinical, stiffness_nm_per_deg=target),
    )  # fmt: skip
    data = json.loads((out_dir / "fitting.json").read_text(encoding="utf-8"))
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(_fit_table(data))
    for warning in data["warnings"]:
        out.print(f"[yellow]warning:[/] {warning}", highlight=False)
    out.print(f"wrote {out_dir}/ (report: {out_dir / 'report.html'})")


@app.command()
def gait(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="Gait trials: C3D, OpenSim .mot/.trc, or CSV."),
    ],
    side: Annotated[Side | None, typer.Option(help="Analyse one side only.")] = None,
    mass: MassOpt = None,
    sex: SexOpt = None,
    spasticity: SpasticityOpt = None,
    contracture: ContractureOpt = None,
    pf_strength: StrengthOpt = None,
    foot_length: Annotated[
        float | None, typer.Option(help="Foot length, mm (default 260, or from a scan in fit).")
    ] = None,
    afo_type: Annotated[
        AfoType | None, typer.Option(help="Override the prescribed AFO type.")
    ] = None,
    stiffness: StiffnessOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Write the ankle angle over the gait cycle to this PNG.")
    ] = None,
) -> None:
    """Read gait trials, find the signs of foot drop and prescribe an AFO type and stiffness."""
    from afofit.export import write_gait_plot
    from afofit.fit import analyse_gait
    from afofit.gait.analysis import gait_to_dict

    with _errors():
        clinical = _clinical(mass, sex, spasticity, contracture, pf_strength,
                             afo_type and afo_type.value, foot_length)  # fmt: skip
        target = _stiffness(stiffness)
        if target is not None:
            clinical = replace(clinical, stiffness_nm_per_deg=target)
    analysis = _busy(
        f"Reading {len(files)} gait trial(s)…",
        lambda: analyse_gait(files, side=side and side.value, clinical=clinical),
    )
    if plot is not None:
        _busy("Plotting…", lambda: write_gait_plot(analysis, plot))
    data = gait_to_dict(analysis)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for part in _gait_tables(data):
        out.print(part, highlight=False)
    for warning in data["warnings"]:
        out.print(f"[yellow]note:[/] {warning}", highlight=False)
    if plot is not None:
        out.print(f"wrote {plot}")


@app.command()
def profiles(
    name: Annotated[
        str | None, typer.Argument(help="A design or material to show in full.")
    ] = None,
) -> None:
    """List the built-in design and material profiles, or show one."""
    from afofit.profiles import builtin_profiles, profile_text

    if name is None:
        listing = builtin_profiles()
        table = Table(title="afofit profiles")
        table.add_column("kind")
        table.add_column("names")
        for kind, names in listing.items():
            table.add_row(kind, ", ".join(names))
        out.print(table)
        return
    with _errors():
        out.print(profile_text(name), highlight=False)
