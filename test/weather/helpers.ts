import { scenarioSchema, type Scenario } from '../../src/model/schema.ts';
import { loadScenarioFile } from '../../src/model/index.ts';

/** The header of a KMA ASOS hourly CSV as the open-data portal exports it (종관기상관측 시간자료). */
export const KMA_HEADER = [
  '지점',
  '지점명',
  '일시',
  '기온(°C)',
  '기온 QC플래그',
  '강수량(mm)',
  '강수량 QC플래그',
  '풍속(m/s)',
  '풍속 QC플래그',
  '풍향(16방위)',
  '풍향 QC플래그',
  '습도(%)',
  '습도 QC플래그',
  '증기압(hPa)',
  '이슬점온도(°C)',
  '현지기압(hPa)',
  '현지기압 QC플래그',
  '해면기압(hPa)',
  '해면기압 QC플래그',
  '일조(hr)',
  '일조 QC플래그',
  '일사(MJ/m2)',
  '일사 QC플래그',
  '적설(cm)',
  '3시간신적설(cm)',
  '전운량(10분위)',
  '중하층운량(10분위)',
  '운형(운형약어)',
  '최저운고(100m )',
  '시정(10m)',
  '지면상태(지면상태코드)',
  '현상번호(국내식)',
  '지면온도(°C)',
  '지면온도 QC플래그',
];

export interface KmaRow {
  /** 일시 as written, KST. */
  time: string;
  temperatureC?: number | string;
  windMPerS?: number | string;
  sunshineH?: number | string;
  irradiationMj?: number | string;
  cloudTenths?: number | string;
  station?: number;
}

const cell = (v: number | string | undefined) => (v === undefined ? '' : String(v));

/** One CSV line in the portal's column order (blank where a value is absent, as KMA writes it). */
export function kmaLine(r: KmaRow): string {
  const c = new Array<string>(KMA_HEADER.length).fill('');
  c[0] = String(r.station ?? 156);
  c[1] = '광주';
  c[2] = r.time;
  c[3] = cell(r.temperatureC);
  c[7] = cell(r.windMPerS);
  c[11] = '70';
  c[15] = '1010.2';
  c[19] = cell(r.sunshineH);
  c[21] = cell(r.irradiationMj);
  c[25] = cell(r.cloudTenths);
  return c.join(',');
}

export function kmaCsv(rows: KmaRow[]): string {
  return [KMA_HEADER.join(','), ...rows.map(kmaLine)].join('\r\n') + '\r\n';
}

/** "2024-05-01 13:00" for a KST wall-clock hour counted from a KST midnight. */
export function kstLabel(dayStartUtcMs: number, hour: number): string {
  const d = new Date(dayStartUtcMs + 9 * 3_600_000 + hour * 3_600_000);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

export function referenceScenario(): Scenario {
  return loadScenarioFile().scenario;
}

export function withWeather(s: Scenario, weather: Scenario['weather']): Scenario {
  return scenarioSchema.parse({ ...s, weather }) as Scenario;
}
