"""3MF for the printer: the shell standing on its footplate, in millimetres (3MF carries
its units, which STL cannot), the part named with the case and side. Written with lib3mf,
the 3MF Consortium's own library; its identifiers are derived from the content, so the same
shell gives the same bytes."""

from __future__ import annotations

import ctypes
import hashlib
import io
import uuid
from typing import Any

import numpy as np
from numpy.typing import NDArray

from afofit.version import __version__

__all__ = ["threemf_bytes"]

#: The namespace of the part's identifiers (uuid5 of the mesh's content and their role).
_NAMESPACE = uuid.UUID("3a3a6f1e-5d1b-4c2e-9a57-a000f1700000")


def _set_geometry(part: Any, points: Any, triangles: Any) -> None:
    """``part.SetGeometry`` from ctypes arrays: the binding's public call copies them item
    by item in Python (0.75 s for 300k faces); its C entry point takes them as they are."""
    lib = getattr(getattr(part, "_wrapper", None), "lib", None)
    handle = getattr(part, "_handle", None)
    if lib is None or handle is None or not hasattr(lib, "lib3mf_meshobject_setgeometry"):
        part.SetGeometry(points, triangles)  # another binding: its public way
        return
    part._wrapper.checkError(part, lib.lib3mf_meshobject_setgeometry(
        handle, ctypes.c_uint64(len(points)), points, ctypes.c_uint64(len(triangles)), triangles
    ))  # fmt: skip


def threemf_bytes(
    vertices: NDArray[np.float64], faces: NDArray[np.int64], name: str, description: str = ""
) -> bytes:
    """A 3MF package of one part: ``vertices`` (n, 3) in mm, ``faces`` (m, 3), the object
    and the build item named ``name`` (its part number too), a ``description`` (the design,
    material and wall) and afofit's version in its metadata."""
    import lib3mf

    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    model.SetUnit(lib3mf.ModelUnit.MilliMeter)
    points = (lib3mf.Position * len(vertices))()
    np.frombuffer(points, dtype=np.float32).reshape(-1, 3)[:] = vertices
    triangles = (lib3mf.Triangle * len(faces))()
    np.frombuffer(triangles, dtype=np.uint32).reshape(-1, 3)[:] = faces
    part = model.AddMeshObject()
    part.SetName(name)
    _set_geometry(part, points, triangles)
    digest = hashlib.sha256(bytes(points) + bytes(triangles))
    digest.update(name.encode())

    def made(role: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{digest.hexdigest()}:{role}"))

    part.SetUUID(made("object"))
    item = model.AddBuildItem(part, wrapper.GetIdentityTransform())
    item.SetUUID(made("item"))
    item.SetPartNumber(name)
    model.SetBuildUUID(made("build"))
    metadata = model.GetMetaDataGroup()
    metadata.AddMetaData("", "Title", name, "string", True)
    metadata.AddMetaData("", "Application", f"afofit {__version__}", "string", True)
    if description:
        metadata.AddMetaData("", "Description", description, "string", True)
    return _written(model.QueryWriter("3mf"))


def _written(writer: Any) -> bytes:
    """The package ``writer`` writes, through its write and seek callbacks: the binding's
    ``WriteToBuffer`` writes the package twice (once to size it) and hands the bytes back
    as a Python list of ints, holding the interpreter (half a second for a 300k-face
    shell, while the report is drawn beside it)."""
    import lib3mf

    buffer = io.BytesIO()
    failed: list[BaseException] = []  # ctypes prints a callback's error and carries on

    def write(data: int, count: int, _: Any) -> None:
        try:
            buffer.write(ctypes.string_at(data, count))
        except BaseException as exc:
            failed.append(exc)

    def seek(position: int, _: Any) -> None:
        try:
            buffer.seek(position)
        except BaseException as exc:
            failed.append(exc)

    # The callbacks must outlive the call: held here until it returns.
    on_write, on_seek = lib3mf.WriteCallback(write), lib3mf.SeekCallback(seek)
    writer.WriteToCallback(on_write, on_seek, None)
    if failed:
        raise failed[0]
    return buffer.getvalue()
