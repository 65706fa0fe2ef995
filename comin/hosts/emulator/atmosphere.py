"""The emulator's atmosphere: analytic, plausible, and moving.

* Vertical structure: ICON-like height levels; the 1976 US standard
  atmosphere's troposphere (lapse rate 6.5 K/km up to 11 km, isothermal
  above) gives temperature and hydrostatic pressure.
* Horizontal flow: a stream function ``psi = -a U0 sin(lat) + a A cos^2(lat)
  sin(lat) cos(2 (lon - c t))``, solid-body rotation plus a travelling
  Rossby-Haurwitz-like wave.  The wind is non-divergent by construction,
  and the discrete edge fluxes taken from ``psi`` at the vertices are
  exactly non-divergent too (see :mod:`comin.hosts.emulator.transport`).
  Its vorticity is exact: ``2 U0 sin(lat)/a - 12 A cos^2 sin cos(...)/a``.
* A temperature and surface-pressure wave travels with the flow.
"""
from __future__ import annotations

import numpy as np

RADIUS = 6371229.0      # ICON's earth radius [m]
RD, CPD, G = 287.04, 1004.64, 9.80665
T0, P0, LAPSE, Z_TROP = 288.15, 101325.0, 0.0065, 11000.0
U0 = 20.0               # solid-body wind at the equator [m/s]
A_WAVE = 8.0            # wave amplitude [m/s]
C_WAVE = 2.0e-6         # angular phase speed of the wave [rad/s]


def vertical_profile(nlev: int) -> np.ndarray:
    """Factor of the horizontal wind per full level (top = level 1): 1 at the top, 0.4 at the ground."""
    return np.linspace(1.0, 0.4, nlev)


def standard_atmosphere(z: np.ndarray):
    """Temperature [K] and pressure [Pa] at heights ``z`` [m]."""
    z = np.asarray(z, dtype=float)
    t_trop = T0 - LAPSE * np.minimum(z, Z_TROP)
    p_trop = P0 * (t_trop / T0) ** (G / (RD * LAPSE))
    t11 = T0 - LAPSE * Z_TROP
    p11 = P0 * (t11 / T0) ** (G / (RD * LAPSE))
    p = np.where(z <= Z_TROP, p_trop, p11 * np.exp(-G * (z - Z_TROP) / (RD * t11)))
    return t_trop, p


def stream_function(lon: np.ndarray, lat: np.ndarray, t: float) -> np.ndarray:
    """psi [m^2/s] at points ``lon, lat`` [rad] and time ``t`` [s]."""
    phase = np.cos(2.0 * (lon - C_WAVE * t))
    return RADIUS * (-U0 * np.sin(lat) + A_WAVE * np.cos(lat) ** 2 * np.sin(lat) * phase)


def wind(lon: np.ndarray, lat: np.ndarray, t: float):
    """Zonal and meridional wind [m/s] of :func:`stream_function`."""
    arg = 2.0 * (lon - C_WAVE * t)
    cl, sl = np.cos(lat), np.sin(lat)
    u = U0 * cl - A_WAVE * (cl ** 3 - 2.0 * cl * sl ** 2) * np.cos(arg)
    v = -2.0 * A_WAVE * cl * sl * np.sin(arg)
    return u, v


def vorticity(lon: np.ndarray, lat: np.ndarray, t: float) -> np.ndarray:
    """Relative vorticity [1/s] of :func:`stream_function` (exact)."""
    arg = 2.0 * (lon - C_WAVE * t)
    cl, sl = np.cos(lat), np.sin(lat)
    return (2.0 * U0 * sl - 12.0 * A_WAVE * cl ** 2 * sl * np.cos(arg)) / RADIUS


def temperature_wave(lon: np.ndarray, lat: np.ndarray, t: float) -> np.ndarray:
    """A travelling temperature anomaly [K], strongest in mid-latitudes."""
    return 3.0 * np.cos(lat) ** 2 * np.sin(2.0 * lat) ** 2 * np.cos(2.0 * (lon - C_WAVE * t))


def humidity_profile(z: np.ndarray) -> np.ndarray:
    """The vertical profile [kg/kg] of :func:`specific_humidity`: dry aloft."""
    return 0.018 * np.exp(-np.asarray(z) / 2500.0)


def humidity_pattern(lat: np.ndarray) -> np.ndarray:
    """The horizontal pattern (factor) of :func:`specific_humidity`: moist tropics."""
    return 0.3 + 0.7 * np.cos(lat) ** 4


def specific_humidity(z: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Initial water vapour [kg/kg]: moist tropics, dry aloft."""
    return humidity_profile(z) * humidity_pattern(lat)
