import { useEffect, useRef } from 'react';
import type { EChartsCoreOption } from 'echarts/core';

// ECharts, loaded on first use as its own chunk (see echarts-setup.ts).
let loader: Promise<typeof import('./echarts-setup.ts')> | null = null;
function loadEcharts() {
  loader ??= import('./echarts-setup.ts');
  return loader;
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
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<{
    setOption(o: EChartsCoreOption, notMerge?: boolean): void;
    dispose(): void;
    resize(): void;
  } | null>(null);
  useEffect(() => {
    let dead = false;
    const onResize = () => chart.current?.resize();
    void loadEcharts().then((ec) => {
      if (dead || !ref.current) return;
      chart.current = ec.init(
        ref.current,
        document.documentElement.dataset.theme === 'dark' ? 'dark' : undefined,
        { renderer: 'canvas' },
      );
      chart.current.setOption({ backgroundColor: 'transparent', ...option }, true);
      addEventListener('resize', onResize);
    });
    return () => {
      dead = true;
      removeEventListener('resize', onResize);
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption({ backgroundColor: 'transparent', ...option }, true);
  }, [option]);
  return <div ref={ref} style={{ height }} className="echart" data-testid={testId} />;
}
