/**
 * Weather on a fixed time grid. Every value of interval i is the mean over [t, t + interval) with
 * t = startMs + i·intervalMinutes (UTC ms). Irradiance in W/m²: the interval mean, so energy over the
 * interval is value × interval hours.
 */
export interface WeatherSeries {
  startMs: number;
  intervalMinutes: number;
  count: number;
  /** Global horizontal irradiance. */
  ghiWPerM2: Float64Array;
  /** Direct normal irradiance. */
  dniWPerM2: Float64Array;
  /** Diffuse horizontal irradiance. */
  dhiWPerM2: Float64Array;
  /** Air temperature, °C. */
  temperatureC: Float64Array;
  /** Total cloud cover, 0 (clear) – 1 (overcast). */
  cloudCover: Float64Array;
  /** Wind speed at 10 m, m/s, where the source has it (observations do; the generator does not). */
  windSpeedMPerS?: Float64Array;
}

/** The observer as the solar and PV models take it. */
export interface SiteLocation {
  latitudeDeg: number;
  /** East positive. */
  longitudeDeg: number;
  altitudeM?: number;
}
