import { LoadForecaster, type LoadModelState } from './load-model.ts';
import { PvForecaster, type PvModelState } from './pv-model.ts';
import type { Forecaster } from './types.ts';

// Learned models as JSON, to be kept with the site's data and reloaded without refitting.

export function saveForecaster(f: Forecaster): string {
  if (!f.save) throw new RangeError(`${f.name} has no state to save (baselines are refitted from history)`);
  return JSON.stringify(f.save());
}

export function loadForecaster(json: string): Forecaster {
  let state: { kind?: string };
  try {
    state = JSON.parse(json);
  } catch (e) {
    throw new RangeError(`saved model is not valid JSON: ${(e as Error).message}`);
  }
  if (state?.kind === 'load-ridge') return LoadForecaster.load(state as LoadModelState);
  if (state?.kind === 'pv-ridge') return PvForecaster.load(state as PvModelState);
  throw new RangeError(`unknown saved model kind ${JSON.stringify(state?.kind)}`);
}
