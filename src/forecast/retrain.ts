import { DateTime } from 'luxon';
import type { RetrainPolicy } from './types.ts';

/** Default: retrain daily, not before 16:00 local so the day-ahead issue at 17:00 uses a fresh model. */
export const DEFAULT_RETRAIN_POLICY: RetrainPolicy = { everyHours: 24, notBeforeHour: 16 };

/**
 * Whether a model last fitted at `lastFitMs` should be retrained at `nowMs`: when it is at least
 * `everyHours` old (never fitted: always), and, if `notBeforeHour` is set, once that local hour has come
 * on the current day (a model older than twice the period is retrained regardless).
 */
export function shouldRetrain(
  lastFitMs: number | null | undefined,
  nowMs: number,
  policy: RetrainPolicy = DEFAULT_RETRAIN_POLICY,
  zone = 'Asia/Seoul',
): boolean {
  if (lastFitMs === null || lastFitMs === undefined || !Number.isFinite(lastFitMs)) return true;
  const ageH = (nowMs - lastFitMs) / 3_600_000;
  if (ageH < policy.everyHours) return false;
  if (policy.notBeforeHour === undefined || ageH >= 2 * policy.everyHours) return true;
  return DateTime.fromMillis(nowMs, { zone }).hour >= policy.notBeforeHour;
}
