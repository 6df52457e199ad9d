"""Beams with known answers for the stiffness models: a closed tube and an open C-section,
extruded as closed surfaces, and what beam theory says they do in the fixture."""

from __future__ import annotations

import math

import numpy as np
import trimesh

from afofit.mechanics.fixture import Fixture
from afofit.units import nmm_per_rad_to_nm_per_deg

R_IN, R_OUT, Z0, Z1 = 17.0, 20.0, -100.0, 300.0
CLAMP_BELOW, CUFF_FROM = 40.0, 250.0  # the free length between them: 290 mm
MODULUS_GPA = 1.0


def section(step: float, open_angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The outer and inner arcs (k, 2) of a tube (open_angle 0) or a C-section, mm."""
    span = 2.0 * math.pi - open_angle
    n = max(12, math.ceil(R_OUT * span / step))
    closed = open_angle == 0.0
    theta = np.linspace(-span / 2, span / 2, n if closed else n + 1, endpoint=not closed)
    ring = np.column_stack([np.cos(theta), np.sin(theta)])
    return R_OUT * ring, R_IN * ring


def _quads(a: int, b: int, c: int, d: int, flip: bool) -> list[list[int]]:
    return [[a, c, b], [a, d, c]] if flip else [[a, b, c], [a, c, d]]


def extruded_section(step: float, open_angle: float = 0.0) -> trimesh.Trimesh:
    """The section extruded from Z0 to Z1 as a closed surface with regular ``step`` mm faces."""
    outer, inner = section(step, open_angle)
    k, closed = len(outer), open_angle == 0.0
    levels = np.linspace(Z0, Z1, math.ceil((Z1 - Z0) / step) + 1)
    rings = np.vstack([outer, inner])
    vertices = np.vstack([np.column_stack([rings, np.full(2 * k, z)]) for z in levels])

    def v(level: int, ring: int, i: int) -> int:
        return level * 2 * k + ring * k + i % k

    seg = range(k) if closed else range(k - 1)
    faces: list[list[int]] = []
    for lev in range(len(levels) - 1):
        for i in seg:
            for ring in (0, 1):
                a, b = v(lev, ring, i), v(lev, ring, i + 1)
                faces += _quads(a, b, v(lev + 1, ring, i + 1), v(lev + 1, ring, i), ring == 1)
        if not closed:
            for i, flip in ((0, True), (k - 1, False)):
                a, b = v(lev, 0, i), v(lev, 1, i)
                faces += _quads(a, b, v(lev + 1, 1, i), v(lev + 1, 0, i), flip)
    for lev, flip in ((0, True), (len(levels) - 1, False)):
        for i in seg:
            faces += _quads(v(lev, 0, i), v(lev, 0, i + 1), v(lev, 1, i + 1), v(lev, 1, i), flip)
    mesh = trimesh.Trimesh(vertices, np.array(faces))
    trimesh.repair.fix_normals(mesh)
    return mesh


def second_moment(points: np.ndarray) -> tuple[float, float, float]:
    """Area, centroid y and Ixx (about the x axis) of a simple polygon (k, 2), mm."""
    x, y = points[:, 0], points[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2.0
    return (
        area,
        ((y + y1) * cross).sum() / (6.0 * area),
        ((y * y + y * y1 + y1 * y1) * cross).sum() / 12.0,
    )


def beam_k(step: float, open_angle: float) -> float:
    """Beam theory, N·m/deg: k = E I / L about the section's centroidal x axis (a principal axis)."""
    outer, inner = section(step, open_angle)
    if open_angle == 0.0:
        ixx = second_moment(outer)[2] - second_moment(inner)[2]
    else:
        area, cy, ixx_origin = second_moment(np.vstack([outer, inner[::-1]]))
        ixx = abs(ixx_origin) - abs(area) * cy**2
    return nmm_per_rad_to_nm_per_deg(MODULUS_GPA * 1000.0 * ixx / (CUFF_FROM + CLAMP_BELOW))


def fixture(cuff: str) -> Fixture:
    return Fixture(
        origin_mm=np.zeros(3), axis=np.array([1.0, 0.0, 0.0]), up=np.array([0.0, 0.0, 1.0]),
        clamp_below_mm=CLAMP_BELOW, cuff_from_mm=CUFF_FROM, cuff=cuff,
    )  # fmt: skip
