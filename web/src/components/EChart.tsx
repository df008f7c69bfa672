import { useEffect, useRef } from 'react';
import type { EChartsCoreOption } from 'echarts/core';
import { useTheme } from '../theme.ts';

// ECharts, loaded on first use as its own chunk (see echarts-setup.ts), in the page's theme. Updates
// replace the option without animation: a chart that redraws every few seconds must not replay its
// entry animation (a half-drawn line reads as a wrong value). The newest option is kept in a ref so
// data that arrives while the library is still loading is drawn as soon as it is there.

let loader: Promise<typeof import('./echarts-setup.ts')> | null = null;
function loadEcharts() {
  loader ??= import('./echarts-setup.ts');
  return loader;
}

interface Chart {
  setOption(o: EChartsCoreOption, notMerge?: boolean): void;
  dispose(): void;
  resize(): void;
}

const withDefaults = (o: EChartsCoreOption): EChartsCoreOption => ({
  animation: false,
  backgroundColor: 'transparent',
  ...o,
});

/** Points per named series, for the page (and its tests) to tell an empty series from a drawn one. */
function pointCounts(o: EChartsCoreOption): string {
  const series = (Array.isArray(o.series) ? o.series : o.series ? [o.series] : []) as {
    name?: string;
    id?: string;
    data?: unknown[];
  }[];
  return series
    .map((s) => {
      const n = (s.data ?? []).filter((d) => {
        const v = Array.isArray(d) ? d[d.length - 1] : d;
        return v !== null && v !== undefined && v !== '-';
      }).length;
      return `${s.id ?? s.name ?? '?'}:${n}`;
    })
    .join(';');
}

export function EChart({
  option,
  height = 320,
  testId,
}: {
  option: EChartsCoreOption;
  height?: number;
  testId?: string;
}) {
  const theme = useTheme((s) => s.theme);
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<Chart | null>(null);
  const latest = useRef(option);
  latest.current = option;

  // (Re)created with the theme: ECharts themes apply at init only.
  useEffect(() => {
    let dead = false;
    let ro: ResizeObserver | undefined;
    void loadEcharts().then((ec) => {
      const el = ref.current;
      if (dead || !el) return;
      const c = ec.init(el, theme === 'dark' ? 'bitgrid-dark' : 'bitgrid-light', { renderer: 'svg' });
      c.setOption(withDefaults(latest.current), true);
      chart.current = c;
      ro = new ResizeObserver(() => c.resize());
      ro.observe(el);
    });
    return () => {
      dead = true;
      ro?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, [theme]);

  useEffect(() => {
    chart.current?.setOption(withDefaults(option), true);
  }, [option]);

  return (
    <div
      ref={ref}
      style={{ height }}
      className="echart"
      data-testid={testId}
      data-points={pointCounts(option)}
    />
  );
}
