"""MuseTalk v1.5 inference on one batch of frames: audio windows, face crops, one UNet step, pasting back.

Audio: whisper's encoder runs on 30-second mel chunks (50 feature frames a second) and keeps every
hidden state (embeddings + each layer). A video frame's condition is the window of 10 feature frames
around it (4 before, 6 from it on, zero-padded at the ends, as the release does), all layers flattened
to tokens, plus a sinusoidal position code. Face: the release's box (centred on the nose, down to the
chin) from the face mesh, resized to the model's square; its lower half is blanked and the model
redraws it from the masked crop, the crop itself as reference, and the audio tokens. Only the lower half of the face goes back,
through a feathered mask, so eyes and background stay the frame's own.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from dhcore.facemesh.landmarks import CHIN, FACE_OVAL
from dhcore.talk.audio import RATE

#: whisper's feature frames per second, and the frames per window before and after a video frame
FEATURES_PER_SECOND = 50
BEFORE, AFTER = 4, 6
CHUNK_SECONDS = 30
#: the mesh's point on the lower nose bridge (dlib's point 29, where the release splits the face)
NOSE = 195


def audio_features(samples: np.ndarray, encoder: object, device: str) -> np.ndarray:
    """[feature frames, layers + 1, width] whisper hidden states at 50 per second."""
    import torch
    from transformers import WhisperFeatureExtractor

    config = encoder.config  # type: ignore[attr-defined]
    extract = WhisperFeatureExtractor(feature_size=config.num_mel_bins, sampling_rate=RATE)
    step = CHUNK_SECONDS * RATE
    out = []
    for start in range(0, len(samples), step):
        chunk = samples[start : start + step]
        mel = extract(chunk, sampling_rate=RATE, return_tensors="pt").input_features
        with torch.no_grad():
            hidden = encoder(mel.to(device, next(encoder.parameters()).dtype), output_hidden_states=True)  # type: ignore[attr-defined]
        states = torch.stack(hidden.hidden_states, dim=2)[0].float().cpu().numpy()
        out.append(states[: math.ceil(len(chunk) / RATE * FEATURES_PER_SECOND)])
    return np.concatenate(out)


def positional(tokens: int, width: int) -> np.ndarray:
    """The transformer's sinusoidal position code [tokens, width] (sin on even, cos on odd columns)."""
    pos = np.arange(tokens)[:, None]
    rate = np.exp(np.arange(0, width, 2) * (-math.log(10000.0) / width))
    code = np.zeros((tokens, width), np.float32)
    code[:, 0::2] = np.sin(pos * rate)
    code[:, 1::2] = np.cos(pos * rate)[:, : width // 2]
    return code


def frame_tokens(features: np.ndarray, index: int, fps: float) -> np.ndarray:
    """[10 * (layers + 1), width] tokens of video frame `index` (zeros before the start and after the
    end, as the release pads)."""
    start = int(math.floor(index * FEATURES_PER_SECOND / fps)) - BEFORE
    window = np.zeros((BEFORE + AFTER, *features.shape[1:]), np.float32)
    lo, hi = max(start, 0), min(start + BEFORE + AFTER, len(features))
    if hi > lo:
        window[lo - start : hi - start] = features[lo:hi]
    window = window.reshape(-1, features.shape[-1])
    return window + positional(*window.shape)


def face_box(points: np.ndarray, width: int, height: int, chin_margin: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the release's box, centred on the nose so its lower half is nose to chin.

    Across: the face outline; down: from as far above the nose as the chin is below it, to the chin
    plus `chin_margin` of the box's height (the release's 10 px), inside the frame.
    """
    oval = points[FACE_OVAL, 0]
    nose, chin = float(points[NOSE, 1]), float(points[CHIN, 1])
    y0, y1 = nose - (chin - nose), chin + 2 * (chin - nose) * chin_margin
    return (max(0, int(oval.min())), max(0, int(y0)), min(width, int(math.ceil(oval.max()))),
            min(height, int(math.ceil(y1))))  # fmt: skip


def lower_half_mask(size: int) -> np.ndarray:
    """[size, size] 0..1: the crop's lower half inside its inscribed ellipse, feathered."""
    mask = np.zeros((size, size), np.float32)
    cv2.ellipse(mask, (size // 2, size // 2), (size * 9 // 20, size * 9 // 20), 0, 0, 180, 1.0, -1)
    mask[: size // 2 + size // 16] = 0
    blur = max(3, size // 10) | 1
    return cv2.GaussianBlur(mask, (blur, blur), 0)


def redraw(model: object, crops: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """[n, s, s, 3] uint8 crops with their lower half redrawn for [n, tokens, width] audio."""
    import torch

    m = model  # MuseTalk
    first = next(m.unet.parameters())  # type: ignore[attr-defined]
    x = torch.from_numpy(crops).permute(0, 3, 1, 2).to(first.device, torch.float32) / 255.0
    masked = x.clone()
    masked[:, :, x.shape[2] // 2 :] = 0
    vae = m.vae  # type: ignore[attr-defined]
    scale = vae.config.scaling_factor

    def encode(images: torch.Tensor) -> torch.Tensor:
        return vae.encode((images * 2 - 1).to(first.dtype)).latent_dist.mode() * scale

    with torch.no_grad():
        latents = torch.cat([encode(masked), encode(x)], dim=1)
        audio = torch.from_numpy(tokens).to(first.device, first.dtype)
        step = torch.zeros(len(crops), device=first.device, dtype=torch.long)
        out = m.unet(latents, step, encoder_hidden_states=audio).sample  # type: ignore[attr-defined]
        images = vae.decode(out / scale).sample
    images = ((images.float().clamp(-1, 1) + 1) * 127.5).round().byte()
    return images.permute(0, 2, 3, 1).cpu().numpy()


def paste(frame: np.ndarray, crop: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The frame with the crop's redrawn lower face blended into its box."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    mask = cv2.resize(lower_half_mask(crop.shape[0]), (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    drawn = cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    out = frame.copy()
    region = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(region * (1 - mask) + drawn * mask, 0, 255).round().astype(np.uint8)
    return out
