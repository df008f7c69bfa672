import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

// uPlot in a React box: rebuilt when the data or series change, resized with its container.
// Dragging across the plot zooms in; a double click zooms back out (uPlot's own cursor handling).

export function UPlotChart({
  data,
  series,
  bands,
  height = 320,
  testId,
}: {
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  bands?: uPlot.Band[];
  height?: number;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const dark = document.documentElement.dataset.theme === 'dark';
    const axis = { stroke: dark ? '#b8c2cc' : '#44505c', grid: { stroke: dark ? '#2a3440' : '#e4e8ec' } };
    const plot = new uPlot(
      {
        width: el.clientWidth || 800,
        height,
        series: [{}, ...series],
        bands,
        axes: [axis, { ...axis, size: 70 }],
        scales: { x: { time: true } },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Asia/Seoul'),
        legend: { live: true },
      },
      data,
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [data, series, bands, height]);
  return <div ref={ref} className="uplot-box" data-testid={testId} />;
}
