import type { Ocpp16Calls } from './generated/ocpp16.ts';
import type { Ocpp201Calls } from './generated/ocpp201.ts';
import type { RpcClientLike } from './rpc.ts';

// Typed OCPP messages: the generated types (generated/, from the schemas ocpp-rpc validates every
// frame against in strict mode) tied to the actions that carry them.

export type * as Ocpp16 from './generated/ocpp16.ts';
export type * as Ocpp201 from './generated/ocpp201.ts';
export type { Ocpp16Calls, Ocpp201Calls };

/** The actions of a protocol (`C`), each with the request its sender sends and the response it gets. */
type Calls<C> = { [A in keyof C]: { request: unknown; response: unknown } };

export type OcppRequest<C extends Calls<C>, A extends keyof C> = C[A]['request'];
export type OcppResponse<C extends Calls<C>, A extends keyof C> = C[A]['response'];

/** Answers to the actions a peer may send: each takes the validated request and returns the response. */
export type OcppHandlers<C extends Calls<C>> = {
  [A in keyof C]?: (request: C[A]['request']) => C[A]['response'];
};

/** The handlers as method/function pairs for ocpp-rpc's `handle`, which validates each request first. */
export function handlerEntries<C extends Calls<C>>(
  handlers: OcppHandlers<C>,
): [string, (request: never) => unknown][] {
  return Object.entries(handlers) as [string, (request: never) => unknown][];
}

/**
 * Sends `action` with `request` and returns the response. Both are checked against the schema by
 * ocpp-rpc in strict mode (an invalid response rejects), so the response has the generated type.
 */
export async function callOcpp<C extends Calls<C>, A extends keyof C & string>(
  client: Pick<RpcClientLike, 'call'>,
  action: A,
  request: OcppRequest<C, A>,
): Promise<OcppResponse<C, A>> {
  return (await client.call(action, request)) as OcppResponse<C, A>;
}
