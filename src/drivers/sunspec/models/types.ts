// Types of the SunSpec register-map data tables (models.generated.ts).

export type SunSpecPointType =
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'uint64'
  | 'int64'
  | 'acc16'
  | 'acc32'
  | 'acc64'
  | 'enum16'
  | 'enum32'
  | 'bitfield16'
  | 'bitfield32'
  | 'bitfield64'
  | 'sunssf'
  | 'count'
  | 'float32'
  | 'string'
  | 'pad';

export interface SunSpecPointDef {
  /** Point name; points inside a (non-repeating) group are named `Group.Point`. */
  readonly name: string;
  /** Register offset from the model's ID register (ID = 0, L = 1). */
  readonly offset: number;
  /** Size in 16-bit registers. */
  readonly size: number;
  readonly type: SunSpecPointType;
  readonly units?: string;
  /** Name of the scale-factor point (in the same model) applied as value × 10^sf. */
  readonly sf?: string;
  readonly access: 'R' | 'RW';
  readonly mandatory: boolean;
  readonly static: boolean;
  /** Enumeration values or bit numbers, by symbol name. */
  readonly symbols?: Readonly<Record<string, number>>;
  readonly label?: string;
}

export interface SunSpecModelDef {
  readonly id: number;
  readonly name: string;
  readonly label: string;
  /** Model length L as the spec defines it (registers after ID and L). */
  readonly length: number;
  readonly points: readonly SunSpecPointDef[];
}
