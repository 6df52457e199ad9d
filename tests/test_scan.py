"""Reading and cleaning scan files, and landmark override files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import trimesh

from afofit.errors import LandmarkError, ScanError
from afofit.scan import load_landmarks, load_scan, split_limbs


@pytest.fixture
def box() -> trimesh.Trimesh:
    return trimesh.creation.box(extents=(10.0, 20.0, 30.0))


@pytest.mark.parametrize("file_type", ["stl", "stl_ascii", "ply", "obj"])
def test_every_format_reads_back_the_same_surface(
    tmp_path: Path, box: trimesh.Trimesh, file_type: str
) -> None:
    suffix = "stl" if file_type.startswith("stl") else file_type
    path = tmp_path / f"box.{suffix}"
    path.write_bytes(
        trimesh.exchange.export.export_mesh(box, None, file_type=file_type).encode()
        if file_type in ("stl_ascii", "obj")
        else trimesh.exchange.export.export_mesh(box, None, file_type=file_type)
    )
    raw = load_scan(path)
    assert raw.faces_in_file == 12
    assert len(raw.faces) == 12
    assert len(raw.vertices) == 8  # STL's separate corners are merged
    got = trimesh.Trimesh(raw.vertices, raw.faces)
    assert got.volume == pytest.approx(box.volume, rel=1e-6)
    assert len(raw.sha256) == 64


def test_degenerate_and_duplicate_faces_are_dropped_and_reported(
    tmp_path: Path, box: trimesh.Trimesh
) -> None:
    faces = np.vstack([box.faces, box.faces[:2], [[0, 0, 1]]])
    path = tmp_path / "dirty.ply"
    path.write_bytes(trimesh.Trimesh(box.vertices, faces, process=False).export(file_type="ply"))
    raw = load_scan(path)
    assert len(raw.faces) == 12
    assert raw.warnings == ("dropped 3 degenerate or duplicate faces",)


@pytest.mark.parametrize(
    ("content", "name", "phrase"),
    [
        (b"", "empty.stl", "empty"),
        (b"solid x\n this is not an stl at all \x00\x01", "bad.stl", "no triangles"),
        (
            b"\0" * 80 + (1000).to_bytes(4, "little") + b"\1" * 100,
            "cut.stl",
            "truncated or corrupt",
        ),
        (
            b"ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
            b"property float z\nend_header\n0 0 0\n1 1 1\n",
            "cloud.ply",
            "no triangles",
        ),
        (b"hello", "notes.txt", "unsupported file type"),
    ],
)
def test_bad_files_get_one_clear_error(
    tmp_path: Path, content: bytes, name: str, phrase: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ScanError, match=phrase):
        load_scan(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="no such file"):
        load_scan(tmp_path / "nope.stl")
    with pytest.raises(ScanError, match="is a folder"):
        load_scan(tmp_path)


def test_split_limbs_keeps_large_parts_and_drops_debris(box: trimesh.Trimesh) -> None:
    far = box.copy()
    far.apply_translation((100.0, 0, 0))
    crumb = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    crumb.apply_translation((-100.0, 0, 0))
    scene = trimesh.util.concatenate([box, far, crumb])
    limbs, debris = split_limbs(np.asarray(scene.vertices), np.asarray(scene.faces))
    assert len(limbs) == 2
    assert debris == 12


def test_landmarks_json_flat_nested_and_scan_output(tmp_path: Path) -> None:
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"Lateral Malleolus": [1, 2, 3], "knee": None, "MTH1": [4, 5, 6]}))
    got = load_landmarks(flat)
    assert set(got.points) == {"lateral_malleolus", "mtp1"}
    assert not got.in_file_units
    nested = tmp_path / "scan.json"
    nested.write_text(json.dumps({"legs": [{"side": "left", "landmarks_mm": {"heel": [0, 0, 1]}}]}))
    got = load_landmarks(nested)
    assert got.side == "left"
    np.testing.assert_array_equal(got.points["heel"], [0, 0, 1])


def test_landmarks_meshlab_pp_is_in_file_units(tmp_path: Path) -> None:
    pp = tmp_path / "picked.pp"
    pp.write_text(
        "<!DOCTYPE PickedPoints>\n<PickedPoints>\n"
        ' <point x="0.01" y="0.02" z="0.03" name="medial malleolus" active="1"/>\n'
        ' <point x="9" y="9" z="9" name="heel" active="0"/>\n'
        "</PickedPoints>\n"
    )
    got = load_landmarks(pp)
    assert got.in_file_units
    assert set(got.points) == {"medial_malleolus"}
    np.testing.assert_allclose(got.points["medial_malleolus"], [0.01, 0.02, 0.03])


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ('{"elbow": [1, 2, 3]}', "unknown landmark 'elbow'"),
        ('{"heel": [1, 2]}', "three numbers"),
        ("{not json", "not valid JSON"),
        ("[1, 2, 3]", "expected an object"),
        ('{"heel": [true, false, true]}', "three numbers"),
        ('{"heel": "1 2 3"}', "three numbers"),
        ('{"landmarks_mm": [1, 2, 3]}', '"landmarks_mm" must be an object'),
        ("{}", "names no landmark"),
        ('{"side": "up", "heel": [1, 2, 3]}', "\"side\" is 'up'"),
        (
            '<PickedPoints><point y="1" z="2" name="heel"/></PickedPoints>',
            "the picked point 'heel' has no x attribute",
        ),
    ],
)
def test_bad_landmark_files(tmp_path: Path, text: str, phrase: str) -> None:
    path = tmp_path / ("marks.pp" if text.startswith("<") else "marks.json")
    path.write_text(text)
    with pytest.raises(LandmarkError, match=re.escape(phrase)):
        load_landmarks(path)


def test_a_side_beside_the_landmarks_says_which_leg(tmp_path: Path) -> None:
    path = tmp_path / "marks.json"
    path.write_text('{"side": "left", "heel": [1, 2, 3]}')
    got = load_landmarks(path)
    assert got.side == "left" and set(got.points) == {"heel"} and got.file == "marks.json"
    with pytest.raises(LandmarkError, match="is a folder"):
        load_landmarks(tmp_path)


def test_an_obj_of_polygons_reads_as_the_surface_its_triangles_cover(tmp_path: Path) -> None:
    from afofit.phantom import PhantomSpec, make_phantom
    from tests.polygons import polygon_obj

    leg = make_phantom(PhantomSpec(seed=1, faces=6000, pose="neutral")).mesh
    text, folding = polygon_obj(leg)
    path = tmp_path / "leg.obj"
    # v/vt/vn references and negative (relative) indices on one face line
    text = text.replace("\nf 1 ", "\nvt 0 0\nvn 0 0 1\nf 1/1/1 ", 1)
    first = [int(r.split("/")[0]) for r in text.split("\nf ", 1)[1].split("\n")[0].split()]
    count = len(leg.vertices)  # the first triangle again, in negative indices: a duplicate
    text += "f " + " ".join(str(r - count - 1) for r in first) + "\n"
    path.write_text(text)
    raw = load_scan(path)
    fan = trimesh.load(path, force="mesh", process=False)  # a fan from each first corner
    read = trimesh.Trimesh(raw.vertices, raw.faces, process=False)
    assert folding > 100  # so many polygons that a plain fan folds
    assert read.area == pytest.approx(leg.area, rel=1e-4)  # non-planar polygons, other diagonals
    assert fan.area > leg.area * 1.003, fan.area / leg.area  # the folds a fan lays over it
    assert "dropped 1 degenerate or duplicate faces" in raw.warnings


def test_a_dense_scan_is_simplified_close_to_its_surface(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan over the face limit is read as a quadric-decimated mesh: the limit's face
    count, no edge shared by three faces, within a fraction of a mm of the surface, the
    same every time, and said so."""
    import afofit.scan as scan
    from afofit.phantom import PhantomSpec, make_phantom

    leg = make_phantom(PhantomSpec(seed=4, faces=40000, noise_mm=0.1)).mesh
    path = tmp_path / "dense.stl"
    leg.export(path)
    monkeypatch.setattr(scan, "MAX_SCAN_FACES", 20000)
    monkeypatch.setattr(scan, "SIMPLIFIED_FACES", 16000)
    raw = load_scan(path)
    assert 15000 <= len(raw.faces) <= 16000, len(raw.faces)
    assert raw.faces_in_file == len(leg.faces)
    assert any(f"simplified the scan from {len(leg.faces)} to" in w for w in raw.warnings)
    simple = trimesh.Trimesh(raw.vertices, raw.faces, process=False)
    edges = np.sort(simple.edges, axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert counts.max() <= 2
    _, distance, _ = trimesh.proximity.closest_point(simple, leg.vertices[::7])
    assert np.median(distance) < 0.15 and np.percentile(distance, 99) < 0.8, (
        np.median(distance), np.percentile(distance, 99),
    )  # fmt: skip
    again = load_scan(path)
    assert np.array_equal(again.vertices, raw.vertices) and np.array_equal(again.faces, raw.faces)


def test_a_ply_of_quads_reads_as_their_triangles(tmp_path: Path) -> None:
    corners = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
                        [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], float) * 100.0  # fmt: skip
    quads = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]
    head = ("ply\nformat ascii 1.0\nelement vertex 8\nproperty float x\nproperty float y\n"
            "property float z\nelement face 6\nproperty list uchar int vertex_indices\n"
            "end_header\n")  # fmt: skip
    body = "".join(" ".join(map(str, c)) + "\n" for c in corners)
    body += "".join("4 " + " ".join(map(str, q)) + "\n" for q in quads)
    (tmp_path / "box.ply").write_text(head + body)
    raw = load_scan(tmp_path / "box.ply")
    box = trimesh.Trimesh(raw.vertices, raw.faces)
    assert len(raw.faces) == 12 and box.is_watertight
    assert abs(box.volume) == pytest.approx(1e6)
