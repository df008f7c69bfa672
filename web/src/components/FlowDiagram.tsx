import { useTranslation } from 'react-i18next';
import type { LiveState } from '../api.ts';
import { assetPowerKw } from '../live.ts';
import { power } from '../format.ts';

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
}

/** Groups the snapshot into diagram nodes: grid, PV and battery by type, the rest by site. */
export function flowNodes(s: LiveState, siteLabel: (id: string, name: string) => string): FlowNode[] {
  let pv = 0;
  let battery = 0;
  let hasBattery = false;
  const bySite = new Map<string, number>();
  for (const a of Object.values(s.assets)) {
    const p = assetPowerKw(a);
    if (a.type === 'pv') pv += p;
    else if (a.type === 'battery') {
      battery += p;
      hasBattery = true;
    } else bySite.set(a.siteId, (bySite.get(a.siteId) ?? 0) + p);
  }
  const nodes: FlowNode[] = [
    { id: 'grid', label: 'flow.grid', kind: 'grid', powerKw: s.grid.importKw - s.grid.exportKw },
    { id: 'pv', label: 'flow.pv', kind: 'source', powerKw: pv },
  ];
  if (hasBattery) nodes.push({ id: 'battery', label: 'flow.battery', kind: 'source', powerKw: battery });
  for (const [siteId, p] of bySite)
    nodes.push({
      id: siteId,
      label: siteLabel(siteId, s.sites[siteId]?.name ?? siteId),
      kind: 'load',
      powerKw: p,
    });
  return nodes;
}

const W = 800;
const H = 440;
const HUB = { x: W / 2, y: H / 2 };

/** Grid on top, sources in a column on the left, loads in a column on the right: no overlaps. */
function position(kind: FlowNode['kind'], i: number, n: number) {
  if (kind === 'grid') return { x: W / 2, y: 48 };
  const x = kind === 'source' ? 110 : W - 110;
  const top = kind === 'source' ? 150 : 60;
  const bottom = H - 50;
  return { x, y: n === 1 ? (top + bottom) / 2 : top + (i * (bottom - top)) / (n - 1) };
}

const ICON: Record<string, string> = { grid: '⚡', pv: '☀', battery: '🔋' };

export function FlowDiagram({ nodes }: { nodes: FlowNode[] }) {
  const { t } = useTranslation();
  const maxKw = Math.max(1, ...nodes.map((n) => Math.abs(n.powerKw)));
  const sources = nodes.filter((n) => n.kind === 'source');
  const loads = nodes.filter((n) => n.kind === 'load');
  const placed = nodes.map((n) => {
    const list = n.kind === 'source' ? sources : n.kind === 'load' ? loads : [n];
    return { n, ...position(n.kind, list.indexOf(n), list.length) };
  });
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      className="flow"
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
          <rect x={-78} y={-30} width={156} height={60} rx={10} />
          <text y={-8} className="label">
            {ICON[n.id] ?? (n.kind === 'load' ? '▣' : '')} {n.label.includes('.') ? t(n.label) : n.label}
          </text>
          <text y={16} className="value" data-testid={`flow-value-${n.id}`}>
            {power(n.powerKw)}
          </text>
        </g>
      ))}
    </svg>
  );
}
