import { append, h } from '../dom';
import { t } from '../i18n';
import { UNAUTHORIZED_EVENT } from '../api';
import { session } from '../session';
import { settings } from '../settings';

function field(id: string, label: string, help: string, input: HTMLInputElement): HTMLElement {
  input.id = id;
  input.setAttribute('aria-describedby', `${id}-help`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, h('p', { id: `${id}-help`, class: 'help' }, help));
}

// Logs out on the server, then asks for a key again.
async function signOut(status: HTMLElement): Promise<void> {
  await session.logOut();
  status.textContent = t('signedOut');
  window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
}

export function renderSettings(container: HTMLElement): Record<string, never> {
  const tenant = h('input', { type: 'text', value: settings.tenant() });
  const tiles = h('input', { type: 'url', value: settings.tileUrl(), inputmode: 'url' });
  const status = h('p', { role: 'status' });
  const form = h(
    'form',
    { class: 'settings' },
    field('settings-tenant', t('tenant'), t('tenantHelp'), tenant),
    field('settings-tiles', t('tileUrl'), t('tileUrlHelp'), tiles),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('save')),
      h('button', { type: 'button', id: 'sign-out', class: 'secondary', onclick: () => void signOut(status) }, t('signOut'))),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    settings.setTenant(tenant.value);
    settings.setTileUrl(tiles.value);
    status.textContent = t('saved');
  });
  append(container, h('h1', { tabindex: -1 }, t('settingsTitle')), form);
  return {};
}
