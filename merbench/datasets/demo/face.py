"""A drawn face whose expression and motion follow an emotion, for the demo corpus.

Shapes are chosen so that a FER2013-style expression CNN (64x64 grey input) and face-landmark
models see the cues they know: mouth curve and opening, brow height and slant, eye opening.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Expression targets per emotion at full intensity; neutral is all zeros / ones.
#: curve: mouth corners up (+) or down (-); open: mouth opening; brow: brow height;
#: slant: inner brow ends up (+, sad/worried) or down (-, angry); eye: eye opening factor.
EXPRESSIONS = {
    "neutral": dict(curve=0.0, open=0.0, brow=0.0, slant=0.0, eye=1.0),
    "angry": dict(curve=-0.45, open=0.25, brow=-0.9, slant=-1.0, eye=0.65),
    "happy": dict(curve=1.0, open=0.45, brow=0.15, slant=0.0, eye=0.7),
    "sad": dict(curve=-0.9, open=0.0, brow=-0.1, slant=0.9, eye=0.6),
    "worried": dict(curve=-0.35, open=0.1, brow=0.45, slant=0.8, eye=1.15),
    "surprise": dict(curve=0.0, open=1.0, brow=1.0, slant=0.1, eye=1.5),
}


@dataclass(frozen=True)
class Identity:
    """What stays fixed for one speaker's face."""

    skin: tuple[int, int, int]  # BGR
    hair: tuple[int, int, int]
    background: tuple[int, int, int]
    width: float  # face half-width as a fraction of the frame
    height: float
    eye_gap: float
    mouth_width: float

    @classmethod
    def random(cls, rng: np.random.Generator) -> "Identity":
        tone = rng.uniform(0.55, 1.0)
        skin = (int(120 * tone + 40), int(150 * tone + 40), int(190 * tone + 50))
        hair_level = int(rng.uniform(10, 90))
        bg = tuple(int(v) for v in rng.uniform(30, 110, 3))
        return cls(skin, (hair_level, hair_level, int(hair_level * rng.uniform(1, 1.4))), bg,
                   rng.uniform(0.30, 0.36), rng.uniform(0.40, 0.46), rng.uniform(0.28, 0.36), rng.uniform(0.30, 0.40))


def expression(emotion: str, intensity: float) -> dict[str, float]:
    """Blend the neutral face towards ``emotion`` by ``intensity`` in [0, 1]."""
    target, neutral = EXPRESSIONS[emotion], EXPRESSIONS["neutral"]
    return {k: neutral[k] + intensity * (target[k] - neutral[k]) for k in neutral}


def head_motion(emotion: str, t: float, phase: float) -> tuple[float, float, float]:
    """(dx, dy, tilt degrees) of the head at time ``t`` seconds: jittery when angry, bouncy when happy,
    drooping when sad, a start backwards when surprised."""
    s = np.sin
    if emotion == "angry":
        return 0.015 * s(23 * t + phase), 0.01 * s(19 * t), 3 * s(11 * t + phase)
    if emotion == "happy":
        return 0.01 * s(3 * t + phase), 0.02 * abs(s(6 * t + phase)), 4 * s(3 * t)
    if emotion == "sad":
        return 0.005 * s(t + phase), 0.04 + 0.005 * s(1.5 * t), -5.0
    if emotion == "worried":
        return 0.012 * s(7 * t + phase), 0.005 * s(5 * t), 2 * s(7 * t + phase)
    if emotion == "surprise":
        return 0.0, -0.03 * np.exp(-2 * t), 0.0
    return 0.005 * s(1.3 * t + phase), 0.003 * s(0.9 * t), 1.5 * s(0.7 * t + phase)


def render_face(identity: Identity, face: dict[str, float], talk: float, size: int) -> np.ndarray:
    """The BGR frame of a still, upright, centred head; ``talk`` in [0, 1] opens the mouth.
    :func:`move_head` then places it, which is much cheaper than drawing every frame."""
    scale = 3  # draw large, then downsample: smooth anti-aliased shapes at small sizes
    S = size * scale
    img = np.empty((S, S, 3), np.uint8)
    img[:] = identity.background
    cx, cy = S * 0.5, S * 0.52
    fw, fh = S * identity.width, S * identity.height

    def P(x: float, y: float) -> tuple[int, int]:
        """Face coordinates (-1..1 across the face) to pixels."""
        return int(cx + x * fw), int(cy + y * fh)

    line = cv2.LINE_AA
    cv2.ellipse(img, P(0, -0.25), (int(fw * 1.08), int(fh * 0.95)), 0, 180, 360, identity.hair, -1, line)  # hair
    # shaded face: darker rim, lighter centre
    for k, shade in ((1.0, 0.78), (0.9, 0.88), (0.75, 0.96), (0.55, 1.0)):
        colour = tuple(int(c * shade) for c in identity.skin)
        cv2.ellipse(img, P(0, 0.02 * (1 - k)), (int(fw * k), int(fh * k)), 0, 0, 360, colour, -1, line)
    dark = (25, 25, 30)
    t = max(2, S // 60)
    # eyes: white, iris, lids closing from the top
    for side in (-1, 1):
        ex, ey = side * identity.eye_gap, -0.18
        rw, rh = fw * 0.17, fh * 0.075 * face["eye"]
        cv2.ellipse(img, P(ex, ey), (int(rw), max(1, int(rh))), 0, 0, 360, (235, 235, 235), -1, line)
        cv2.circle(img, P(ex, ey), int(min(rw, fh * 0.075) * 0.75), (40, 30, 25), -1, line)
        cv2.ellipse(img, P(ex, ey), (int(rw), max(1, int(rh))), 0, 0, 360, dark, t, line)
        # brows: outer and inner end heights follow brow height and slant
        base = -0.36 - 0.12 * face["brow"]
        inner = base - 0.10 * face["slant"] * 1.0
        outer = base + 0.04 * face["slant"]
        x_in, x_out = side * (identity.eye_gap - 0.16), side * (identity.eye_gap + 0.2)
        cv2.line(img, P(x_in, inner), P(x_out, outer), dark, int(t * 2.2), line)
    # nose
    cv2.line(img, P(0, -0.05), P(-0.05, 0.15), tuple(int(c * 0.7) for c in identity.skin), t, line)
    # mouth: corners move with the curve, the opening with expression and speech
    mw = identity.mouth_width
    my = 0.45
    opening = 0.03 + 0.22 * face["open"] + 0.08 * talk
    corner_y = my - 0.16 * face["curve"]
    centre_top = my - 0.02 + 0.02 * face["curve"] - opening * 0.35
    centre_bottom = my + 0.03 * face["curve"] + opening * 0.65
    xs = np.linspace(-1, 1, 17)
    bend = 1 - xs ** 2
    top = [P(mw * x, corner_y + (centre_top - corner_y) * b) for x, b in zip(xs, bend)]
    bottom = [P(mw * x, corner_y + (centre_bottom - corner_y) * b) for x, b in zip(xs[::-1], bend[::-1])]
    lips = np.array(top + bottom, np.int32)
    cv2.fillPoly(img, [lips], (40, 30, 90), line)
    cv2.polylines(img, [lips], True, (30, 30, 110), t, line)
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)


def move_head(still: np.ndarray, identity: Identity, motion: tuple[float, float, float],
              background: tuple[int, int, int]) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Shift and tilt a :func:`render_face` frame by ``motion`` = (dx, dy, degrees); returns the frame
    and the face box ``(cx, cy, half_size)`` in pixels."""
    size = still.shape[0]
    dx, dy, tilt = motion
    cx, cy = size * 0.5, size * 0.52
    matrix = cv2.getRotationMatrix2D((cx, cy), -tilt, 1.0)
    matrix[:, 2] += (dx * size, dy * size)
    frame = cv2.warpAffine(still, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=background)
    half = int(size * max(identity.width, identity.height) * 1.05)
    return frame, (int(cx + dx * size), int(cy + dy * size), half)


def crop_face(frame_bgr: np.ndarray, box: tuple[int, int, int], out: int = 112) -> np.ndarray:
    """An OpenFace-style aligned crop: the square around the face, resized to ``out`` x ``out``."""
    cx, cy, half = box
    padded = cv2.copyMakeBorder(frame_bgr, half, half, half, half, cv2.BORDER_REPLICATE)
    square = padded[cy: cy + 2 * half, cx: cx + 2 * half]
    return cv2.resize(square, (out, out), interpolation=cv2.INTER_AREA)
