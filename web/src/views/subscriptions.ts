// Subscriptions (clause 5.8): the tenant's list with status and delivery counters, pause and
// resume (PATCH isActive), delete, and a form for a simple one (entity type, watched
// attributes, an endpoint URI). Writes need an editor key; a viewer sees the 403 message.
import { NGSI, apiGet, apiSend, entityTypes } from '../api';
import { append, h } from '../dom';
import { formatDateTime, formatValue, t } from '../i18n';
import type { MessageKey } from '../locales/en';
import type { View } from '../navigation';

type Subscription = {
  id: string;
  subscriptionName?: string;
  entities?: Array<{ type?: string; id?: string; idPattern?: string }>;
  watchedAttributes?: string[];
  isActive?: boolean;
  status?: string;
  notification?: {
    endpoint?: { uri?: string };
    timesSent?: number;
    timesFailed?: number;
    lastNotification?: string;
  };
};

const statusKeys: Record<string, MessageKey> = {
  active: 'statusActive', paused: 'statusPaused', failed: 'statusFailed', expired: 'statusExpired',
};

export function renderSubscriptions(container: HTMLElement): View {
  const message = h('p', { role: 'status', class: 'message' });
  const list = h('div', { class: 'results' });
  const form = createForm(async (body) => {
    await apiSend('POST', `${NGSI}/subscriptions`, body);
    message.textContent = t('created');
    await refresh();
  }, message);
  append(container, h('h1', { tabindex: -1 }, t('subscriptionsTitle')), message, list,
    h('h2', { id: 'create-title' }, t('createSubscription')), form);

  const act = async (work: () => Promise<unknown>, done: MessageKey) => {
    try {
      await work();
      message.textContent = t(done);
      await refresh();
    } catch (error) {
      message.textContent = t('error', { message: (error as Error).message });
    }
  };

  const refresh = async () => {
    try {
      const { body, headers } = await apiGet<Subscription[]>(`${NGSI}/subscriptions`, { limit: 100, count: 'true' });
      if (body.length === 0) {
        list.replaceChildren(h('p', {}, t('noSubscriptions')));
        return;
      }
      const total = Number(headers.get('NGSILD-Results-Count') ?? body.length);
      const columns = [t('subscriptionName'), t('type'), t('watchedAttributes'), t('endpoint'), t('status'),
        t('timesSent'), t('timesFailed'), t('lastNotification'), t('actions')];
      list.replaceChildren(h('table', { class: 'subscriptions' },
        h('caption', {}, t('subscriptionList', { count: total })),
        h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...body.map((s) => {
          const notification = s.notification ?? {};
          const path = `${NGSI}/subscriptions/${encodeURIComponent(s.id)}`;
          const name = s.subscriptionName || s.id;
          const toggle = h('button', { type: 'button', class: 'secondary', 'aria-label': `${s.isActive === false ? t('resume') : t('pause')}: ${name}` },
            s.isActive === false ? t('resume') : t('pause'));
          toggle.addEventListener('click', () => void act(() => apiSend('PATCH', path, { isActive: s.isActive === false }), 'updated'));
          const remove = h('button', { type: 'button', class: 'secondary', 'aria-label': `${t('delete')}: ${name}` }, t('delete'));
          remove.addEventListener('click', () => {
            if (confirm(t('confirmDelete', { id: name }))) void act(() => apiSend('DELETE', path), 'deleted');
          });
          const status = s.status ?? 'active';
          return h('tr', { 'data-subscription-id': s.id },
            h('th', { scope: 'row' }, name),
            h('td', {}, (s.entities ?? []).map((e) => e.type ?? '').join(', ')),
            h('td', {}, (s.watchedAttributes ?? []).join(', ')),
            h('td', { dir: 'ltr' }, notification.endpoint?.uri ?? ''),
            h('td', { 'data-status': status }, statusKeys[status] ? t(statusKeys[status]) : status),
            h('td', { class: 'number' }, formatValue(notification.timesSent ?? 0)),
            h('td', { class: 'number' }, formatValue(notification.timesFailed ?? 0)),
            h('td', {}, notification.lastNotification ? formatDateTime(notification.lastNotification) : ''),
            h('td', { class: 'actions' }, toggle, remove));
        }))));
    } catch (error) {
      list.replaceChildren(h('p', { role: 'alert', class: 'error' }, t('error', { message: (error as Error).message })));
    }
  };
  void refresh();
  return {};
}

function createForm(submit: (body: object) => Promise<void>, message: HTMLElement): HTMLFormElement {
  const name = h('input', { id: 'sub-name', type: 'text' });
  const type = h('select', { id: 'sub-type', required: true });
  const watched = h('input', { id: 'sub-watched', type: 'text', 'aria-describedby': 'sub-watched-help', dir: 'ltr' });
  const endpoint = h('input', { id: 'sub-endpoint', type: 'url', required: true, placeholder: 'https://', dir: 'ltr' });
  void entityTypes().then((types) => type.replaceChildren(...types.map((value) => h('option', { value }, value)))).catch(() => undefined);
  const field = (id: string, label: string, control: HTMLElement, help?: string) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), control, help ? h('p', { id: `${id}-help`, class: 'help' }, help) : null);
  const form = h('form', { class: 'filters', 'aria-labelledby': 'create-title' },
    field('sub-name', t('subscriptionName'), name),
    field('sub-type', t('type'), type),
    field('sub-watched', t('watchedAttributes'), watched, t('watchedHelp')),
    field('sub-endpoint', t('endpoint'), endpoint),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('create'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const attributes = watched.value.split(',').map((a) => a.trim()).filter(Boolean);
    const body: Record<string, unknown> = {
      type: 'Subscription',
      entities: [{ type: type.value }],
      notification: { endpoint: { uri: endpoint.value.trim(), accept: 'application/json' } },
    };
    if (name.value.trim()) body.subscriptionName = name.value.trim();
    if (attributes.length > 0) body.watchedAttributes = attributes;
    submit(body).then(() => form.reset()).catch((error: Error) => {
      message.textContent = t('error', { message: error.message });
    });
  });
  return form;
}
