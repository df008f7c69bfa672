import i18n from './i18n/index.ts';

// Numbers and times as people read them, in the chosen language. Times are shown in the district's
// zone (Asia/Seoul for the reference district), whatever the browser's zone is.

export const DISTRICT_ZONE_DEFAULT = 'Asia/Seoul';

const locale = () => (i18n.language === 'en' ? 'en-US' : 'ko-KR');

export function num(v: number, digits = 0): string {
  return new Intl.NumberFormat(locale(), {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(v);
}

/** kW below 1 MW, MW above, so the numbers stay short. */
export function power(kw: number): string {
  return Math.abs(kw) >= 1000 ? `${num(kw / 1000, 2)} MW` : `${num(kw, 0)} kW`;
}

export function energy(kwh: number): string {
  return Math.abs(kwh) >= 1000 ? `${num(kwh / 1000, 2)} MWh` : `${num(kwh, 0)} kWh`;
}

export function krw(v: number): string {
  return `₩${num(v, 0)}`;
}

export function pct(fraction: number, digits = 1): string {
  return `${num(fraction * 100, digits)}%`;
}

export function time(iso: string | number, zone = DISTRICT_ZONE_DEFAULT, withDate = false): string {
  const d = typeof iso === 'number' ? new Date(iso) : new Date(iso);
  return new Intl.DateTimeFormat(locale(), {
    timeZone: zone,
    ...(withDate ? { month: '2-digit', day: '2-digit' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    second: withDate ? undefined : '2-digit',
    // Not hour12: false, with which some locales write midnight as 24:00.
    hourCycle: 'h23',
  }).format(d);
}

/** The ISO offset of a zone at a moment, e.g. +09:00 (the API wants times with an offset). */
export function zoneOffset(ms: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(name);
  return m ? `${m[1]}:${m[2] ?? '00'}` : '+00:00';
}

/** Local midnight (in `zone`) of the day containing `ms`, as UTC ms. */
export function localMidnightMs(ms: number, zone: string): number {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    })
      .formatToParts(new Date(ms))
      .map((x) => [x.type, x.value]),
  );
  const off = zoneOffset(ms, zone);
  return Date.parse(`${p.year}-${p.month}-${p.day}T00:00:00${off}`);
}

/** UTC ms → ISO 8601 with the zone's offset (what the API accepts for `from`/`to`). */
export function isoAt(ms: number, zone: string): string {
  const off = zoneOffset(ms, zone);
  const sign = off.startsWith('-') ? -1 : 1;
  const [h, m] = off.slice(1).split(':').map(Number);
  const local = new Date(ms + sign * (h * 60 + m) * 60_000).toISOString().slice(0, 19);
  return `${local}${off}`;
}

/** YYYY-MM-DD of `ms` in `zone`. */
export function localDate(ms: number, zone: string): string {
  return isoAt(ms, zone).slice(0, 10);
}
