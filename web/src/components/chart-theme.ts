// One look for every chart, in the page's light and dark colours (styles.css). Series colours are
// named by what they show so each view uses the same colour for the same thing.

export const SERIES_COLOR = {
  // Mid-tone blue: readable on the light and the dark card.
  actual: '#2f80c8',
  forecast: '#e07b00',
  plan: '#2e8b57',
  soc: '#8e44ad',
  limit: '#c62828',
  bar: '#2c7fb8',
} as const;

const FONT = "'Noto Sans KR', 'Noto Sans CJK KR', system-ui, sans-serif";

function theme(fg: string, muted: string, line: string, tooltipBg: string) {
  const axis = {
    axisLine: { lineStyle: { color: muted } },
    axisTick: { lineStyle: { color: muted } },
    axisLabel: { color: muted, fontSize: 12 },
    splitLine: { lineStyle: { color: line } },
    nameTextStyle: { color: muted, fontSize: 12 },
  };
  return {
    color: Object.values(SERIES_COLOR),
    backgroundColor: 'transparent',
    textStyle: { fontFamily: FONT, color: fg },
    legend: { textStyle: { color: fg, fontSize: 12 } },
    tooltip: {
      backgroundColor: tooltipBg,
      borderColor: line,
      textStyle: { color: fg, fontSize: 12 },
    },
    categoryAxis: axis,
    valueAxis: axis,
    timeAxis: axis,
  };
}

export const CHART_THEMES = {
  'bitgrid-light': theme('#17212b', '#5b6875', '#e4e8ec', '#ffffff'),
  'bitgrid-dark': theme('#e6edf3', '#9aa7b4', '#2a3642', '#18222c'),
};
