// The entity card of the map: its type, id and a few attributes, with a link to the detail.
import { apiGet, entityPath } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { flash } from '../live';
import { attributeRows, type NgsiEntity } from './attributes';

function details(entity: NgsiEntity): HTMLDListElement {
  const rows = attributeRows(entity).filter((row) => row.kind !== 'geo').slice(0, 8);
  return h(
    'dl',
    {},
    ...rows.flatMap((row) => [h('dt', {}, row.name), h('dd', {}, row.valueNode(), row.unit ? ` ${row.unit}` : '')]),
  );
}

export async function entityCard(id: string, onClose: () => void): Promise<HTMLElement> {
  const { body } = await apiGet<NgsiEntity>(entityPath(id));
  const close = h('button', { type: 'button', class: 'icon', 'aria-label': t('close'), onclick: onClose }, '×');
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'card-title', 'data-entity-id': id },
    h('div', { class: 'card-head' }, h('h2', { id: 'card-title' }, body.type), close),
    h('p', { class: 'entity-id' }, id),
    details(body),
    h('a', { href: `/entities/${encodeURIComponent(id)}`, 'data-link': true, class: 'button' }, t('openDetails')),
  );
}

// A live change of the card's entity: its values are replaced where they are.
export function updateCard(card: HTMLElement, entity: NgsiEntity): void {
  const list = card.querySelector('dl');
  if (!list || card.dataset.entityId !== entity.id) return;
  const fresh = details(entity);
  if (fresh.textContent === list.textContent) return;
  list.replaceChildren(...fresh.childNodes);
  flash(list);
}
