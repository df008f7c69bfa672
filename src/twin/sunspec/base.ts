import type { SunSpecModelDef } from '../../drivers/sunspec/models/types.ts';
import { model1 } from '../../drivers/sunspec/models/models.generated.ts';
import { ILLEGAL_DATA_VALUE, SunSpecRegisterImage, type PointWrite } from './image.ts';
import { ModbusTwinServer, type ModbusTwinServerOptions } from './server.ts';

export interface SunSpecTwinOptions extends ModbusTwinServerOptions {
  /** Injectable clock, UTC epoch ms; tests step it. Defaults to Date.now. */
  now?: () => number;
  /** Where "SunS" sits: 40000 (default), 50000 or 0. */
  baseAddress?: number;
  serialNumber?: string;
}

/**
 * A SunSpec device served over Modbus TCP. Before every request the twin advances its physics to
 * the clock's time, so register values are always those of "now".
 */
export abstract class SunSpecTwin {
  readonly image: SunSpecRegisterImage;
  readonly server: ModbusTwinServer;
  protected readonly now: () => number;
  protected lastMs: number;

  protected constructor(
    models: SunSpecModelDef[],
    opts: SunSpecTwinOptions,
    identity: { md: string; sn: string },
  ) {
    this.now = opts.now ?? Date.now;
    this.lastMs = this.now();
    this.image = new SunSpecRegisterImage(opts.baseAddress ?? 40000, [model1, ...models]);
    this.image.setRaw(1, 'Mn', 'Bitgrid');
    this.image.setRaw(1, 'Md', identity.md);
    this.image.setRaw(1, 'Vr', '1.0.0');
    this.image.setRaw(1, 'SN', opts.serialNumber ?? identity.sn);
    this.image.setRaw(1, 'DA', opts.unitId ?? 1);
    this.image.validate = (w) => this.validateWrite(w);
    this.image.onWrite = (ws) => this.afterWrite(ws);
    this.server = new ModbusTwinServer(
      {
        read: (address, count) => {
          this.update();
          return this.image.read(address, count);
        },
        write: (address, values) => {
          this.update();
          this.image.write(address, values);
          this.refresh();
        },
      },
      opts,
    );
  }

  /** Binds the server (the same port again after stop()); returns the port. */
  start(): Promise<number> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  get port(): number {
    return this.server.port;
  }

  /** Advances the physics to the clock's time and rewrites the measured registers. */
  update(): void {
    const now = this.now();
    if (now > this.lastMs) this.advance(this.lastMs, now);
    this.lastMs = Math.max(this.lastMs, now);
    this.refresh();
  }

  /** Integrates the physics from `fromMs` to `toMs`. */
  protected abstract advance(fromMs: number, toMs: number): void;
  /** Writes the present state into the registers. */
  protected abstract refresh(): void;
  /** Returns an exception code to refuse a written value; generic checks already ran. */
  protected validateWrite(_w: PointWrite): number | undefined {
    return undefined;
  }
  protected afterWrite(_ws: PointWrite[]): void {}

  protected static outside(v: number | undefined, lo: number, hi: number): number | undefined {
    return v === undefined || v < lo || v > hi ? ILLEGAL_DATA_VALUE : undefined;
  }
}

/** Smallest scale factor ≥ 0 that fits `maxAbs` into a 16-bit register of the given signedness. */
export function scaleFactorFor(maxAbs: number, signed: boolean): number {
  const limit = signed ? 0x7fff : 0xfffe;
  let sf = 0;
  while (Math.abs(maxAbs) / 10 ** sf > limit) sf++;
  return sf;
}
