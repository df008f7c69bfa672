import { MSG_CALLERROR, createRPCError, isRpcError } from './rpc.ts';
import type { RpcCallContext, RpcClientLike, RpcHandler } from './rpc.ts';

// CALLERROR codes as each protocol spells them on the wire. OCPP-J 1.6 table 7 has
// FormationViolation and OccurenceConstraintViolation; its errata (5.1, 5.2) keep both typos.
// 2.0.1 renamed FormationViolation to FormatViolation and kept OccurenceConstraintViolation.
// ocpp-rpc 2.2 answers 1.6 with "OccurrenceConstraintViolation" and may use framework codes 1.6
// does not define, so every outgoing CALLERROR passes through here.

const CODES_16: Record<string, string> = {
  FormatViolation: 'FormationViolation',
  OccurrenceConstraintViolation: 'OccurenceConstraintViolation',
  RpcFrameworkError: 'FormationViolation',
  MessageTypeNotSupported: 'GenericError',
};
const CODES_201: Record<string, string> = {
  FormationViolation: 'FormatViolation',
  OccurrenceConstraintViolation: 'OccurenceConstraintViolation',
};

export function wireErrorCode(protocol: string | undefined, code: string): string {
  const table = protocol === 'ocpp1.6' ? CODES_16 : protocol === 'ocpp2.0.1' ? CODES_201 : {};
  return table[code] ?? code;
}

/** Rewrites the error code of each CALLERROR this endpoint sends, before it is serialized. */
export function installWireErrorCodes(client: RpcClientLike): void {
  const fix = (frame: unknown) => {
    if (Array.isArray(frame) && frame[0] === MSG_CALLERROR && typeof frame[2] === 'string') {
      frame[2] = wireErrorCode(client.protocol, frame[2]);
    }
  };
  client.on('response', (e: { outbound: boolean; payload: unknown }) => {
    if (e.outbound) fix(e.payload);
  });
  client.on('badMessage', (e: { response: unknown }) => fix(e.response));
}

/**
 * The catch-all at the protocol boundary: a handler bug becomes an InternalError reply (and a log
 * line), never an unhandled rejection or a GenericError carrying a stack trace.
 */
export function guarded<P>(
  method: string,
  fn: (params: P, ctx: RpcCallContext) => unknown,
  onError: (err: unknown, method: string) => void,
): RpcHandler {
  return async (ctx) => {
    try {
      return await fn(ctx.params as P, ctx);
    } catch (err) {
      if (isRpcError(err)) throw err;
      onError(err, method);
      throw createRPCError('InternalError', `internal error while handling ${method}`, {});
    }
  };
}
