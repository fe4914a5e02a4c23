// The entity card of the map: its type, id and a few attributes, with a link to the detail.
import { apiGet, entityPath } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { attributeRows, type NgsiEntity } from './attributes';

export async function entityCard(id: string, onClose: () => void): Promise<HTMLElement> {
  const { body } = await apiGet<NgsiEntity>(entityPath(id));
  const close = h('button', { type: 'button', class: 'icon', 'aria-label': t('close'), onclick: onClose }, '×');
  const rows = attributeRows(body).filter((row) => row.kind !== 'geo').slice(0, 8);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'card-title', 'data-entity-id': id },
    h('div', { class: 'card-head' }, h('h2', { id: 'card-title' }, body.type), close),
    h('p', { class: 'entity-id' }, id),
    h(
      'dl',
      {},
      ...rows.flatMap((row) => [h('dt', {}, row.name), h('dd', {}, row.valueNode(), row.unit ? ` ${row.unit}` : '')]),
    ),
    h('a', { href: `/entities/${encodeURIComponent(id)}`, 'data-link': true, class: 'button' }, t('openDetails')),
  );
}
