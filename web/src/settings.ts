// The user's settings. The API key lives in sessionStorage (gone when the tab closes, never
// sent anywhere but this server); tenant and basemap URL are remembered in localStorage.
const KEY = 'citytwin.apiKey';
const TENANT = 'citytwin.tenant';
const TILES = 'citytwin.tileUrl';

export const settings = {
  apiKey: (): string => sessionStorage.getItem(KEY) ?? '',
  setApiKey: (value: string): void => {
    if (value) sessionStorage.setItem(KEY, value);
    else sessionStorage.removeItem(KEY);
  },
  tenant: (): string => localStorage.getItem(TENANT) ?? '',
  setTenant: (value: string): void => localStorage.setItem(TENANT, value.trim()),
  tileUrl: (): string => localStorage.getItem(TILES) ?? '',
  setTileUrl: (value: string): void => localStorage.setItem(TILES, value.trim()),
};
