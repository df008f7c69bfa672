import { create } from 'zustand';
import { api, type District } from './api.ts';
import { DISTRICT_ZONE_DEFAULT, setDistrictZone } from './format.ts';

// The district as configured (GET /api/district): its zone sets how every time is shown, its grid
// limits and asset capacities give charts their scales. Loaded once per sign-in.

interface DistrictStore {
  district: District | null;
  zone: string;
}

export const useDistrict = create<DistrictStore>(() => ({ district: null, zone: DISTRICT_ZONE_DEFAULT }));

export async function loadDistrict(): Promise<void> {
  try {
    const d = await api<District>('/api/district');
    setDistrictZone(d.timezone);
    useDistrict.setState({ district: d, zone: d.timezone });
  } catch {
    // Times stay in the default zone; the views that need the district say so themselves.
  }
}

export const useZone = () => useDistrict((s) => s.zone);
