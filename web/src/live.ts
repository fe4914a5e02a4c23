// Live updates (docs/console.md): the server's Server-Sent Events of entity changes. EventSource
// cannot send the API key or the tenant, so each connection first asks for a one-time ticket
// (POST /citytwin/v1/events/tickets, with the key and tenant headers) and names it in its URL.
// The browser reconnects by itself after a network error, but a ticket works once: when the
// server refuses the old URL, a new ticket is fetched and the stream reopened.
import { apiSend } from './api';
import { t } from './i18n';
import type { NgsiEntity } from './views/attributes';

export interface LiveHandlers {
  update: (entity: NgsiEntity) => void;
  remove?: (entity: { id: string; type: string }) => void;
  // Events were dropped (the console fell behind): what it shows must be read again.
  resync?: () => void;
}

export interface LiveFilter {
  types?: string[];
  ids?: string[];
}

export interface LiveConnection {
  close: () => void;
}

const EVENTS = '/citytwin/v1/events';
const RETRY_MS = 5000;

// Shows the stream's state in the header's live badge (polite: it changes rarely).
// 'none': the view has no live data, the badge is hidden.
function setBadge(state: 'on' | 'connecting' | 'off' | 'none'): void {
  const badge = document.getElementById('live-state');
  if (!badge) return;
  badge.dataset.state = state;
  const text = { on: t('liveOn'), connecting: t('liveConnecting'), off: t('liveOff'), none: '' }[state];
  badge.textContent = text;
  badge.title = text ? t('liveLabel') : '';
}

export function openLive(filter: LiveFilter, handlers: LiveHandlers): LiveConnection {
  let source: EventSource | undefined;
  let retry: number | undefined;
  let closed = false;

  const connect = async () => {
    setBadge('connecting');
    try {
      const response = await apiSend('POST', `${EVENTS}/tickets`);
      const { ticket } = (await response.json()) as { ticket: string };
      if (closed) return;
      const query = new URLSearchParams({ ticket });
      if (filter.types?.length) query.set('type', filter.types.join(','));
      if (filter.ids?.length) query.set('id', filter.ids.join(','));
      source = new EventSource(`${EVENTS}?${query}`);
    } catch {
      if (!closed) retry = window.setTimeout(connect, RETRY_MS);
      setBadge('off');
      return;
    }
    source.addEventListener('ready', () => setBadge('on'));
    source.addEventListener('update', (event) => handlers.update(JSON.parse((event as MessageEvent).data)));
    source.addEventListener('delete', (event) => handlers.remove?.(JSON.parse((event as MessageEvent).data)));
    source.addEventListener('resync', () => handlers.resync?.());
    source.addEventListener('error', () => {
      // CONNECTING: the browser retries the same URL, which the spent ticket no longer opens;
      // CLOSED: the server refused it. Either way: a new ticket, then reopen.
      source?.close();
      setBadge('off');
      if (!closed) retry = window.setTimeout(connect, RETRY_MS);
    });
  };
  void connect();
  return {
    close: () => {
      closed = true;
      window.clearTimeout(retry);
      source?.close();
      setBadge('none');
    },
  };
}

// Briefly marks an element whose value just changed (CSS; reduced motion: no animation).
export function flash(element: Element): void {
  element.classList.remove('changed');
  void (element as HTMLElement).offsetWidth;
  element.classList.add('changed');
}
