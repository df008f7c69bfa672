import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DUPLICATE_WINDOW_MS, type FleetNames } from './subjects.ts';

const NANOS_PER_MS = 1_000_000;

/**
 * Creates the fleet's streams when they are missing (edges and backend both call it, whoever starts
 * first). File storage: what an edge handed over survives a restart of the NATS server.
 */
export async function ensureStreams(nc: NatsConnection, names: FleetNames): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const want = [
    { name: names.upStream, subjects: names.upSubjects, retention: RetentionPolicy.Limits },
    // Work queue: a command is gone once its edge has taken it.
    { name: names.commandStream, subjects: [names.commandSubjects], retention: RetentionPolicy.Workqueue },
  ];
  for (const s of want) {
    let info;
    try {
      info = await jsm.streams.info(s.name);
    } catch {
      info = undefined;
    }
    if (info) {
      // A stream made by an older version lacks subjects added since (the site report): add them.
      const missing = s.subjects.filter((x) => !info.config.subjects?.includes(x));
      if (missing.length > 0)
        await jsm.streams.update(s.name, { subjects: [...(info.config.subjects ?? []), ...missing] });
    } else {
      await jsm.streams.add({
        name: s.name,
        subjects: s.subjects,
        retention: s.retention,
        storage: StorageType.File,
        duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
      });
    }
  }
  return jsm;
}
