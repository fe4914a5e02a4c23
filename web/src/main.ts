// The console shell: navigation, language switch, API-key prompt and a small router over the
// paths the server serves index.html for (src/http console routes: /map, /entities, ...).
import './style.css';
import { UNAUTHORIZED_EVENT } from './api';
import { append, h } from './dom';
import { initLanguage, language, languages, onLanguageChange, setLanguage, t, type Language } from './i18n';
import type { MessageKey } from './locales/en';
import { setNavigator, type View } from './navigation';
import { session } from './session';
import { renderEntities } from './views/entities';
import { renderEntity } from './views/entity';
import { renderSettings } from './views/settings';
import { renderSubscriptions } from './views/subscriptions';


const navItems: Array<{ path: string; key: MessageKey }> = [
  { path: '/map', key: 'navMap' },
  { path: '/entities', key: 'navEntities' },
  { path: '/devices', key: 'navDevices' },
  { path: '/kpis', key: 'navKpis' },
  { path: '/import', key: 'navImport' },
  { path: '/subscriptions', key: 'navSubscriptions' },
  { path: '/settings', key: 'navSettings' },
];

let currentView: View | undefined;
let renderedLocation = '';

function main(): HTMLElement {
  return document.getElementById('main') as HTMLElement;
}

async function route(): Promise<void> {
  currentView?.dispose?.();
  currentView = undefined;
  const container = main();
  container.replaceChildren();
  const path = location.pathname;
  renderedLocation = path + location.search;
  renderNav(path);
  const entityMatch = path.match(/^\/entities\/(.+)$/);
  if (path === '/' || path === '/map') {
    // The map code (MapLibre) is the largest part of the console: loaded on first use.
    const { renderMap } = await import('./views/map');
    currentView = renderMap(container);
  } else if (path === '/entities') {
    currentView = renderEntities(container, new URLSearchParams(location.search));
  } else if (entityMatch) {
    currentView = renderEntity(container, decodeURIComponent(entityMatch[1]));
  } else if (path === '/devices') {
    // Views used less often than the map and the entities come with their code on first use.
    const { renderDevices } = await import('./views/devices');
    currentView = renderDevices(container);
  } else if (path === '/kpis') {
    const { renderKpis } = await import('./views/kpis');
    currentView = renderKpis(container, new URLSearchParams(location.search));
  } else if (path === '/import') {
    const { renderImport } = await import('./views/import');
    currentView = renderImport(container);
  } else if (path === '/subscriptions') {
    currentView = renderSubscriptions(container);
  } else if (path === '/settings') {
    currentView = renderSettings(container);
  } else {
    append(container, h('h1', { tabindex: -1 }, t('notFound')));
  }
}

function navigate(url: string): void {
  history.pushState(null, '', url);
  void route().then(focusHeading);
}

// After a navigation the view's heading takes the focus, so screen readers announce it.
function focusHeading(): void {
  const heading = main().querySelector<HTMLElement>('h1');
  if (heading) {
    document.title = `${heading.textContent} · CityTwin`;
    heading.focus();
  }
}

function renderNav(path: string): void {
  const nav = document.getElementById('nav') as HTMLElement;
  const list = h('ul');
  for (const item of navItems) {
    const active = path === item.path || path.startsWith(`${item.path}/`) || (path === '/' && item.path === '/map');
    list.appendChild(
      h('li', {}, h('a', { href: item.path, 'data-link': true, 'aria-current': active ? 'page' : undefined }, t(item.key))),
    );
  }
  nav.setAttribute('aria-label', t('mainNavigation'));
  nav.replaceChildren(list);
}

function renderLanguageSelect(): void {
  const select = document.getElementById('language') as HTMLSelectElement;
  select.replaceChildren(
    ...languages.map((l) => h('option', { value: l.code, lang: l.code, selected: l.code === language() }, l.name)),
  );
  select.onchange = () => void setLanguage(select.value as Language);
}

// Shown when the server answered 401: a login field for the API key (or a bearer token),
// exchanged for a session cookie (session.ts); a refused key is said in the form.
function showKeyPrompt(): void {
  const region = document.getElementById('auth') as HTMLElement;
  if (region.childElementCount > 0) return;
  const input = h('input', {
    id: 'auth-key', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'auth-help',
  });
  const error = h('p', { id: 'auth-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'auth-form', 'aria-labelledby': 'auth-title' },
    h('p', { id: 'auth-title' }, t('needKey')),
    h('label', { for: 'auth-key' }, t('apiKey')),
    input,
    h('button', { type: 'submit' }, t('signIn')),
    h('p', { id: 'auth-help', class: 'help' }, t('apiKeyHelp')),
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    session.logIn(input.value.trim()).then(() => {
      region.replaceChildren();
      void route();
    }, (failure: Error) => {
      error.textContent = failure.message;
      input.focus();
    });
  });
  region.replaceChildren(form);
  input.focus();
}

function translateStatic(): void {
  for (const element of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    element.textContent = t(element.dataset.i18n as MessageKey);
  }
}

async function start(): Promise<void> {
  setNavigator(navigate);
  await initLanguage();
  translateStatic();
  renderLanguageSelect();
  onLanguageChange(() => {
    translateStatic();
    renderLanguageSelect();
    document.getElementById('auth')?.replaceChildren();
    void route().then(() => (document.getElementById('language') as HTMLElement).focus());
  });
  // Links inside the console navigate without reloading the page.
  document.addEventListener('click', (event) => {
    const link = (event.target as Element).closest?.('a[data-link]') as HTMLAnchorElement | null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(link.getAttribute('href') ?? '/');
  });
  // A fragment change (the skip link) also fires popstate: only a new path renders anew.
  window.addEventListener('popstate', () => {
    if (location.pathname + location.search !== renderedLocation) void route();
  });
  window.addEventListener(UNAUTHORIZED_EVENT, showKeyPrompt);
  await session.restore();
  void route().then(() => {
    const heading = main().querySelector('h1');
    if (heading) document.title = `${heading.textContent} · CityTwin`;
  });
}

void start();
