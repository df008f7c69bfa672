import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

// A typed facade over the parts of ocpp-rpc (CommonJS) used here. Its bundled .d.ts marks every
// client option as required and has no default export, so the module is loaded through require.

/* eslint-disable @typescript-eslint/no-explicit-any -- EventEmitter listener signatures */
export interface RpcCallContext {
  method: string;
  params: unknown;
  messageId: string;
  signal: AbortSignal;
}
export type RpcHandler = (ctx: RpcCallContext) => unknown;

export interface RpcClientOptions {
  endpoint: string;
  identity: string;
  protocols: string[];
  password?: string | Buffer;
  strictMode?: boolean | string[];
  callTimeoutMs?: number;
  pingIntervalMs?: number;
  reconnect?: boolean;
  maxReconnects?: number;
  backoff?: { initialDelay: number; maxDelay: number; factor: number; randomisationFactor: number };
  wsOpts?: Record<string, unknown>;
  callConcurrency?: number;
}

export interface RpcClientLike {
  readonly identity: string;
  readonly protocol: string | undefined;
  readonly state: number;
  handle(method: string, handler: RpcHandler): void;
  call(
    method: string,
    params?: unknown,
    options?: { callTimeoutMs?: number; signal?: AbortSignal },
  ): Promise<unknown>;
  close(options?: {
    code?: number;
    reason?: string;
    awaitPending?: boolean;
    force?: boolean;
  }): Promise<unknown>;
  sendRaw(message: string): void;
  on(event: string, listener: (...args: any[]) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
}

export interface RpcClient extends RpcClientLike {
  connect(): Promise<unknown>;
}

export interface Handshake {
  identity: string;
  password: Buffer | undefined;
  protocols: Set<string>;
  endpoint: string;
  remoteAddress: string | undefined;
  request: IncomingMessage;
}

export interface RpcServerClient extends RpcClientLike {
  readonly handshake: Handshake;
  readonly session: Record<string, unknown>;
}

export interface RpcServerOptions {
  protocols: string[];
  strictMode?: boolean | string[];
  callTimeoutMs?: number;
  pingIntervalMs?: number;
  respondWithDetailedErrors?: boolean;
  callConcurrency?: number;
}

export interface RpcServer {
  auth(
    cb: (
      accept: (session?: Record<string, unknown>, protocol?: string) => void,
      reject: (code: number, message: string) => void,
      handshake: Handshake,
      signal: AbortSignal,
    ) => void | Promise<void>,
  ): void;
  readonly handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>;
  close(options?: { code?: number; reason?: string; awaitPending?: boolean; force?: boolean }): Promise<void>;
  on(event: 'client', listener: (client: RpcServerClient) => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
}

/* eslint-enable @typescript-eslint/no-explicit-any */

export interface RpcErrorLike extends Error {
  rpcErrorCode: string;
  details: Record<string, unknown>;
}

interface OcppRpcModule {
  RPCServer: new (options: RpcServerOptions) => RpcServer;
  RPCClient: new (options: RpcClientOptions) => RpcClient;
  RPCError: new (message?: string) => RpcErrorLike;
  createRPCError(type: string, message?: string, details?: Record<string, unknown>): RpcErrorLike;
}

const require = createRequire(import.meta.url);
const lib = require('ocpp-rpc') as OcppRpcModule;

export const RPCServer = lib.RPCServer;
export const RPCClient = lib.RPCClient;
export const createRPCError = lib.createRPCError;
export const isRpcError = (err: unknown): err is RpcErrorLike => err instanceof lib.RPCError;

/** ocpp-rpc client state values (same as ws). */
export const RPC_OPEN = 1;

export const MSG_CALL = 2;
export const MSG_CALLRESULT = 3;
export const MSG_CALLERROR = 4;
