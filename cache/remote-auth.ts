/**
 * Credentials for the remote cache: where they come from (environment variables, never the
 * config file that gets committed), how they become headers, and how they are kept out of every
 * message the client produces.
 */

/** Bearer token or HTTP basic credentials. */
export type RemoteAuth = {bearer: string} | {basic: {user: string; password: string}};

/**
 * Reads `BEVBUILD_REMOTE_TOKEN` (bearer) or `BEVBUILD_REMOTE_USER` + `BEVBUILD_REMOTE_PASSWORD`
 * (basic). Returns undefined when neither is set.
 */
export function remoteAuthFromEnv(env: Record<string, string | undefined> = process.env): RemoteAuth | undefined {
  const token = env['BEVBUILD_REMOTE_TOKEN'];
  if (token) return {bearer: token};
  const user = env['BEVBUILD_REMOTE_USER'];
  const password = env['BEVBUILD_REMOTE_PASSWORD'];
  if (user && password !== undefined) return {basic: {user, password}};
  return undefined;
}

/** The `Authorization` header for `auth` (none when undefined). */
export function authHeaders(auth: RemoteAuth | undefined): Record<string, string> {
  if (!auth) return {};
  if ('bearer' in auth) return {Authorization: `Bearer ${auth.bearer}`};
  const {user, password} = auth.basic;
  return {Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`};
}

/**
 * A function that replaces every secret (token, password, their encoded forms, extra header
 * values) in a text with `***`. Longest first, so a secret containing another is fully hidden.
 */
export function redactor(auth: RemoteAuth | undefined, headers: Record<string, string> = {}): (text: string) => string {
  const secrets = new Set<string>();
  if (auth && 'bearer' in auth) secrets.add(auth.bearer);
  if (auth && 'basic' in auth) {
    secrets.add(auth.basic.password);
    secrets.add(Buffer.from(`${auth.basic.user}:${auth.basic.password}`).toString('base64'));
    secrets.add(encodeURIComponent(auth.basic.password));
  }
  for (const v of Object.values(headers)) secrets.add(v);
  const list = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => list.reduce((t, s) => t.split(s).join('***'), text);
}

/** `scheme://user:password@host` → `scheme://***@host` anywhere in a text (URLs that did not parse included). */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"`]+@/gi, '$1***@');
}
