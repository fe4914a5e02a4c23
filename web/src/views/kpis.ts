// U4SSC KPIs (docs/kpi.md) of one city and period, from GET /kpi/v1/assessment: the overview by
// dimension with status against the city's targets, the KPI table with trends, the SDG view,
// data completeness, and the self-assessment report (GET /kpi/v1/report, HTML or PDF) with a
// progress indicator while the server produces it and the browser receives it.
import { NGSI, ApiError, apiGet, authHeaders } from '../api';
import { append, announce, h } from '../dom';
import { formatValue, language, languages, t } from '../i18n';
import type { MessageKey } from '../locales/en';
import { navigate, type View } from '../navigation';

type Trend = { period: string; value: number };
type Kpi = {
  code: string; name: string; dimension: string; subDimension?: string; coreOrAdvanced?: string;
  value?: number | null; unit?: string; sdg?: string[]; target?: { value: number; year: number } | null;
  status: string; statusExplanation?: string; trend?: Trend[]; changePercent?: number | null;
  trendDirection?: string; missingInputs?: string[];
};
type Summary = {
  dimension: string; kpis: number; withValue: number; completeness: number; core: number;
  coreWithValue: number; byStatus: Record<string, number>;
};
type Assessment = { city: string; period: string; summary: Summary; dimensions: Summary[]; kpis: Kpi[] };

const STATUSES = ['onTrack', 'offTrack', 'noStatus', 'noData'] as const;
const statusKey: Record<string, MessageKey> = {
  onTrack: 'kpiOnTrack', offTrack: 'kpiOffTrack', noStatus: 'kpiNoStatus', noData: 'kpiNoData',
};
const dimensionKey: Record<string, MessageKey> = {
  Economy: 'dimEconomy', Environment: 'dimEnvironment', 'Society and Culture': 'dimSociety', all: 'dimAll',
};
const trendKey: Record<string, MessageKey> = {
  improving: 'trendImproving', worsening: 'trendWorsening', stable: 'trendStable', notAssessed: 'trendNotAssessed',
};
const label = (keys: Record<string, MessageKey>, value: string) => (keys[value] ? t(keys[value]) : value);
const percent = (share: number) => new Intl.NumberFormat(language(), { style: 'percent', maximumFractionDigits: 0 }).format(share);
const number = (value: number) => new Intl.NumberFormat(language(), { maximumFractionDigits: 2 }).format(value);

export function renderKpis(container: HTMLElement, params: URLSearchParams): View {
  const city = h('input', { id: 'kpi-city', type: 'text', required: true, dir: 'ltr', list: 'kpi-cities', value: params.get('city') ?? '' });
  const period = h('input', { id: 'kpi-period', type: 'text', required: true, dir: 'ltr', list: 'kpi-periods', value: params.get('period') ?? '' });
  const cities = h('datalist', { id: 'kpi-cities' });
  const periods = h('datalist', { id: 'kpi-periods' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': t('kpiChoose') },
    h('div', { class: 'field' }, h('label', { for: 'kpi-city' }, t('kpiCity')), city, cities),
    h('div', { class: 'field' }, h('label', { for: 'kpi-period' }, t('kpiPeriod')), period, periods),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('show'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`/kpis?${new URLSearchParams({ city: city.value.trim(), period: period.value.trim() })}`);
  });
  const body = h('div', { class: 'kpi-body' });
  append(container, h('h1', { tabindex: -1 }, t('kpisTitle')), form, body);

  void (async () => {
    try {
      // Which cities and periods have results: one page of the result entities (docs/kpi.md).
      const { body: known } = await apiGet<Array<{ area?: string; period?: string }>>(`${NGSI}/entities`,
        { type: 'KeyPerformanceIndicator', attrs: 'area,period', options: 'keyValues', limit: 1000 });
      const cityNames = [...new Set(known.map((k) => k.area).filter(Boolean) as string[])].sort();
      const periodNames = [...new Set(known.map((k) => k.period).filter(Boolean) as string[])].sort();
      cities.replaceChildren(...cityNames.map((value) => h('option', { value })));
      periods.replaceChildren(...periodNames.map((value) => h('option', { value })));
      if (!params.get('city') || !params.get('period')) {
        if (cityNames.length === 0) {
          body.replaceChildren(h('p', {}, t('kpiNone')));
          return;
        }
        city.value ||= cityNames[0];
        period.value ||= periodNames[periodNames.length - 1];
      }
      body.replaceChildren(h('p', {}, t('loading')));
      const { body: assessment } = await apiGet<Assessment>('/kpi/v1/assessment', { city: city.value, period: period.value });
      body.replaceChildren(...renderAssessment(assessment));
      body.dataset.state = 'ready';
    } catch (error) {
      body.replaceChildren(h('p', { role: 'alert', class: 'error' }, t('error', { message: (error as Error).message })));
    }
  })();
  return {};
}

function renderAssessment(a: Assessment): HTMLElement[] {
  const sections: Array<[string, MessageKey, HTMLElement[]]> = [
    ['kpi-overview', 'kpiOverview', overview(a)],
    ['kpi-table', 'kpiTable', kpiTable(a.kpis)],
    ['kpi-sdg', 'kpiSdg', sdgView(a.kpis)],
    ['kpi-completeness', 'kpiCompleteness', completeness(a)],
    ['kpi-report', 'kpiReport', reportForm(a)],
  ];
  const contents = h('nav', { class: 'in-page', 'aria-label': t('kpiSections') },
    h('ul', {}, ...sections.map(([id, key]) => h('li', {}, h('a', { href: `#${id}` }, t(key))))));
  return [contents, ...sections.map(([id, key, children]) =>
    h('section', { id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, t(key)), ...children))];
}

// One bar of the four status counts (text beside it: the bar itself is decorative).
function statusBar(summary: Summary): HTMLElement {
  const bar = h('div', { class: 'status-bar', 'aria-hidden': 'true' });
  for (const status of STATUSES) {
    const count = summary.byStatus[status] ?? 0;
    if (count > 0) bar.append(h('span', { class: `status-${status}`, style: `flex-grow:${count}` }));
  }
  return bar;
}

function overview(a: Assessment): HTMLElement[] {
  const card = (s: Summary) => h('article', { class: 'dimension-card', 'data-dimension': s.dimension },
    h('h3', {}, label(dimensionKey, s.dimension)),
    h('p', { class: 'big' }, t('kpiWithValue', { count: s.withValue, total: s.kpis })),
    statusBar(s),
    h('ul', { class: 'status-counts' }, ...STATUSES.map((status) =>
      h('li', {}, h('span', { class: `dot status-${status}`, 'aria-hidden': 'true' }), `${label(statusKey, status)}: ${formatValue(s.byStatus[status] ?? 0)}`))));
  return [h('p', {}, t('kpiFor', { city: a.city, period: a.period })),
    h('div', { class: 'dimension-cards' }, ...a.dimensions.map(card), card(a.summary))];
}

function sparkline(trend: Trend[], target?: number): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 80 24');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('aria-hidden', 'true');
  const values = trend.map((p) => p.value).concat(target !== undefined ? [target] : []);
  const min = Math.min(...values);
  const span = Math.max(...values) - min || 1;
  const y = (v: number) => 22 - ((v - min) / span) * 20;
  const x = (i: number) => (trend.length === 1 ? 40 : 2 + (i * 76) / (trend.length - 1));
  if (target !== undefined) {
    const line = document.createElementNS(ns, 'line');
    Object.entries({ x1: 0, x2: 80, y1: y(target), y2: y(target), class: 'target' }).forEach(([k, v]) => line.setAttribute(k, String(v)));
    svg.append(line);
  }
  const path = document.createElementNS(ns, 'polyline');
  path.setAttribute('points', trend.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' '));
  svg.append(path);
  return svg;
}

function kpiRow(k: Kpi): HTMLTableRowElement {
  const trend = k.trend ?? [];
  const change = k.changePercent != null ? ` (${k.changePercent > 0 ? '+' : ''}${number(k.changePercent)} %)` : '';
  return h('tr', { 'data-code': k.code, 'data-dimension': k.dimension },
    h('th', { scope: 'row', dir: 'ltr' }, k.code),
    h('td', {}, k.name),
    h('td', { class: 'number' }, k.value != null ? number(k.value) : '—'),
    h('td', {}, k.unit ?? ''),
    h('td', { class: 'number' }, k.target ? `${number(k.target.value)} (${k.target.year})` : ''),
    h('td', { 'data-status': k.status, title: k.statusExplanation ?? '' },
      h('span', { class: `dot status-${k.status}`, 'aria-hidden': 'true' }), label(statusKey, k.status)),
    h('td', { class: 'trend' }, trend.length > 1 ? sparkline(trend, k.target?.value) : null,
      `${k.trendDirection ? label(trendKey, k.trendDirection) : ''}${change}`));
}

function kpiTable(kpis: Kpi[]): HTMLElement[] {
  const dimension = h('select', { id: 'kpi-dimension' }, h('option', { value: '' }, t('dimAll')),
    ...['Economy', 'Environment', 'Society and Culture'].map((d) => h('option', { value: d }, label(dimensionKey, d))));
  const caption = h('caption', {});
  const tbody = h('tbody', {});
  const columns = [t('kpiCode'), t('kpiName'), t('value'), t('unit'), t('kpiTarget'), t('status'), t('kpiTrend')];
  const show = () => {
    const shown = kpis.filter((k) => !dimension.value || k.dimension === dimension.value);
    caption.textContent = t('kpiCount', { count: shown.length });
    tbody.replaceChildren(...shown.map(kpiRow));
  };
  dimension.addEventListener('change', show);
  show();
  return [h('div', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'kpi-dimension' }, t('kpiDimension')), dimension)),
    h('div', { class: 'table-scroll' }, h('table', { class: 'kpis' }, caption,
      h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))), tbody))];
}

function sdgView(kpis: Kpi[]): HTMLElement[] {
  const goals = new Map<number, Kpi[]>();
  for (const k of kpis) {
    for (const goal of new Set((k.sdg ?? []).map((ref) => Number.parseInt(ref, 10)).filter(Number.isFinite))) {
      goals.set(goal, [...(goals.get(goal) ?? []), k]);
    }
  }
  const columns = [t('sdgGoal'), t('kpiKpis'), ...STATUSES.map((s) => label(statusKey, s))];
  return [h('table', { class: 'sdg' }, h('caption', {}, t('sdgCaption')),
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...[...goals].sort((x, y) => x[0] - y[0]).map(([goal, list]) => h('tr', { 'data-goal': goal },
      h('th', { scope: 'row' }, t('sdgNumber', { goal })),
      h('td', { class: 'number', title: list.map((k) => k.code).join(', ') }, formatValue(list.length)),
      ...STATUSES.map((s) => h('td', { class: 'number' }, formatValue(list.filter((k) => k.status === s).length)))))))];
}

function completeness(a: Assessment): HTMLElement[] {
  const meter = (s: Summary) => h('li', {},
    h('label', { for: `complete-${s.dimension.replace(/\W/g, '')}` }, `${label(dimensionKey, s.dimension)}: ${percent(s.completeness)}`),
    h('progress', { id: `complete-${s.dimension.replace(/\W/g, '')}`, max: 1, value: s.completeness }, percent(s.completeness)));
  const missing = a.kpis.filter((k) => k.value == null);
  return [
    h('ul', { class: 'meters' }, ...a.dimensions.map(meter), meter(a.summary)),
    h('p', {}, t('coreWithValue', { count: a.summary.coreWithValue, total: a.summary.core })),
    h('details', {}, h('summary', {}, t('kpiMissing', { count: missing.length })),
      h('ul', { class: 'missing' }, ...missing.map((k) => h('li', {}, h('span', { dir: 'ltr' }, k.code), ` ${k.name}`,
        k.missingInputs?.length ? h('span', { class: 'help' }, ` — ${t('missingInputs')}: `, h('span', { dir: 'ltr' }, k.missingInputs.join(', '))) : '')))),
  ];
}

function reportForm(a: Assessment): HTMLElement[] {
  const format = h('select', { id: 'report-format' }, h('option', { value: 'html' }, 'HTML'), h('option', { value: 'pdf' }, 'PDF'));
  const lang = h('select', { id: 'report-lang' }, ...languages.map((l) => h('option', { value: l.code, lang: l.code, selected: l.code === language() }, l.name)));
  const button = h('button', { type: 'submit', id: 'report-button' }, t('kpiProduce'));
  const progress = h('progress', { id: 'report-progress', hidden: true, 'aria-label': t('kpiProducing') });
  const result = h('p', { class: 'report-result', role: 'status' });
  const form = h('form', { class: 'filters', 'aria-labelledby': 'kpi-report-title' },
    h('div', { class: 'field' }, h('label', { for: 'report-format' }, t('reportFormat')), format),
    h('div', { class: 'field' }, h('label', { for: 'report-lang' }, t('language')), lang),
    h('div', { class: 'actions' }, button));
  let url: string | undefined;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    button.disabled = true;
    progress.hidden = false;
    progress.removeAttribute('value');  // indeterminate while the server writes it
    result.textContent = t('kpiProducing');
    if (url) URL.revokeObjectURL(url);
    void download(`/kpi/v1/report?${new URLSearchParams({ city: a.city, period: a.period, format: format.value, lang: lang.value })}`, progress)
      .then((blob) => {
        url = URL.createObjectURL(blob);
        const name = `kpi-report-${a.city}-${a.period}.${format.value}`;
        result.replaceChildren(t('kpiReady'), ' ', h('a', { href: url, download: name, id: 'report-link' }, name));
        announce(t('kpiReady'));
      })
      .catch((error: Error) => result.replaceChildren(h('span', { class: 'error' }, t('error', { message: error.message }))))
      .finally(() => {
        button.disabled = false;
        progress.hidden = true;
      });
  });
  return [form, progress, result];
}

// Reads the answer piece by piece so the bar shows how much has arrived (Content-Length known).
async function download(path: string, progress: HTMLProgressElement): Promise<Blob> {
  const response = await fetch(path, { headers: authHeaders() });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new ApiError(response.status, problem.detail || `${response.status} ${response.statusText}`);
  }
  const total = Number(response.headers.get('Content-Length') ?? 0);
  const reader = response.body?.getReader();
  if (!reader) return response.blob();
  const parts: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.length;
    if (total > 0) {
      progress.max = total;
      progress.value = received;
    }
  }
  return new Blob(parts as BlobPart[], { type: response.headers.get('Content-Type') ?? 'application/octet-stream' });
}
