/**
 * Plain JSON data from anything JSON.stringify accepts: drops undefined, turns NaN and ±Infinity into
 * null, typed arrays into arrays. The store refuses the former outright; a KPI that came out NaN
 * should not lose the whole result.
 */
export function jsonSafe(v: unknown): unknown {
  return v === undefined
    ? null
    : JSON.parse(
        JSON.stringify(v, (_k, x) =>
          ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x,
        ),
      );
}
