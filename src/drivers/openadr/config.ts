import { z } from 'zod';
import { assetIdSchema, deviceIdSchema } from '../registry.ts';

/**
 * The district's grid connection meter (power_kw, import positive): GRID_ASSET_ID in
 * src/control/loop.ts, repeated here because drivers do not import the control loop.
 */
export const DEFAULT_REPORT_ASSET = 'grid';

export const openAdrVenConfigSchema = z.strictObject({
  id: deviceIdSchema,
  type: z.literal('openadr_ven'),
  /** VTN base URL including the API prefix, e.g. https://vtn.example/openadr3/3.0.1 */
  vtn_url: z.url({ protocol: /^https?$/ }),
  client_id: z.string().min(1).max(4096),
  client_secret: z.string().min(1).max(4096),
  /** Token endpoint; default: discovered at <vtn_url>/auth/server, else <vtn_url>/auth/token (3.0.1 securitySchemes). */
  token_url: z.url({ protocol: /^https?$/ }).optional(),
  ven_name: z.string().min(1).max(128),
  poll_interval_s: z.number().positive().max(86_400).default(60),
  /** Follow only these programs (programName); default: every program the VTN shows this VEN. */
  program_names: z.array(z.string().min(1)).optional(),
  /** Subscribe to event changes with a webhook; polling continues as the fallback. */
  subscribe: z.boolean().default(true),
  /** Port of the webhook listener; 0 (default) picks a free port. */
  webhook_port: z.number().int().min(0).max(65535).default(0),
  webhook_host: z.string().default('127.0.0.1'),
  /** URL the VTN calls, when it differs from http://<webhook_host>:<port>/openadr/notify (proxy, NAT). */
  webhook_url: z.url({ protocol: /^https?$/ }).optional(),
  request_timeout_s: z.number().positive().max(120).default(10),
  /**
   * Asset whose power_kw (import positive, fed through ingest()) answers the USAGE/DEMAND reports
   * events ask for: by default the grid connection meter, since a grid operator settles on import.
   */
  report_asset: assetIdSchema.default(DEFAULT_REPORT_ASSET),
  /**
   * Retry backoff after a failed exchange (VTN down, records lost): first delay, doubled per failed
   * attempt up to the maximum (and never slower than the poll).
   */
  reconnect_min_ms: z.number().int().min(10).max(600_000).default(1000),
  reconnect_max_ms: z.number().int().min(10).max(3_600_000).default(60_000),
  /** kW shed meant by SIMPLE signal levels 0, 1, 2, 3. */
  simple_level_shed_kw: z.array(z.number().min(0)).length(4).optional(),
});

export type OpenAdrVenConfig = z.output<typeof openAdrVenConfigSchema>;
export type OpenAdrVenConfigInput = z.input<typeof openAdrVenConfigSchema>;
