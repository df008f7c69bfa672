import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { koreanHolidayCalendar } from '../../src/model/calendar.ts';
import { createTariff, type Band } from '../../src/tariff/index.ts';
import { gridConfig, kst, tariffFor, ZONE } from './helpers.ts';

const CODE: Record<string, Band> = { L: 'light', M: 'mid', P: 'peak' };
// Expected weekday bands by local hour 0–23, written out from the 약관 tables (not from the data files).
const OLD_SUMMER_SF = 'LLLLLLLL' + 'MMM' + 'P' + 'M' + 'PPPPP' + 'MMMM' + 'LL';
const WINTER = 'LLLLLLLL' + 'M' + 'PPP' + 'MMMM' + 'PPP' + 'MMM' + 'LL';
const NEW_SUMMER_SF = 'LLLLLLLL' + 'MMMMMMM' + 'PPPPPP' + 'M' + 'LL';

function weekday(date: string): number {
  return DateTime.fromISO(date, { zone: ZONE }).weekday;
}

describe('hour bands on weekdays, at every quarter hour', () => {
  const tariff = tariffFor();
  const cases: Array<[string, string, string, Record<Band, number>]> = [
    // date (a non-holiday weekday), schedule, expected bands, 고압A Ⅱ prices
    ['2025-07-15', '2024-10-24', OLD_SUMMER_SF, { light: 110.9, mid: 163.8, peak: 245.9 }],
    ['2025-04-15', '2024-10-24', OLD_SUMMER_SF, { light: 110.9, mid: 133.4, peak: 164.1 }],
    ['2025-01-15', '2024-10-24', WINTER, { light: 117.9, mid: 164.0, peak: 221.5 }],
    ['2024-11-13', '2024-10-24', WINTER, { light: 117.9, mid: 164.0, peak: 221.5 }],
    ['2026-07-15', '2026-04-16', NEW_SUMMER_SF, { light: 116.0, mid: 163.8, peak: 229.0 }],
    ['2026-05-13', '2026-04-16', NEW_SUMMER_SF, { light: 116.0, mid: 133.4, peak: 150.9 }],
    ['2026-10-14', '2026-04-16', NEW_SUMMER_SF, { light: 116.0, mid: 133.4, peak: 150.9 }],
    ['2026-12-16', '2026-04-16', WINTER, { light: 123.0, mid: 164.0, peak: 204.6 }],
  ];
  for (const [date, schedule, expected, prices] of cases) {
    it(`${date} (${schedule} schedule)`, () => {
      expect(weekday(date)).toBeLessThanOrEqual(5);
      for (let h = 0; h < 24; h++)
        for (const mm of ['00', '15', '30', '45']) {
          const t = kst(`${date}T${String(h).padStart(2, '0')}:${mm}`);
          const band = CODE[expected[h]];
          expect(tariff.bandAt(t), `${date} ${h}:${mm}`).toBe(band);
          expect(tariff.scheduleAt(t)).toBe(schedule);
          expect(tariff.energyChargeKrwPerKwh(t)).toBeCloseTo(prices[band], 9);
          expect(tariff.importPriceKrwPerKwh(t)).toBeCloseTo(prices[band] + 14, 9);
          expect(tariff.countsForDemand(t)).toBe(band !== 'light');
        }
    });
  }

  it('named examples: 2026-07-15 15:00 is summer peak at 229.0, 2025-07-15 11:30 peak at 245.9', () => {
    expect(tariff.bandAt(kst('2026-07-15T15:00'))).toBe('peak');
    expect(tariff.seasonAt(kst('2026-07-15T15:00'))).toBe('summer');
    expect(tariff.energyChargeKrwPerKwh(kst('2026-07-15T15:00'))).toBe(229.0);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-07-15T14:45'))).toBe(163.8);
    expect(tariff.energyChargeKrwPerKwh(kst('2025-07-15T11:30'))).toBe(245.9);
    expect(tariff.adderKrwPerKwh(kst('2025-07-15T11:30'))).toBe(14);
  });
});

describe('day rules', () => {
  const tariff = tariffFor(gridConfig(), ['2026-06-03']);

  it('a non-holiday Saturday bills peak as mid and keeps light at night', () => {
    expect(weekday('2025-07-19')).toBe(6);
    expect(tariff.dayKindAt(kst('2025-07-19T14:00'))).toBe('saturday');
    expect(tariff.bandAt(kst('2025-07-19T14:00'))).toBe('mid'); // peak on weekdays under the old bands
    expect(tariff.energyChargeKrwPerKwh(kst('2025-07-19T14:00'))).toBe(163.8);
    expect(tariff.bandAt(kst('2026-07-18T15:00'))).toBe('mid'); // peak on weekdays under the new bands
    expect(tariff.bandAt(kst('2026-07-18T14:00'))).toBe('mid');
    expect(tariff.bandAt(kst('2025-07-19T07:45'))).toBe('light');
    expect(tariff.bandAt(kst('2025-07-19T22:00'))).toBe('light');
    expect(tariff.countsForDemand(kst('2025-07-19T14:00'))).toBe(true);
  });

  it('Sundays, public holidays (추석 2026-09-24) and configured extra holidays are light all day', () => {
    for (const date of ['2025-07-20', '2026-09-24', '2026-06-03', '2025-12-25']) {
      for (let h = 0; h < 24; h++) {
        const t = kst(`${date}T${String(h).padStart(2, '0')}:30`);
        expect(tariff.bandAt(t), `${date} ${h}h`).toBe('light');
        expect(tariff.countsForDemand(t)).toBe(false);
      }
    }
    expect(weekday('2025-07-20')).toBe(7);
    expect(tariff.energyChargeKrwPerKwh(kst('2025-07-20T15:00'))).toBe(110.9);
    // Without the extra holiday, 2026-06-03 (a Wednesday) is an ordinary weekday.
    expect(tariffFor().bandAt(kst('2026-06-03T16:00'))).toBe('peak');
  });

  it('spring/autumn weekend and holiday 11–14 h energy is half price from 2026-04-16', () => {
    expect(weekday('2026-05-02')).toBe(6);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-05-02T12:00'))).toBeCloseTo(133.4 / 2, 9);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-05-02T11:00'))).toBeCloseTo(66.7, 9);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-05-02T13:45'))).toBeCloseTo(66.7, 9);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-05-02T10:45'))).toBe(133.4);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-05-02T14:00'))).toBe(133.4);
    // Adders are not discounted.
    expect(tariff.importPriceKrwPerKwh(kst('2026-05-02T12:00'))).toBeCloseTo(66.7 + 14, 9);
    // Sunday and a holiday: light price halved; the band stays light.
    expect(tariff.energyChargeKrwPerKwh(kst('2026-05-03T12:00'))).toBeCloseTo(58.0, 9);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-09-24T12:00'))).toBeCloseTo(58.0, 9);
    // Not on weekdays, not in summer or winter, not under the old schedule, not after 2030.
    expect(tariff.energyChargeKrwPerKwh(kst('2026-05-13T12:00'))).toBe(133.4);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-07-18T12:00'))).toBe(163.8);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-11-14T12:00'))).toBe(164.0);
    expect(tariff.energyChargeKrwPerKwh(kst('2026-04-11T12:00'))).toBe(133.4);
    expect(weekday('2030-10-26')).toBe(6);
    expect(weekday('2031-04-05')).toBe(6);
    expect(tariff.energyChargeKrwPerKwh(kst('2030-10-26T12:00'))).toBeCloseTo(66.7, 9);
    expect(tariff.energyChargeKrwPerKwh(kst('2031-04-05T12:00'))).toBe(133.4);
    // Switched off in the config.
    const off = tariffFor(gridConfig({ weekend_midday_discount: false }));
    expect(off.energyChargeKrwPerKwh(kst('2026-05-02T12:00'))).toBe(133.4);
  });
});

describe('schedules by date', () => {
  const tariff = tariffFor();

  it('switches at 2026-04-16 00:00 KST', () => {
    expect(tariff.scheduleIds).toEqual(['2024-10-24', '2026-04-16']);
    const before = kst('2026-04-15T23:45');
    const at = kst('2026-04-16T00:00');
    expect(at).toBe(Date.UTC(2026, 3, 15, 15, 0));
    expect(tariff.scheduleAt(before)).toBe('2024-10-24');
    expect(tariff.scheduleAt(at)).toBe('2026-04-16');
    expect(tariff.energyChargeKrwPerKwh(before)).toBe(110.9);
    expect(tariff.energyChargeKrwPerKwh(at)).toBe(116.0);
    expect(tariff.basicChargeKrwPerKw(at)).toBe(8320);
  });

  it('refuses dates before 2024-10-24 with a clear error', () => {
    expect(tariff.scheduleAt(kst('2024-10-24T00:00'))).toBe('2024-10-24');
    expect(() => tariff.energyChargeKrwPerKwh(kst('2024-10-23T23:45'))).toThrow(
      /no KEPCO 산업용\(을\) tariff table .*local date 2024-10-23.*start 2024-10-24/,
    );
  });

  it('a pinned schedule applies on every date', () => {
    const pinnedNew = tariffFor(gridConfig({ schedule: '2026-04-16' }));
    expect(pinnedNew.scheduleAt(kst('2025-07-15T11:30'))).toBe('2026-04-16');
    expect(pinnedNew.energyChargeKrwPerKwh(kst('2025-07-15T11:30'))).toBe(163.8);
    expect(pinnedNew.energyChargeKrwPerKwh(kst('2023-07-14T19:00'))).toBe(229.0);
    const pinnedOld = tariffFor(gridConfig({ schedule: '2024-10-24' }));
    expect(pinnedOld.energyChargeKrwPerKwh(kst('2026-07-15T11:30'))).toBe(245.9);
    expect(pinnedOld.energyChargeKrwPerKwh(kst('2026-05-02T12:00'))).toBe(133.4); // no 2026 discount
  });

  it('other voltages and options read their own rows', () => {
    const t = tariffFor(gridConfig({ voltage: 'high_c', option: 'III' }));
    expect(t.energyChargeKrwPerKwh(kst('2026-07-15T15:00'))).toBe(236.9);
    expect(t.basicChargeKrwPerKw(kst('2026-07-15T15:00'))).toBe(8090);
    const b1 = tariffFor(gridConfig({ voltage: 'high_b', option: 'I' }));
    expect(b1.energyChargeKrwPerKwh(kst('2025-01-15T10:00'))).toBe(234.8);
  });

  it('일반용(을) keeps its prices and takes the new bands from 2026-06-01, without the weekend discount', () => {
    const g = tariffFor(gridConfig({ plan: 'general_b' }));
    expect(g.scheduleAt(kst('2026-05-29T15:00'))).toBe('2024-10-24');
    expect(g.energyChargeKrwPerKwh(kst('2026-05-29T15:00'))).toBe(140.5); // old SF 15 h = peak
    expect(g.energyChargeKrwPerKwh(kst('2026-05-29T19:00'))).toBe(109.8); // old SF 19 h = mid
    expect(g.scheduleAt(kst('2026-06-01T00:00'))).toBe('2026-04-16');
    expect(g.energyChargeKrwPerKwh(kst('2026-06-10T11:30'))).toBe(140.2); // new summer 11 h = mid
    expect(g.energyChargeKrwPerKwh(kst('2026-06-10T19:00'))).toBe(222.3); // new summer 19 h = peak
    expect(g.energyChargeKrwPerKwh(kst('2026-09-12T12:00'))).toBe(109.8); // SF Saturday, no discount
    expect(() => tariffFor(gridConfig({ plan: 'general_b', voltage: 'high_c' }))).toThrow(
      /일반용\(을\).*high_c/,
    );
  });

  it('is a ratchet month in Dec, Jan, Feb, Jul, Aug and Sep only', () => {
    const months = Array.from({ length: 12 }, (_, i) => i + 1).filter((m) => tariff.isRatchetMonth(m));
    expect(months).toEqual([1, 2, 7, 8, 9, 12]);
  });

  it('rejects an unknown time zone', () => {
    expect(() => createTariff(gridConfig(), 'Mars/Olympus', koreanHolidayCalendar())).toThrow(
      /unknown IANA time zone/,
    );
  });
});
