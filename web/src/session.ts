import { create } from 'zustand';
import { api, ApiError, getToken, TOKEN_KEY } from './api.ts';
import { loadDistrict } from './district.ts';
import { connectLive, disconnectLive } from './live.ts';

// Who is signed in. The token lives in sessionStorage (gone when the tab closes). The API has no
// "who am I" route, so the role is learnt by asking for the audit log, which needs operator:
// 200 → operator or admin, 403 → viewer.

export type Role = 'viewer' | 'operator';

interface Session {
  token: string | null;
  role: Role | null;
  signIn(token: string): Promise<void>;
  signOut(): void;
  restore(): Promise<void>;
}

async function probeRole(token: string): Promise<Role> {
  await api('/api/state', { token }); // 401 here: the token is not valid at all
  try {
    await api('/api/audit?limit=1', { token });
    return 'operator';
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return 'viewer';
    throw e;
  }
}

export const useSession = create<Session>((set) => ({
  token: null,
  role: null,
  async signIn(token) {
    const t = token.trim();
    const role = await probeRole(t);
    sessionStorage.setItem(TOKEN_KEY, t);
    set({ token: t, role });
    connectLive(t);
    await loadDistrict();
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    disconnectLive();
    set({ token: null, role: null });
  },
  async restore() {
    const t = getToken();
    if (!t) return;
    try {
      const role = await probeRole(t);
      set({ token: t, role });
      connectLive(t);
      await loadDistrict();
    } catch {
      sessionStorage.removeItem(TOKEN_KEY);
    }
  },
}));
