// Entities: filter by type and an NGSI-LD query (q, clause 4.9), paged with the result count.
import { NGSI, apiGet, entityTypes } from '../api';
import { append, h } from '../dom';
import { formatDateTime, formatValue, t } from '../i18n';
import { flash, openLive, type LiveConnection } from '../live';
import { navigate, type View } from '../navigation';
import { attributeRows, type NgsiEntity } from './attributes';

const PAGE = 20;

// The area filter: bbox=west,south,east,north (from the map's "list the entities in this
// area"), queried as georel=within a polygon (clause 4.10).
export function parseBbox(value: string | null): [number, number, number, number] | undefined {
  const numbers = (value ?? '').split(',').map(Number);
  if (numbers.length !== 4 || numbers.some((n) => !Number.isFinite(n))) return undefined;
  const [west, south, east, north] = numbers;
  return west < east && south < north ? [west, south, east, north] : undefined;
}

function areaParams(bbox: [number, number, number, number] | undefined) {
  if (!bbox) return {};
  const [west, south, east, north] = bbox;
  const ring = [[west, south], [east, south], [east, north], [west, north], [west, south]];
  return { georel: 'within', geometry: 'Polygon', coordinates: JSON.stringify([ring]) };
}

export function renderEntities(container: HTMLElement, params: URLSearchParams): View {
  const typeSelect = h('select', { id: 'filter-type', name: 'type' }, h('option', { value: '' }, t('anyType')));
  const q = h('input', { id: 'filter-q', name: 'q', type: 'text', value: params.get('q') ?? '', 'aria-describedby': 'filter-q-help', dir: 'ltr' });
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    h('div', { class: 'field' }, h('label', { for: 'filter-type' }, t('type')), typeSelect),
    h('div', { class: 'field grow' }, h('label', { for: 'filter-q' }, t('query')), q,
      h('p', { id: 'filter-q-help', class: 'help' }, t('queryHelp'))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('search'))),
  );
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const bbox = parseBbox(params.get('bbox'));
  const area = bbox
    ? h('p', { class: 'area-filter' }, `${t('area')}: `, h('span', { dir: 'ltr' }, bbox.map((n) => n.toFixed(4)).join(', ')), ' ',
      h('button', { type: 'button', class: 'secondary', onclick: () => {
        const next = new URLSearchParams(params);
        next.delete('bbox');
        next.delete('page');
        navigate(`/entities${next.toString() ? `?${next}` : ''}`);
      } }, t('removeArea')))
    : null;
  append(container, h('h1', { tabindex: -1 }, t('entitiesTitle')), form, area, results);

  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  let live: LiveConnection | undefined;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (typeSelect.value) next.set('type', typeSelect.value);
    if (q.value.trim()) next.set('q', q.value.trim());
    if (bbox) next.set('bbox', bbox.join(','));
    navigate(`/entities${next.toString() ? `?${next}` : ''}`);
  });

  void (async () => {
    try {
      const types = await entityTypes();
      for (const type of types) {
        typeSelect.appendChild(h('option', { value: type, selected: params.get('type') === type }, type));
      }
      // NGSI-LD needs a type, attrs, q or geo filter on a query: all types when none is chosen.
      const type = params.get('type') || types.join(',');
      if (!type) {
        results.replaceChildren(h('p', {}, t('noResults')));
        return;
      }
      results.replaceChildren(h('p', {}, t('loading')));
      const { body, headers } = await apiGet<NgsiEntity[]>(`${NGSI}/entities`, {
        type, q: params.get('q') ?? undefined, limit: PAGE, offset: (page - 1) * PAGE, count: 'true',
        options: 'sysAttrs', ...areaParams(bbox),
      });
      const total = Number(headers.get('NGSILD-Results-Count') ?? body.length);
      results.replaceChildren(...table(body, total, page, params));
      // Live: the page's entities keep their attribute count and last change current.
      if (body.length > 0) {
        live = openLive({ ids: body.map((entity) => entity.id) }, {
          update: (entity) => {
            const row = results.querySelector<HTMLTableRowElement>(`tr[data-entity-id="${CSS.escape(entity.id)}"]`);
            if (!row) return;
            row.replaceChildren(...entityRow(entity).childNodes);
            flash(row);
          },
        });
      }
    } catch (error) {
      results.replaceChildren(h('p', { role: 'alert', class: 'error' }, t('error', { message: (error as Error).message })));
    }
  })();
  return { dispose: () => live?.close() };
}

function entityRow(entity: NgsiEntity): HTMLTableRowElement {
  const modified = typeof entity.modifiedAt === 'string' ? formatDateTime(entity.modifiedAt) : '';
  return h('tr', { 'data-entity-id': entity.id },
    h('td', {}, h('a', { href: `/entities/${encodeURIComponent(entity.id)}`, 'data-link': true }, entity.id)),
    h('td', {}, entity.type),
    h('td', { class: 'number' }, formatValue(attributeRows(entity).length)),
    h('td', {}, modified));
}

function table(entities: NgsiEntity[], total: number, page: number, params: URLSearchParams): HTMLElement[] {
  if (entities.length === 0) return [h('p', {}, t('noResults'))];
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const caption = t('results', { count: total });
  const rows = entities.map(entityRow);
  const pageLink = (target: number, label: string) => {
    const next = new URLSearchParams(params);
    next.set('page', String(target));
    return h('a', { href: `/entities?${next}`, 'data-link': true, class: 'button secondary' }, label);
  };
  return [
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('id')), h('th', { scope: 'col' }, t('type')), h('th', { scope: 'col' }, t('attributes')), h('th', { scope: 'col' }, t('lastChange')))),
      h('tbody', {}, ...rows)),
    h('nav', { class: 'pager', 'aria-label': t('page', { page, pages }) },
      page > 1 ? pageLink(page - 1, t('previous')) : null,
      h('span', {}, t('page', { page, pages })),
      page < pages ? pageLink(page + 1, t('next')) : null),
  ];
}
