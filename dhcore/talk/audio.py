"""Speech as a per-video-frame timeline: loudness envelope, voice activity, and a vowel class.

The envelope is the RMS level (dB) over a window of two frames centred on each frame, scaled so
the loud speech is 1 and everything below the voice-activity threshold is 0. The vowel class comes
from where the energy sits in the spectrum (formant bands): open vowels ('a') carry it at 550-1100
Hz (a high first formant), spread ones ('i', 'e') also at 1.8-3.5 kHz (a high second formant),
rounded ones ('o', 'u') below 1 kHz only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dhcore.errors import InputError

RATE = 16000
#: below this peak level (dBFS) a track counts as silent
SILENT_DB = -50.0
#: voice activity: above the noise floor by this much, and within this much of the loud speech
VAD_OVER_NOISE, VAD_UNDER_PEAK = 10.0, 30.0


def read_audio(path: Path, rate: int = RATE) -> np.ndarray:
    """The first audio track as mono float32 at `rate`; InputError naming the file when unreadable."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputError(f"{path}: has no audio track")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks = []
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable audio file ({exc})") from exc
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if len(samples) < rate // 4:
        raise InputError(f"{path}: the audio is shorter than a quarter of a second")
    return samples


def level_db(samples: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """RMS level (dBFS) over two frames' worth of samples centred on each video frame."""
    hop = rate / fps
    half = int(round(hop))
    padded = np.pad(samples.astype(np.float64), half)
    centres = (np.arange(frames) * hop + hop / 2).astype(int) + half
    power = np.cumsum(np.concatenate([[0.0], padded**2]))
    lo, hi = np.clip(centres - half, 0, len(padded)), np.clip(centres + half, 0, len(padded))
    rms = np.sqrt((power[hi] - power[lo]) / np.maximum(hi - lo, 1))
    return 20 * np.log10(np.maximum(rms, 1e-6))


def silence_problem(samples: np.ndarray, rate: int = RATE) -> str | None:
    peak = float(level_db(samples, rate, 25.0, max(1, int(len(samples) / rate * 25))).max())
    if peak < SILENT_DB:
        return f"the audio is silent (loudest {peak:.0f} dBFS; at least {SILENT_DB:.0f} needed)"
    return None


@dataclass(frozen=True)
class Timeline:
    envelope: np.ndarray  # [frames] 0..1
    voiced: np.ndarray  # [frames] bool
    open_share: np.ndarray  # [frames] 0..1: an open vowel ('a')
    spread_share: np.ndarray  # [frames] 0..1: a spread vowel ('i', 'e')


def timeline(samples: np.ndarray, rate: int, fps: float, frames: int) -> Timeline:
    db = level_db(samples, rate, fps, frames)
    peak = float(np.percentile(db, 95))
    noise = float(np.percentile(db, 10))
    threshold = max(noise + VAD_OVER_NOISE, peak - VAD_UNDER_PEAK)
    voiced = db > threshold
    envelope = np.where(voiced, np.clip((db - threshold) / max(peak - threshold, 1e-3), 0, 1), 0.0)
    open_share, spread_share = _vowels(samples, rate, fps, frames)
    return Timeline(envelope, voiced, open_share, spread_share)


def _band(spectrum: np.ndarray, freqs: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return spectrum[:, (freqs >= lo) & (freqs < hi)].sum(1) + 1e-9


def _vowels(samples: np.ndarray, rate: int, fps: float, frames: int) -> tuple[np.ndarray, np.ndarray]:
    size = 1024
    hop = rate / fps
    padded = np.pad(samples, size)
    starts = (np.arange(frames) * hop + hop / 2).astype(int) + size - size // 2
    windows = padded[np.clip(starts[:, None] + np.arange(size), 0, len(padded) - 1)] * np.hanning(size)
    spectrum = np.abs(np.fft.rfft(windows, axis=1)) ** 2
    freqs = np.fft.rfftfreq(size, 1 / rate)
    f1_high = _band(spectrum, freqs, 550, 1100) / _band(spectrum, freqs, 200, 1100)
    f2_high = _band(spectrum, freqs, 1800, 3500) / _band(spectrum, freqs, 200, 3500)
    return np.clip((f1_high - 0.3) / 0.4, 0, 1), np.clip((f2_high - 0.08) / 0.2, 0, 1)
