// The history chart (uPlot: small and fast on long series), with a text summary for screen
// readers since a canvas says nothing by itself.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom';
import { formatValue, t } from './i18n';

export function drawChart(figure: HTMLElement, label: string, points: Array<[number, number]>): () => void {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  const summary = t('chartSummary', { attribute: label, count: points.length, min: formatValue(min), max: formatValue(max) });
  const plotHost = h('div', { class: 'plot', role: 'img', 'aria-label': summary });
  const caption = h('figcaption', {}, summary);
  figure.replaceChildren(plotHost, caption);
  const width = Math.max(280, Math.min(figure.clientWidth || 720, 960));
  const plot = new uPlot(
    {
      width,
      height: 280,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      series: [{}, { label, stroke: '#1f63b4', width: 2, points: { show: points.length < 60 } }],
      axes: [{ stroke: '#333' }, { stroke: '#333' }],
      legend: { show: true },
    },
    [xs, ys],
    plotHost,
  );
  return () => plot.destroy();
}
