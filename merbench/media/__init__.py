"""Media I/O: decode audio, video frames and OpenFace crops; write the demo corpus's clips.

Every decoding problem (missing, corrupt or truncated file, no audio track, empty audio, odd
frame sizes) raises :class:`MediaError`, whose message is one line naming the file and the fix,
so a caller can record it against that sample and carry on with the rest.
"""

from merbench.media.audio import read_audio, write_wav
from merbench.media.errors import MediaError
from merbench.media.faces import FACE_SHAPE, read_faces
from merbench.media.load import load_media
from merbench.media.video import evenly_spaced, read_frames, write_video

__all__ = [
    "FACE_SHAPE",
    "MediaError",
    "evenly_spaced",
    "load_media",
    "read_audio",
    "read_faces",
    "read_frames",
    "write_video",
    "write_wav",
]
