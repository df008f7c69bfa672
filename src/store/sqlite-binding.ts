import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

// better-sqlite3 12 wraps its statements in node::ObjectWrap. From Node 24 that class removes an
// environment cleanup hook in its destructor, which asserts on an Environment that garbage-collection
// finalizers do not have: the process aborts (SIGABRT) when a statement is collected, mid-run or at
// exit (WiseLibs/better-sqlite3#1515, closed without a fix in 12). Version 13 moved to Node-API and
// has no such destructor, but needs Node 22 or newer and crashes on Node 20. Both are installed (13
// under the alias `better-sqlite3-napi`, with prebuilt Node-API binaries in the package) and the one
// made for the running Node is loaded; the API is the same.

/** First Node major whose ObjectWrap destructor aborts better-sqlite3 12. */
const NODE_MAJOR_NEEDING_NAPI_BINDING = 24;

const nodeMajor = Number(process.versions.node.split('.')[0]);
const require = createRequire(import.meta.url);

/** The package name loaded on this Node. */
export const SQLITE_BINDING_PACKAGE =
  nodeMajor >= NODE_MAJOR_NEEDING_NAPI_BINDING ? 'better-sqlite3-napi' : 'better-sqlite3';

const Database = require(SQLITE_BINDING_PACKAGE) as typeof BetterSqlite3;

export default Database;
export type SqliteDatabase = BetterSqlite3.Database;
export type SqliteStatement = BetterSqlite3.Statement;
