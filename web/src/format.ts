import i18n from './i18n/index.ts';

// Numbers and times as people read them, in the chosen language. Times are shown in the district's
// zone (from GET /api/district; Asia/Seoul for the reference district), whatever the browser's zone.

export const DISTRICT_ZONE_DEFAULT = 'Asia/Seoul';
const MS_PER_MINUTE = 60_000;
const MINUTES_PER_HOUR = 60;
const MINUTES_PER_DAY = 1_440;
const KW_PER_MW = 1_000;

let districtZone = DISTRICT_ZONE_DEFAULT;
/** Set once the district is known (App loads it after sign-in); every default below follows it. */
export function setDistrictZone(zone: string): void {
  districtZone = zone;
}
export function currentZone(): string {
  return districtZone;
}

const locale = () => (i18n.language === 'en' ? 'en-US' : 'ko-KR');

export function num(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return '—';
  return new Intl.NumberFormat(locale(), {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(v);
}

/** kW below 1 MW, MW above, so the numbers stay short. */
export function power(kw: number): string {
  return Math.abs(kw) >= KW_PER_MW ? `${num(kw / KW_PER_MW, 2)} MW` : `${num(kw, 0)} kW`;
}

export function energy(kwh: number): string {
  return Math.abs(kwh) >= KW_PER_MW ? `${num(kwh / KW_PER_MW, 2)} MWh` : `${num(kwh, 0)} kWh`;
}

export function krw(v: number): string {
  return `₩${num(v, 0)}`;
}

/** Short money for axes: ₩120만 in Korean (만/억 units), ₩1.2M in English. */
export function krwShort(v: number): string {
  return `₩${new Intl.NumberFormat(locale(), { notation: 'compact', maximumFractionDigits: 1 }).format(v)}`;
}

export function pct(fraction: number, digits = 1): string {
  if (!Number.isFinite(fraction)) return '—';
  return `${num(fraction * 100, digits)}%`;
}

/** A length of time in words of the language: "5분" / "5 min", "1시간" / "1 hr", "1일" / "1 day". */
export function duration(minutes: number): string {
  const [value, unit] =
    minutes % MINUTES_PER_DAY === 0
      ? [minutes / MINUTES_PER_DAY, 'day']
      : minutes % MINUTES_PER_HOUR === 0
        ? [minutes / MINUTES_PER_HOUR, 'hour']
        : [minutes, 'minute'];
  return new Intl.NumberFormat(locale(), { style: 'unit', unit, unitDisplay: 'short' }).format(value);
}

function fmt(ms: number, zone: string, opts: Intl.DateTimeFormatOptions): string {
  // A missing or malformed time reads as a dash, never "Invalid Date" or a thrown render.
  if (!Number.isFinite(ms)) return '—';
  // Not hour12: false, with which some locales write midnight as 24:00.
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, hourCycle: 'h23', ...opts }).format(ms);
}

const toMs = (t: string | number | null | undefined) =>
  typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : NaN;

/**
 * A clock time in the district's zone: 13:05:09; with the date, "8월 3일 13:05" in Korean and
 * "Aug 3, 13:05" in English (never the ambiguous 8/3/26).
 */
export function time(iso: string | number, zone = districtZone, withDate = false): string {
  const ms = toMs(iso);
  return withDate
    ? fmt(ms, zone, {
        month: i18n.language === 'en' ? 'short' : 'long',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      })
    : fmt(ms, zone, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** 13:05 in the district's zone. */
export function hourMinute(iso: string | number, zone = districtZone): string {
  return fmt(toMs(iso), zone, { hour: '2-digit', minute: '2-digit' });
}

/** "8월 3일" / "Aug 3". */
export function day(iso: string | number, zone = districtZone): string {
  return fmt(toMs(iso), zone, { month: i18n.language === 'en' ? 'short' : 'long', day: 'numeric' });
}

/** "8월 3일 (월)" / "Mon, Aug 3". */
export function dayWithWeekday(iso: string | number, zone = districtZone): string {
  return fmt(toMs(iso), zone, {
    month: i18n.language === 'en' ? 'short' : 'long',
    day: 'numeric',
    weekday: 'short',
  });
}

/** The zone's offset from UTC at a moment, in minutes (+540 for Seoul). */
export function zoneOffsetMinutes(ms: number, zone: string): number {
  const off = zoneOffset(ms, zone);
  const sign = off.startsWith('-') ? -1 : 1;
  return sign * (Number(off.slice(1, 3)) * MINUTES_PER_HOUR + Number(off.slice(4, 6)));
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
  const offMin = zoneOffsetMinutes(ms, zone);
  const off = zoneOffset(ms, zone);
  const local = new Date(ms + offMin * MS_PER_MINUTE).toISOString().slice(0, 19);
  return `${local}${off}`;
}

/** YYYY-MM-DD of `ms` in `zone`. */
export function localDate(ms: number, zone: string): string {
  return isoAt(ms, zone).slice(0, 10);
}
