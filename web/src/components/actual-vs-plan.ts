import { nowLine, timeAxis, timeTooltip, valueAxis } from '../charts.ts';
import { num, power } from '../format.ts';
import { SERIES_COLOR } from './chart-theme.ts';

// One asset's measured power up to now against the plan in force on to `toMs`, in kW: the grid
// outlook and a data center's card draw the same chart.

export interface ActualVsPlan {
  wall: (ms: number) => number;
  fromMs: number;
  toMs: number;
  nowMs: number;
  actual: Array<{ time: string; value: number }>;
  /** planPoints() of the asset, already on the wall clock. */
  plan: number[][];
  labels: { actual: string; plan: string; now: string };
  grid: Record<string, number | boolean>;
  /** Shade the area under the measured line. */
  area?: boolean;
}

export function actualVsPlanOption(o: ActualVsPlan) {
  return {
    useUTC: true,
    legend: { top: 0 },
    grid: o.grid,
    tooltip: timeTooltip((_, v) => power(v)),
    xAxis: timeAxis(o.wall(o.fromMs), o.wall(o.toMs)),
    yAxis: valueAxis('kW', (v: number) => num(v, 0)),
    series: [
      {
        id: 'actual',
        name: o.labels.actual,
        type: 'line',
        showSymbol: false,
        data: o.actual.map((x) => [o.wall(Date.parse(x.time)), x.value]),
        lineStyle: { color: SERIES_COLOR.actual, width: 2 },
        itemStyle: { color: SERIES_COLOR.actual },
        ...(o.area ? { areaStyle: { color: SERIES_COLOR.actual, opacity: 0.1 } } : {}),
        markLine: nowLine(o.wall(o.nowMs), o.labels.now),
      },
      {
        id: 'plan',
        name: o.labels.plan,
        type: 'line',
        step: 'start',
        showSymbol: false,
        data: o.plan,
        lineStyle: { color: SERIES_COLOR.plan, width: 1.5 },
        itemStyle: { color: SERIES_COLOR.plan },
      },
    ],
  };
}
