/**
 * Where a vendor credential may go: to the account's own base URL, over https (plain http only to a sandbox on
 * this machine), and to no other origin, whatever URL a vendor's answer hands back (next-page links, files).
 */

/** Hosts that never leave this machine: localhost, 127.0.0.0/8 and [::1]. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Why a vendor base URL may not carry the account's credentials, or null when it may: an https:// URL, or
 * http:// to a loopback host (a sandbox), without a user or password of its own.
 */
export function baseUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL; use https://<the vendor’s API host>';
  }
  if (parsed.username || parsed.password)
    return 'holds a user name or password; name the credential in credentials (environment variables) instead';
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return null;
  if (parsed.protocol === 'http:')
    return `is http:// to ${parsed.host}, so the credential would cross the network in clear text; use https:// (plain http is only for a sandbox on this machine: localhost, 127.0.0.1, [::1])`;
  return `is a ${parsed.protocol}// URL; use https://`;
}

/** The origin (scheme, host and port) a URL points to, relative URLs resolved against `base`. */
export function originOf(url: string, base: string): string {
  return new URL(url, base).origin;
}
