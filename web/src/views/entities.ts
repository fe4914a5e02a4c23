// Entities: filter by type and an NGSI-LD query (q, clause 4.9), paged with the result count.
import { NGSI, apiGet, entityTypes } from '../api';
import { append, h } from '../dom';
import { formatValue, t } from '../i18n';
import { navigate, type View } from '../navigation';
import { attributeRows, type NgsiEntity } from './attributes';

const PAGE = 20;

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
  append(container, h('h1', { tabindex: -1 }, t('entitiesTitle')), form, results);

  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (typeSelect.value) next.set('type', typeSelect.value);
    if (q.value.trim()) next.set('q', q.value.trim());
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
      });
      const total = Number(headers.get('NGSILD-Results-Count') ?? body.length);
      results.replaceChildren(...table(body, total, page, params));
    } catch (error) {
      results.replaceChildren(h('p', { role: 'alert', class: 'error' }, t('error', { message: (error as Error).message })));
    }
  })();
  return {};
}

function table(entities: NgsiEntity[], total: number, page: number, params: URLSearchParams): HTMLElement[] {
  if (entities.length === 0) return [h('p', {}, t('noResults'))];
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const caption = t('results', { count: total });
  const rows = entities.map((entity) =>
    h('tr', {},
      h('td', {}, h('a', { href: `/entities/${encodeURIComponent(entity.id)}`, 'data-link': true }, entity.id)),
      h('td', {}, entity.type),
      h('td', { class: 'number' }, formatValue(attributeRows(entity).length))),
  );
  const pageLink = (target: number, label: string) => {
    const next = new URLSearchParams(params);
    next.set('page', String(target));
    return h('a', { href: `/entities?${next}`, 'data-link': true, class: 'button secondary' }, label);
  };
  return [
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('id')), h('th', { scope: 'col' }, t('type')), h('th', { scope: 'col' }, t('attributes')))),
      h('tbody', {}, ...rows)),
    h('nav', { class: 'pager', 'aria-label': t('page', { page, pages }) },
      page > 1 ? pageLink(page - 1, t('previous')) : null,
      h('span', {}, t('page', { page, pages })),
      page < pages ? pageLink(page + 1, t('next')) : null),
  ];
}
