import { z } from 'zod';

// The API's own zod registry: names (component ids) and descriptions of the schemas in the OpenAPI
// document. Not zod's global registry, so the document holds exactly the API's schemas whatever else
// the process has loaded.

/** What fastify-type-provider-zod reads from a registry entry (its SchemaRegistryMeta). */
export interface ApiSchemaMeta {
  id?: string;
  description?: string;
  example?: unknown;
  [key: string]: unknown;
}

export const apiRegistry = z.registry<ApiSchemaMeta>();
