// Subjects and streams of the fleet: every edge publishes on subjects scoped by its own id, so the
// backend tells sites apart by subject and a command subscription sees only its own site's commands.
// A namespace keeps several fleets (or test runs) on one NATS server apart.

/** Edge (site) ids and namespaces become one token of a NATS subject: no dots, wildcards or spaces. */
export const SUBJECT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const DEFAULT_NAMESPACE = 'bitgrid';

/**
 * JetStream drops a message whose id it has seen within this window: an edge that re-sends after a
 * lost acknowledgement is not stored twice. Ten minutes covers a publish retried across a reconnect;
 * the backend's own record of message ids catches anything older.
 */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

export function checkToken(what: string, id: string): string {
  if (!SUBJECT_TOKEN_PATTERN.test(id))
    throw new Error(
      `${what} "${id}" must be 1–64 letters, digits, "_" or "-" (it is a token of NATS subjects)`,
    );
  return id;
}

/** What an edge sends up, one subject token each. */
export const UP_KINDS = ['telemetry', 'events', 'report', 'kpi', 'schedule'] as const;
export type UpKind = (typeof UP_KINDS)[number];

export interface FleetNames {
  namespace: string;
  /** Stream of what edges send up (telemetry batches and events), kept until the backend has it. */
  upStream: string;
  /** Stream of commands down to the edges, one subject per edge. */
  commandStream: string;
  /** The backend's durable consumer on the up stream: where it left off survives its restarts. */
  backendConsumer: string;
  telemetry(edgeId: string): string;
  events(edgeId: string): string;
  /** The site's report to the feeder coordinator (planned import, flexible range, value). */
  report(edgeId: string): string;
  /** The site's KPI summary (today's energy, cost, RE100 matching; the month's peak). */
  kpi(edgeId: string): string;
  /** The plan in force at the site. */
  schedule(edgeId: string): string;
  commands(edgeId: string): string;
  /** The edge's durable consumer of its own commands. */
  edgeConsumer(edgeId: string): string;
  upSubjects: string[];
  commandSubjects: string;
  /** The edge id and kind of an up subject, or undefined for anything else. */
  parseUp(subject: string): { edgeId: string; kind: UpKind } | undefined;
}

export function fleetNames(namespace = DEFAULT_NAMESPACE): FleetNames {
  checkToken('namespace', namespace);
  const ns = namespace;
  const upper = ns.toUpperCase().replace(/-/g, '_');
  return {
    namespace: ns,
    upStream: `${upper}_EDGE`,
    commandStream: `${upper}_COMMANDS`,
    backendConsumer: `${ns}-backend`,
    telemetry: (e) => `${ns}.${e}.telemetry`,
    events: (e) => `${ns}.${e}.events`,
    report: (e) => `${ns}.${e}.report`,
    kpi: (e) => `${ns}.${e}.kpi`,
    schedule: (e) => `${ns}.${e}.schedule`,
    commands: (e) => `${ns}.${e}.commands`,
    edgeConsumer: (e) => `${ns}-edge-${e}`,
    upSubjects: UP_KINDS.map((k) => `${ns}.*.${k}`),
    commandSubjects: `${ns}.*.commands`,
    parseUp(subject) {
      const p = subject.split('.');
      if (p.length !== 3 || p[0] !== ns || !SUBJECT_TOKEN_PATTERN.test(p[1])) return undefined;
      const kind = UP_KINDS.find((k) => k === p[2]);
      return kind ? { edgeId: p[1], kind } : undefined;
    },
  };
}
