import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  Ocpp16,
  Ocpp16Calls,
  Ocpp201,
  Ocpp201Calls,
  OcppRequest,
} from '../../../src/drivers/ocpp/messages.ts';
import { setChargingProfile16, setChargingProfile201 } from '../../../src/drivers/ocpp/profiles.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('generated OCPP message types', () => {
  it('are what the schemas that ocpp-rpc validates against give (npm run generate:ocpp)', () => {
    const r = spawnSync(process.execPath, ['scripts/generate-ocpp-types.mjs', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('type the profiles the CSMS sends, in both protocols', () => {
    const rate = { charging_rate_unit: 'A' as const, voltage_v: 230, phases: 3 };
    const req = { connectorId: 2, purpose: 'TxProfile' as const, limitKw: 11, nowMs: 0, transactionId: 7 };
    const p16: OcppRequest<Ocpp16Calls, 'SetChargingProfile'> = setChargingProfile16(req, rate);
    const p201: Ocpp201.SetChargingProfileRequest = setChargingProfile201(req, rate);
    expect(p16.csChargingProfiles.transactionId).toBe(7);
    expect(p16.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]).toEqual({
      startPeriod: 0,
      limit: 15.9,
      numberPhases: 3,
    });
    expect(p201.chargingProfile.transactionId).toBe('7');
    expect(p201.chargingProfile.chargingSchedule[0].chargingRateUnit).toBe('A');
    // The 1.6 StartTransaction and 2.0.1 TransactionEvent requests the CSMS handles, as typed values.
    const start: Ocpp16.StartTransactionRequest = {
      connectorId: 1,
      idTag: 'TAG',
      meterStart: 0,
      timestamp: '2026-08-03T00:00:00Z',
    };
    const event: OcppRequest<Ocpp201Calls, 'TransactionEvent'> = {
      eventType: 'Started',
      timestamp: '2026-08-03T00:00:00Z',
      triggerReason: 'CablePluggedIn',
      seqNo: 0,
      transactionInfo: { transactionId: 'T1' },
    };
    expect([start.connectorId, event.transactionInfo.transactionId]).toEqual([1, 'T1']);
  });
});
