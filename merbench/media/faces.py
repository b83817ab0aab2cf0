"""OpenFace face crops as the baseline stores them: ``openface_face/<name>/<name>.npy``."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from merbench.media.errors import MediaError

#: Shape of one aligned face crop (H, W, BGR channels).
FACE_SHAPE = (112, 112, 3)
#: ``np.load`` parses the .npy header with ``ast.literal_eval``, and CPython before 3.11.8 keeps the
#: AST constructor's recursion depth per interpreter, not per thread: extraction's decoding threads
#: reading face tracks at once raised "SystemError: AST constructor recursion depth mismatch" for a
#: clip now and then (seen on 3.11.7). Header parses are serialised; the crops are read in parallel.
_NPY_HEADER = threading.Lock()


def face_file(path: str | Path) -> Path:
    """The ``.npy`` file of a face track given the file itself or its ``openface_face/<name>/`` folder."""
    p = Path(path)
    return p / f"{p.name}.npy" if p.is_dir() else p


def read_faces(path: str | Path) -> np.ndarray:
    """uint8 (T, 112, 112, 3) BGR crops; T may be 0 (no face found: encoders give a zero vector)."""
    p = face_file(path)
    if not p.is_file():
        raise MediaError(p, "face crops not found", "run OpenFace on the video (or `merbench demo-data` for the demo), or drop the faces modality")
    try:
        faces = _read_npy(p)
    except (ValueError, OSError, EOFError) as exc:
        raise MediaError(p, f"cannot read face crops ({exc})", "re-run OpenFace face extraction for this clip") from None
    if faces.ndim != 4 or faces.shape[1:] != FACE_SHAPE:
        raise MediaError(p, f"face crops have shape {faces.shape}, expected (T, 112, 112, 3)",
                         "re-run OpenFace with --simalign output size 112")
    if faces.dtype != np.uint8:
        raise MediaError(p, f"face crops have dtype {faces.dtype}, expected uint8", "save the crops as uint8 BGR images")
    return faces


def _read_npy(path: Path) -> np.ndarray:
    """``np.load(path, allow_pickle=False)`` of a .npy file, with only its header parse under the lock."""
    with open(path, "rb") as f:
        with _NPY_HEADER:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        if dtype.hasobject:
            raise ValueError("the file holds Python objects, which are not loaded without allow_pickle")
        count = int(np.prod(shape, dtype=np.int64))
        data = np.fromfile(f, dtype=dtype, count=count)
        if data.size != count:
            raise ValueError(f"the file is truncated: {data.size} of {count} values")
    return data.reshape(shape, order="F" if fortran_order else "C")
