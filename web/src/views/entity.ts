// One entity: every attribute with its unit and observedAt, relationships as links, and a
// history chart of a numeric attribute over a chosen time range, raw or aggregated by the
// temporal API (clause 6.18.3.2: options=temporalValues, or aggregatedValues with aggrMethods
// and aggrPeriodDuration, clause 4.5.19).
import { NGSI, apiGet, entityPath } from '../api';
import { append, h } from '../dom';
import { t } from '../i18n';
import { flash, openLive, type LiveConnection } from '../live';
import type { View } from '../navigation';
import { attributeRows, latestObservation, type AttributeRow, type NgsiEntity } from './attributes';

const WEEK_MS = 7 * 24 * 3600 * 1000;

// <input type="datetime-local"> works in local time without a zone; the console shows UTC.
function toInput(date: Date): string {
  return date.toISOString().slice(0, 16);
}
function fromInput(value: string): string {
  return new Date(`${value}:00Z`).toISOString();
}

export function renderEntity(container: HTMLElement, id: string): View {
  const heading = h('h1', { tabindex: -1 }, `${t('entityTitle')}: ${id}`);
  const body = h('div', {}, h('p', {}, t('loading')));
  append(container, heading, body);
  let disposeChart: (() => void) | undefined;
  let live: LiveConnection | undefined;

  void (async () => {
    try {
      const { body: entity } = await apiGet<NgsiEntity>(entityPath(id));
      heading.textContent = `${entity.type}: ${id}`;
      document.title = `${heading.textContent} · CityTwin`;
      const rows = attributeRows(entity);
      const table = h('table', { class: 'attributes' },
        h('caption', {}, t('attributes')),
        h('thead', {}, h('tr', {}, ...[t('attribute'), t('value'), t('unit'), t('observedAt')].map((label) => h('th', { scope: 'col' }, label)))),
        h('tbody', {}, ...rows.map(attributeRow)));
      const numeric = [...new Set(rows.filter((row) => row.numeric).map((row) => row.name))];
      const history = h('section', { class: 'history', 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, t('history')));
      if (numeric.length === 0) history.append(h('p', {}, t('noNumeric')));
      else disposeChart = historyForm(history, id, numeric, latestObservation(entity) ?? new Date());
      body.replaceChildren(table, history);
      // Live: each change of this entity updates its rows where they are (no reload).
      live = openLive({ ids: [id] }, {
        update: (changed) => updateRows(table.tBodies[0], attributeRows(changed)),
        resync: () => void apiGet<NgsiEntity>(entityPath(id)).then(({ body: again }) =>
          updateRows(table.tBodies[0], attributeRows(again))),
      });
    } catch (error) {
      body.replaceChildren(h('p', { role: 'alert', class: 'error' }, t('error', { message: (error as Error).message })));
    }
  })();
  return {
    dispose: () => {
      disposeChart?.();
      live?.close();
    },
  };
}

function rowKey(row: AttributeRow): string {
  return `${row.name}\u001f${row.datasetId}`;
}

function attributeRow(row: AttributeRow): HTMLTableRowElement {
  return h('tr', { 'data-attribute': row.name, 'data-key': rowKey(row) },
    h('th', { scope: 'row' }, row.name, row.kind === 'relationship' ? h('span', { class: 'badge' }, t('relationship')) : null),
    h('td', { class: 'value' }, row.valueNode()),
    h('td', {}, row.unit),
    h('td', {}, row.observedAt));
}

// Replaces the cells whose text changed and adds rows for new attributes; a changed row is
// marked for a moment.
function updateRows(tbody: HTMLTableSectionElement, rows: AttributeRow[]): void {
  const existing = new Map([...tbody.rows].map((tr) => [tr.dataset.key ?? '', tr]));
  for (const row of rows) {
    const fresh = attributeRow(row);
    const current = existing.get(rowKey(row));
    if (!current) {
      tbody.append(fresh);
      flash(fresh);
      continue;
    }
    let changed = false;
    for (let cell = 1; cell < fresh.cells.length; cell += 1) {
      if (current.cells[cell].textContent !== fresh.cells[cell].textContent) {
        current.cells[cell].replaceChildren(...fresh.cells[cell].childNodes);
        changed = true;
      }
    }
    if (changed) flash(current);
  }
}

type TemporalAttribute = { values?: Array<[number, string]> } & Record<string, unknown>;

function historyForm(section: HTMLElement, id: string, attributes: string[], end: Date): () => void {
  const attribute = h('select', { id: 'history-attribute' }, ...attributes.map((name) => h('option', { value: name }, name)));
  const from = h('input', { id: 'history-from', type: 'datetime-local', value: toInput(new Date(end.getTime() - WEEK_MS)) });
  const to = h('input', { id: 'history-to', type: 'datetime-local', value: toInput(new Date(end.getTime() + 60_000)) });
  const method = h('select', { id: 'history-aggregation' },
    h('option', { value: '' }, t('aggrNone')), h('option', { value: 'avg' }, t('aggrAvg')),
    h('option', { value: 'min' }, t('aggrMin')), h('option', { value: 'max' }, t('aggrMax')),
    h('option', { value: 'sum' }, t('aggrSum')));
  const period = h('select', { id: 'history-period' },
    h('option', { value: 'PT1H' }, t('periodHour')), h('option', { value: 'P1D', selected: true }, t('periodDay')),
    h('option', { value: 'P7D' }, t('periodWeek')));
  const field = (forId: string, label: string, control: HTMLElement) => h('div', { class: 'field' }, h('label', { for: forId }, label), control);
  const form = h('form', { class: 'filters history-form' },
    field('history-attribute', t('historyAttribute'), attribute),
    field('history-from', `${t('from')} (UTC)`, from),
    field('history-to', `${t('to')} (UTC)`, to),
    field('history-aggregation', t('aggregation'), method),
    field('history-period', t('period'), period),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('show'))));
  const figure = h('figure', { class: 'chart' });
  section.append(form, figure);
  let dispose: (() => void) | undefined;

  const show = async () => {
    dispose?.();
    dispose = undefined;
    figure.replaceChildren(h('p', {}, t('loading')));
    figure.dataset.state = 'loading';
    const name = attribute.value;
    const aggregated = method.value !== '';
    try {
      const { body, status, headers } = await apiGet<Record<string, TemporalAttribute | TemporalAttribute[]>>(
        `${NGSI}/temporal/entities/${encodeURIComponent(id)}`, {
          attrs: name, timerel: 'between', timeAt: fromInput(from.value), endTimeAt: fromInput(to.value),
          options: aggregated ? 'aggregatedValues' : 'temporalValues',
          aggrMethods: aggregated ? method.value : undefined,
          aggrPeriodDuration: aggregated ? period.value : undefined,
        });
      const raw = body[name];
      const series = (Array.isArray(raw) ? raw[0] : raw) as TemporalAttribute | undefined;
      // temporalValues: [value, time]; aggregatedValues: [value, periodStart, periodEnd].
      const pairs = ((aggregated ? series?.[method.value] : series?.values) ?? []) as Array<[unknown, string]>;
      const points = pairs
        .filter((pair) => typeof pair[0] === 'number')
        .map((pair) => [Date.parse(pair[1]) / 1000, pair[0] as number] as [number, number])
        .sort((a, b) => a[0] - b[0]);
      if (points.length === 0) {
        figure.replaceChildren(h('p', {}, t('noHistory')));
        figure.dataset.state = 'empty';
        return;
      }
      const { drawChart } = await import('../chart');
      const label = aggregated ? `${name} (${method.selectedOptions[0].textContent})` : name;
      dispose = drawChart(figure, label, points);
      // 206: the history was longer than one answer holds (clause 6.3.10, Content-Range).
      if (status === 206) {
        const range = (headers.get('Content-Range') ?? '').replace(/^date-time\s+/, '').replace(/\/\*$/, '');
        figure.append(h('p', { class: 'help', role: 'note' }, t('partialHistory', { range })));
      }
      figure.dataset.state = 'ready';
      figure.dataset.points = String(points.length);
    } catch (error) {
      figure.replaceChildren(h('p', { role: 'alert', class: 'error' }, t('error', { message: (error as Error).message })));
      figure.dataset.state = 'error';
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void show();
  });
  void show();
  return () => dispose?.();
}
