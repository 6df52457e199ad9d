"""Signal helpers shared by the gait event detectors: filter, bridge gaps, pick peaks, stride.

Used by the marker (Zeni) detector in :mod:`afofit.gait.events` and the joint-angle
detector in :mod:`afofit.gait.events_angles`, and by :mod:`afofit.gait.metrics`
(through :mod:`afofit.gait.events`, which re-exports :func:`lowpass` and
:func:`estimate_stride_time`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import butter, filtfilt, find_peaks

__all__ = [
    "MIN_PEAK_DISTANCE_STRIDES",
    "MIN_PROMINENCE_FRACTION",
    "STRIDE_RANGE_S",
    "ZENI_CUTOFF_HZ",
    "bridge_gaps",
    "clear_peaks",
    "estimate_stride_time",
    "lowpass",
]

#: Low-pass of the Zeni signals and of the angles searched for landmarks, Hz: removes
#: marker jitter, keeps the once-per-stride shape.
ZENI_CUTOFF_HZ = 6.0
#: Peaks of one kind are at least this fraction of the estimated stride time apart.
MIN_PEAK_DISTANCE_STRIDES = 0.6
#: A peak must stand out by this fraction of the signal's 5–95 % range.
MIN_PROMINENCE_FRACTION = 0.2
#: Stride times searched by the autocorrelation, s.
STRIDE_RANGE_S = (0.5, 3.0)


def estimate_stride_time(signal: ArrayLike, rate_hz: float) -> float | None:
    """Estimate the stride time of a once-per-stride signal by autocorrelation.

    Parameters
    ----------
    signal : (n,) float
        E.g. heel − pelvis along the walking direction; NaN-free.
    rate_hz : float
        Sample rate, Hz.

    Returns
    -------
    float or None
        The lag of the highest autocorrelation peak within ``STRIDE_RANGE_S`` (the biased
        estimate falls with the lag, so the stride beats its multiples), s; None when the
        trial is too short or not periodic.
    """
    x = np.asarray(signal, dtype=np.float64)
    x = x - x.mean()
    n = len(x)
    if n < 3 or not np.any(x):
        return None
    ac = np.correlate(x, x, mode="full")[n - 1 :] / (x @ x)
    lo = max(1, int(STRIDE_RANGE_S[0] * rate_hz))
    hi = min(int(STRIDE_RANGE_S[1] * rate_hz), int(0.8 * n))
    if hi <= lo + 2:
        return None
    peaks, props = find_peaks(ac[: hi + 1], height=0.2)
    keep = peaks >= lo
    if not np.any(keep):
        return None
    best = peaks[keep][np.argmax(props["peak_heights"][keep])]
    return float(best / rate_hz)


def lowpass(x: NDArray[np.float64], rate_hz: float, cutoff_hz: float) -> NDArray[np.float64]:
    """Low-pass a NaN-free signal: zero-phase 4th-order Butterworth.

    Parameters
    ----------
    x : (n,) float
    rate_hz : float
        Sample rate, Hz.
    cutoff_hz : float
        Cut-off, Hz; at or above 0.9 × Nyquist, or for very short signals, ``x`` is
        returned unchanged.
    """
    nyquist = 0.5 * rate_hz
    if cutoff_hz >= 0.9 * nyquist or len(x) <= 15:
        return x
    b, a = butter(4, cutoff_hz / nyquist)
    return np.asarray(filtfilt(b, a, x), dtype=np.float64)


def bridge_gaps(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Linearly bridge the NaN samples of ``x``; return it filled and the mask of missing ones."""
    missing = ~np.isfinite(x)
    if missing.all():
        return np.zeros_like(x), missing
    if missing.any():
        idx = np.arange(len(x))
        x = x.copy()
        x[missing] = np.interp(idx[missing], idx[~missing], x[~missing])
    return x, missing


def clear_peaks(
    x: NDArray[np.float64], missing: NDArray[np.bool_], distance: int, edges: bool = True
) -> NDArray[np.intp]:
    """Indices of the clear maxima of ``x`` at least ``distance`` apart, not in a gap.

    ``missing`` marks the samples that were bridged (:func:`bridge_gaps`); a maximum there
    is dropped.

    A maximum must rise ``MIN_PROMINENCE_FRACTION`` of the signal's 5–95 % range above the
    lower ground on both sides; with ``edges``, within ``distance`` of either end of the
    trial, where the outer side is cut short, the inner side alone counts.
    """
    spread = float(np.percentile(x, 95) - np.percentile(x, 5))
    if spread <= 0:
        return np.zeros(0, dtype=np.intp)
    need = MIN_PROMINENCE_FRACTION * spread
    idx, props = find_peaks(x, distance=max(1, distance), prominence=0.0)
    left = x[idx] - x[props["left_bases"]]
    right = x[idx] - x[props["right_bases"]]
    keep = np.minimum(left, right) >= need
    if edges:
        near_start, near_end = idx < distance, idx > len(x) - 1 - distance
        keep |= (near_start & (right >= need)) | (near_end & (left >= need))
    idx = idx[keep]
    return np.asarray(idx[~missing[idx]], dtype=np.intp)
