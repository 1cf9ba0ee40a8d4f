"""Binary WebSocket frames: a small JSON header, then raw little-endian float32.

Layout: ``uint32 H`` (little-endian) · ``H`` bytes of UTF-8 JSON (space-padded so the payload starts
at a multiple of 4) · float32 payload. In the browser:
``new Float32Array(buffer, 4 + H)`` views the payload without a copy.
"""

from __future__ import annotations

import json
import struct

import numpy as np


def encode_frame(header: dict, payload: np.ndarray) -> bytes:
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    head += b" " * (-len(head) % 4)
    return struct.pack("<I", len(head)) + head + np.ascontiguousarray(payload, "<f4").tobytes()


def decode_frame(data: bytes) -> tuple[dict, np.ndarray]:
    (size,) = struct.unpack_from("<I", data)
    header = json.loads(data[4 : 4 + size])
    return header, np.frombuffer(data, "<f4", offset=4 + size)
