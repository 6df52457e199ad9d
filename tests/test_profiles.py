"""Design and material profiles: every built-in one loads; a bad one names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from afofit.errors import ProfileError
from afofit.profiles import builtin_profiles, load_design, load_material, profile_text


def test_the_built_in_profiles_are_all_there_and_load() -> None:
    listing = builtin_profiles()
    assert {"pls", "semi-rigid", "solid"} <= set(listing["designs"])
    assert set(listing["materials"]) >= {
        "pp-homopolymer", "pp-copolymer", "petg", "pla", "pa12", "pa11", "tpu", "pa-cf",
    }  # fmt: skip
    for name in listing["designs"]:
        assert load_design(name).name == name
    for name in listing["materials"]:
        material = load_material(name)
        assert material.name == name
        assert material.source  # every number cites the reference
        assert "[" in profile_text(name)


def test_trims_go_from_posterior_to_anterior() -> None:
    assert load_design("pls").trim == "posterior"
    assert load_design("semi-rigid").trim == "malleoli"
    assert load_design("solid").trim == "anterior"
    semi, solid = load_design("semi-rigid"), load_design("solid")
    assert semi.ankle_trim_deg is not None and solid.ankle_trim_deg is not None
    assert solid.ankle_trim_deg > semi.ankle_trim_deg


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ('name = "x"\nprocess = "FFF"\nsource = "s"\nthickness_range_mm = [2, 5]\n'
         "strength_mpa = 30\ndensity_g_cm3 = 1\nmin_wall_mm = 0.8\n", "key 'modulus_gpa' is missing"),
        ('name = "x"\nprocess = "FFF"\nsource = "s"\nthickness_range_mm = [2, 5]\nmodulus_gpa = "stiff"\n'
         "strength_mpa = 30\ndensity_g_cm3 = 1\nmin_wall_mm = 0.8\n", "key 'modulus_gpa' must be a number"),
        ('name = "x"\nprocess = "FFF"\nsource = "s"\nthickness_range_mm = [5, 2]\nmodulus_gpa = 1\n'
         "strength_mpa = 30\ndensity_g_cm3 = 1\nmin_wall_mm = 0.8\n", "thickness_range_mm"),
        ("modulus_gpa = = 1\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_material_names_the_key(tmp_path: Path, text: str, phrase: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=phrase):
        load_material(path)


def test_a_bad_design_names_the_key(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[1] / "profiles" / "designs" / "pls.toml").read_text()
    path = tmp_path / "mine.toml"
    path.write_text(text.replace('footplate = "sulcus"', 'footplate = "half"'))
    with pytest.raises(ProfileError, match="key 'footplate' = 'half' is not one of"):
        load_design(path)
    path.write_text(text.replace("retromalleolar_width_mm = 32.0", ""))
    with pytest.raises(ProfileError, match="retromalleolar_width_mm"):
        load_design(path)


def test_unknown_names_list_the_choices() -> None:
    with pytest.raises(ProfileError, match="Built-in designs: pls, semi-rigid, solid"):
        load_design("hinged")
    with pytest.raises(ProfileError, match="no profile named 'steel'"):
        profile_text("steel")
