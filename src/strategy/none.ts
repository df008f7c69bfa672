import type { Strategy } from '../sim/strategy-interface.ts';
import { emptyDispatch, runJobsByPriority } from './common.ts';

/**
 * No energy management: the battery idles, every EV and bus charges at full power from the moment
 * it plugs in (buses in depot order while chargers last), training jobs run as submitted (a priority queue: higher priority first; strategy/common.ts).
 */
export function noneStrategy(): Strategy {
  return {
    name: 'none',
    decide(view) {
      const dp = emptyDispatch(view);
      for (const st of view.ev) dp.evKw.set(st.session.id, st.session.maxPowerKw);
      view.buses.forEach((bus, b) => {
        if (bus.atDepot) dp.busKw[b] = view.district.depots[bus.depotIndex].cfg.charger_kw;
      });
      runJobsByPriority(view, dp);
      return dp;
    },
  };
}
