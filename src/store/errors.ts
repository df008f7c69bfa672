// One error class for the store with stable codes, so the API can map them (input → 400,
// not found → 404) without matching messages.

export type StoreErrorCode =
  /** Bad input: says which field of which call and why; nothing was written. */
  | 'BITGRID_ERR_STORE_INPUT'
  /** The record asked for does not exist. */
  | 'BITGRID_ERR_STORE_NOT_FOUND'
  /** The database schema is newer than this code, or differs from what this code expects. */
  | 'BITGRID_ERR_STORE_SCHEMA'
  /** The store URL is not one openStore understands. */
  | 'BITGRID_ERR_STORE_URL'
  /** The database could not be opened or reached (file, permissions, server, credentials). */
  | 'BITGRID_ERR_STORE_OPEN'
  /** The store (or writer) was used after close(). */
  | 'BITGRID_ERR_STORE_CLOSED';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export const inputError = (where: string, message: string) =>
  new StoreError('BITGRID_ERR_STORE_INPUT', `${where}: ${message}`);
export const notFound = (what: string) => new StoreError('BITGRID_ERR_STORE_NOT_FOUND', `${what} not found`);
