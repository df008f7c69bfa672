import { useSyncExternalStore } from 'react';

/** Widest viewport laid out for a phone (px); styles.css uses the same figure. */
export const PHONE_MAX_PX = 700;

/** True while the viewport is phone-sized; follows rotation and resizing. */
export function usePhone(): boolean {
  const query = `(max-width: ${PHONE_MAX_PX}px)`;
  return useSyncExternalStore(
    (cb) => {
      const m = matchMedia(query);
      m.addEventListener('change', cb);
      return () => m.removeEventListener('change', cb);
    },
    () => matchMedia(query).matches,
  );
}
