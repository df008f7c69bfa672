import { z } from 'zod';
import { apiRegistry } from '../registry.ts';

// What names a controller in a request — shadow registrations and challenge runs take the same
// fields with the same limits.

/** An uploaded module's source: the request body limit (1 MB) leaves room for the JSON around it. */
export const CONTROLLER_SOURCE_MAX_CHARS = 900_000;
/** Decision timeout an admin may set, ms: at most the default live cycle (60 s). */
export const MAX_DECISION_TIMEOUT_MS = 60_000;

export const controllerFields = {
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
    .register(apiRegistry, { description: '1–64 characters a–z, 0–9, _ and -' }),
  url: z
    .string()
    .max(2_000)
    .optional()
    .register(apiRegistry, { description: 'an http:// controller on this machine (loopback only)' }),
  source: z
    .string()
    .max(CONTROLLER_SOURCE_MAX_CHARS)
    .optional()
    .register(apiRegistry, { description: 'the source of an ES module exporting decide(observation)' }),
  decisionTimeoutMs: z.number().int().positive().max(MAX_DECISION_TIMEOUT_MS).optional(),
};
