import { useTranslation } from 'react-i18next';
import type { LiveState } from '../api.ts';
import { assetPowerKw } from '../live.ts';
import { pct, power } from '../format.ts';

// Power flows between the grid, the district's sources (PV, battery) and its consumers (one node
// per site's loads), drawn as lines into a common bus. Line width follows the power (square root, so
// small flows stay visible), the dashes move in the direction of flow, faster when more flows.

/** Widest line, px in the 800-wide drawing; the thinnest is MIN_WIDTH. */
const MAX_WIDTH = 14;
const MIN_WIDTH = 1.5;
/** Dash animation period at full and at zero power, seconds. */
const FAST_S = 0.5;
const SLOW_S = 3;

export interface FlowNode {
  id: string;
  /** i18n key, or a literal label for sites the dictionary does not know. */
  label: string;
  kind: 'grid' | 'source' | 'load';
  /** + means into the bus for grid/sources, out of the bus for loads. */
  powerKw: number;
  /** State of charge 0–1, for storage. */
  soc?: number;
}

/** Groups the snapshot into diagram nodes: grid, PV and battery by type, the rest by site. */
export function flowNodes(s: LiveState, siteLabel: (id: string, name: string) => string): FlowNode[] {
  let pv = 0;
  let battery = 0;
  let hasBattery = false;
  let storedKwh = 0;
  let capacityKwh = 0;
  const bySite = new Map<string, number>();
  for (const a of Object.values(s.assets)) {
    const p = assetPowerKw(a);
    if (a.type === 'pv') pv += p;
    else if (a.type === 'battery') {
      battery += p;
      hasBattery = true;
      // Several batteries: the SoC of their total, weighted by capacity.
      const soc = a.measurements.soc_fraction?.value;
      const cap = a.measurements.capacity_kwh?.value ?? 1;
      if (soc !== undefined) {
        storedKwh += soc * cap;
        capacityKwh += cap;
      }
    } else bySite.set(a.siteId, (bySite.get(a.siteId) ?? 0) + p);
  }
  const nodes: FlowNode[] = [
    { id: 'grid', label: 'flow.grid', kind: 'grid', powerKw: s.grid.importKw - s.grid.exportKw },
    { id: 'pv', label: 'flow.pv', kind: 'source', powerKw: pv },
  ];
  if (hasBattery)
    nodes.push({
      id: 'battery',
      label: 'flow.battery',
      kind: 'source',
      powerKw: battery,
      soc: capacityKwh > 0 ? storedKwh / capacityKwh : undefined,
    });
  for (const [siteId, p] of bySite)
    nodes.push({
      id: siteId,
      label: siteLabel(siteId, s.sites[siteId]?.name ?? siteId),
      kind: 'load',
      powerKw: p,
    });
  return nodes;
}

/** Two drawings: wide (grid on top, sources left, loads right) and a tall narrow one for phones,
 * drawn near 1:1 on a phone so its labels stay at the page's text size. */
const LAYOUTS = {
  wide: { w: 800, h: 440, nodeW: 156, gridY: 48, sideX: 110, sourceTop: 150, loadTop: 60, bottomPad: 50 },
  compact: { w: 360, h: 620, nodeW: 150, gridY: 42, sideX: 88, sourceTop: 220, loadTop: 130, bottomPad: 50 },
} as const;
type Layout = (typeof LAYOUTS)[keyof typeof LAYOUTS];
const NODE_H = 60;

/** Grid on top, sources in a column on the left, loads in a column on the right: no overlaps. */
function position(L: Layout, kind: FlowNode['kind'], i: number, n: number) {
  if (kind === 'grid') return { x: L.w / 2, y: L.gridY };
  const x = kind === 'source' ? L.sideX : L.w - L.sideX;
  const top = kind === 'source' ? L.sourceTop : L.loadTop;
  const bottom = L.h - L.bottomPad;
  return { x, y: n === 1 ? (top + bottom) / 2 : top + (i * (bottom - top)) / (n - 1) };
}

const ICON: Record<string, string> = { grid: '⚡', pv: '☀', battery: '🔋' };

export function FlowDiagram({ nodes, compact = false }: { nodes: FlowNode[]; compact?: boolean }) {
  const { t } = useTranslation();
  const L = compact ? LAYOUTS.compact : LAYOUTS.wide;
  const HUB = { x: L.w / 2, y: compact ? L.h / 2 + L.gridY : L.h / 2 };
  const maxKw = Math.max(1, ...nodes.map((n) => Math.abs(n.powerKw)));
  const sources = nodes.filter((n) => n.kind === 'source');
  const loads = nodes.filter((n) => n.kind === 'load');
  const placed = nodes.map((n) => {
    const list = n.kind === 'source' ? sources : n.kind === 'load' ? loads : [n];
    return { n, ...position(L, n.kind, list.indexOf(n), list.length) };
  });
  return (
    <svg
      viewBox={`0 0 ${L.w} ${L.h}`}
      className={`flow ${compact ? 'compact' : ''}`}
      role="img"
      aria-label={t('overview.flowTitle')}
      data-testid="flow-diagram"
    >
      {placed.map(({ n, x, y }) => {
        const share = Math.sqrt(Math.abs(n.powerKw) / maxKw);
        const width = MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * share;
        const idle = Math.abs(n.powerKw) < 0.5;
        // Drawn node → hub; flows toward the hub when a source/grid is positive or a load negative.
        const towardHub = n.kind === 'load' ? n.powerKw < 0 : n.powerKw > 0;
        const dur = SLOW_S - (SLOW_S - FAST_S) * share;
        return (
          <path
            key={`l-${n.id}`}
            d={`M ${x} ${y} L ${HUB.x} ${HUB.y}`}
            className={`flow-line ${n.kind} ${idle ? 'idle' : ''}`}
            strokeWidth={width}
            style={{ animationDuration: `${dur}s`, animationDirection: towardHub ? 'normal' : 'reverse' }}
            data-testid={`flow-line-${n.id}`}
          />
        );
      })}
      <circle cx={HUB.x} cy={HUB.y} r={16} className="hub" />
      {placed.map(({ n, x, y }) => (
        <g key={`n-${n.id}`} transform={`translate(${x} ${y})`} className={`flow-node ${n.kind}`}>
          <rect x={-L.nodeW / 2} y={-NODE_H / 2} width={L.nodeW} height={NODE_H} rx={10} />
          <text y={-8} className="label">
            {ICON[n.id] ?? (n.kind === 'load' ? '▣' : '')} {n.label.includes('.') ? t(n.label) : n.label}
          </text>
          <text y={16} className="value" data-testid={`flow-value-${n.id}`}>
            {power(n.powerKw)}
            {n.soc !== undefined && (
              <tspan className="soc" data-testid={`flow-soc-${n.id}`}>
                {' '}
                · {pct(n.soc, 0)}
              </tspan>
            )}
          </text>
        </g>
      ))}
    </svg>
  );
}
