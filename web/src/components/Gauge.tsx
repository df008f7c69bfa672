// A ring showing a share 0–1, with the figure inside.
const R = 34;
const C = 2 * Math.PI * R;

export function Ring({ fraction, label, testId }: { fraction: number; label: string; testId?: string }) {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  return (
    <svg viewBox="0 0 90 90" className="ring" data-testid={testId}>
      <circle cx={45} cy={45} r={R} className="ring-bg" />
      {f > 0 && (
        <circle
          cx={45}
          cy={45}
          r={R}
          className="ring-fg"
          strokeDasharray={`${C * f} ${C}`}
          transform="rotate(-90 45 45)"
        />
      )}
      <text x={45} y={50}>
        {label}
      </text>
    </svg>
  );
}

/** A horizontal bar of `value` against `limit` (e.g. this month's peak against the billing demand). */
export function Meter({ value, limit, testId }: { value: number; limit: number; testId?: string }) {
  const f = limit > 0 ? value / limit : 0;
  return (
    <div className="meter" data-testid={testId}>
      <div
        className={`meter-fill ${f > 1 ? 'over' : f > 0.9 ? 'near' : ''}`}
        style={{ width: `${Math.min(100, f * 100)}%` }}
      />
    </div>
  );
}
