/**
 * Webhook URLs carry their credentials (Discord's token in the path, Telegram's bot token, query tokens of
 * custom receivers), so nothing that leaves this process — logs, errors, API answers, the webhook_logs table —
 * may contain one. Everything shown is scheme + host with the rest replaced by ***.
 */

export function redactUrl(url: string): string {
  if (url.startsWith('telegram://')) return 'telegram://***';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/***`;
  } catch {
    return '***';
  }
}

/** pieces of a URL that could be secret: the whole URL, its path segments, query values, user info */
function secretPieces(url: string): string[] {
  const pieces = new Set<string>([url]);
  const add = (s: string) => {
    if (s.length >= 6) {
      pieces.add(s);
      try {
        pieces.add(decodeURIComponent(s));
        pieces.add(encodeURIComponent(s));
      } catch {
        // a malformed escape is still replaced verbatim
      }
    }
  };
  const telegram = /^telegram:\/\/([^@/]+)@([^/?#]+)/.exec(url);
  if (telegram) {
    add(telegram[1]);
    add(telegram[2]);
  }
  try {
    const u = new URL(url);
    for (const seg of u.pathname.split('/')) add(seg);
    add(u.pathname);
    for (const [, v] of u.searchParams) add(v);
    if (u.search) add(u.search);
    if (u.username) add(u.username);
    if (u.password) add(u.password);
  } catch {
    // not a URL: only the whole string is known
  }
  // longest first, so a segment inside an already-replaced URL cannot leave a fragment behind
  return [...pieces].sort((a, b) => b.length - a.length);
}

/** Replaces every secret piece of the given URLs in free text (error messages from fetch or the receiver). */
export function scrubSecrets(text: string, urls: readonly string[]): string {
  let out = text;
  for (const url of urls) {
    for (const piece of secretPieces(url)) out = out.split(piece).join('***');
  }
  return out;
}
