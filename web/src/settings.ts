// The user's settings, remembered in localStorage: tenant and basemap URL. The API key is
// not kept in the browser: it is exchanged for a session cookie (session.ts).
const TENANT = 'citytwin.tenant';
const TILES = 'citytwin.tileUrl';

export const settings = {
  tenant: (): string => localStorage.getItem(TENANT) ?? '',
  setTenant: (value: string): void => localStorage.setItem(TENANT, value.trim()),
  tileUrl: (): string => localStorage.getItem(TILES) ?? '',
  setTileUrl: (value: string): void => localStorage.setItem(TILES, value.trim()),
};
