// Only the ECharts parts the dashboard draws, so the lazy chunk stays small. The SVG renderer: sharp
// at any pixel ratio, and its text is in the page (axis units and dates can be read and tested).
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import {
  DataZoomInsideComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { init, registerTheme, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { CHART_THEMES } from './chart-theme.ts';

use([
  BarChart,
  HeatmapChart,
  LineChart,
  DataZoomInsideComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  TooltipComponent,
  VisualMapComponent,
  SVGRenderer,
]);

for (const [name, theme] of Object.entries(CHART_THEMES)) registerTheme(name, theme);

export { init };
