/**
 * Telegram sendMessage with parse_mode MarkdownV2. Every character MarkdownV2 reserves — _ * [ ] ( ) ~ ` > # + - = | { } . !
 * and the backslash itself — is escaped outside the bold title markers; an unescaped one makes Telegram reject
 * the whole message ("can't parse entities"). Messages are cut to 4096 characters by dropping whole lines, so
 * an escape sequence or the bold entity is never cut in half.
 */
import { formatValue, graphemesOf, markedTitle, truncate, type OutgoingMessage } from './message.ts';

export const TELEGRAM_MAX = 4096;

const RESERVED = /[_*[\]()~`>#+\-=|{}.!\\]/g;

export function escapeMarkdownV2(s: string): string {
  return s.replace(RESERVED, '\\$&');
}

/** length Telegram counts: the text after escapes are resolved and entity markers removed (an upper bound here) */
export function telegramText(m: OutgoingMessage): string {
  const a = m.alert;
  const severityIcon = a.severity === 'CRITICAL' ? '🔴' : a.severity === 'WARNING' ? '🟠' : '🔵';
  let title = markedTitle(m);
  let head = `${severityIcon} *${escapeMarkdownV2(title)}*`;
  while (head.length > 512 && title.length > 1) {
    title = truncate(title, Math.floor(title.length * 0.8));
    head = `${severityIcon} *${escapeMarkdownV2(title)}*`;
  }
  const lines = [head, ''];
  const body = [
    escapeMarkdownV2(a.description),
    '',
    ...Object.entries(a.data).map(([k, v]) => `${escapeMarkdownV2(k)}: ${escapeMarkdownV2(formatValue(v))}`),
    '',
    escapeMarkdownV2(`${a.event_type} · ${a.source} · ${a.id}`),
  ];
  let text = lines.join('\n');
  for (const line of body) {
    let l = line;
    const room = TELEGRAM_MAX - text.length - 1;
    if (room <= 0) break;
    if (l.length > room) {
      // shorten the raw text, not the escaped one, so no escape is split
      l = shortenEscaped(l, room);
      text += `\n${l}`;
      break;
    }
    text += `\n${l}`;
  }
  return text;
}

/**
 * An escaped line cut to at most `max` UTF-16 units (the ellipsis included) on a boundary between whole
 * graphemes — never inside a surrogate pair or an emoji sequence — and never between a backslash and the
 * character it escapes.
 */
export function shortenEscaped(escaped: string, max: number): string {
  let out = '';
  const gs = graphemesOf(escaped);
  for (let i = 0; i < gs.length; i++) {
    const unit = gs[i] === '\\' && i + 1 < gs.length ? gs[i] + gs[++i] : gs[i];
    if (out.length + unit.length + 1 > max) break;
    out += unit;
  }
  return `${out}…`;
}

export interface TelegramPayload {
  chat_id: string;
  text: string;
  parse_mode: 'MarkdownV2';
  disable_web_page_preview: boolean;
}

export function telegramPayload(m: OutgoingMessage, chatId: string): TelegramPayload {
  return { chat_id: chatId, text: telegramText(m), parse_mode: 'MarkdownV2', disable_web_page_preview: true };
}
