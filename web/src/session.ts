// The console's login session (docs/security.md, "Console sessions"). The API key (or bearer
// token) typed in is sent once, to POST /citytwin/v1/session, which answers with an HttpOnly
// session cookie the browser sends by itself and a CSRF token kept here, in memory only, and
// sent as X-CSRF-Token with every request (the server requires it on writes). After a page
// load the token is asked for again with the cookie (GET /citytwin/v1/session).
const SESSION = '/citytwin/v1/session';

let csrfToken = '';

async function problemMessage(response: Response): Promise<string> {
  try {
    const problem = await response.json();
    return problem.detail || problem.title || `${response.status}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

export const session = {
  csrfToken: (): string => csrfToken,

  // Picks up the session of an earlier login in this browser, if it is still alive.
  async restore(): Promise<void> {
    try {
      const response = await fetch(SESSION, { headers: { Accept: 'application/json' } });
      if (response.ok) csrfToken = (await response.json()).csrfToken ?? '';
    } catch {
      // offline: the first API call says so
    }
  },

  // Resolves once logged in; rejects with the server's reason (a bad key: 401).
  async logIn(credential: string): Promise<void> {
    const response = await fetch(SESSION, {
      method: 'POST',
      headers: { Accept: 'application/json', Authorization: `Bearer ${credential}` },
    });
    if (!response.ok) throw new Error(await problemMessage(response));
    csrfToken = (await response.json()).csrfToken ?? '';
  },

  // Ends the session on the server too, so a copy of the cookie is worthless.
  async logOut(): Promise<void> {
    const headers: Record<string, string> = csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
    csrfToken = '';
    await fetch(SESSION, { method: 'DELETE', headers });
  },
};
