/**
 * Discord webhook payload: one embed, coloured by severity, one inline field per number behind the alert.
 * Discord rejects (400) rather than truncates an embed over its limits, so every limit is applied here:
 * title 256, description 4096, 25 fields, field name 256 / value 1024, footer 2048, and 6000 characters
 * over all of them together. Counting UTF-16 units over-counts astral characters, which only errs on the safe side.
 */
import { alertTimestamp, formatValue, markedTitle, truncate, type OutgoingMessage } from './message.ts';

export const DISCORD_LIMITS = { title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, total: 6000 } as const;

export const SEVERITY_COLOURS = { INFO: 0x3498db, WARNING: 0xf39c12, CRITICAL: 0xe74c3c } as const;

export interface DiscordEmbed {
  title: string;
  description: string;
  color: number;
  timestamp: string;
  fields: { name: string; value: string; inline: boolean }[];
  footer: { text: string };
}

export interface DiscordPayload {
  username: string;
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: never[] };
}

export function embedLength(e: DiscordEmbed): number {
  return e.title.length + e.description.length + e.footer.text.length + e.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
}

export function discordPayload(m: OutgoingMessage): DiscordPayload {
  const a = m.alert;
  const fields = [
    { name: 'Symbol', value: a.symbol, inline: true },
    { name: 'Severity', value: a.severity, inline: true },
    { name: 'Event', value: a.event_type, inline: true },
    ...Object.entries(a.data).map(([k, v]) => ({ name: k, value: formatValue(v), inline: true })),
  ]
    .slice(0, DISCORD_LIMITS.fields)
    // Discord rejects empty names and values
    .map((f) => ({ name: truncate(f.name || '—', DISCORD_LIMITS.fieldName), value: truncate(f.value || '—', DISCORD_LIMITS.fieldValue), inline: f.inline }));
  const embed: DiscordEmbed = {
    title: truncate(markedTitle(m), DISCORD_LIMITS.title),
    description: truncate(a.description, DISCORD_LIMITS.description),
    color: SEVERITY_COLOURS[a.severity],
    timestamp: alertTimestamp(a),
    fields,
    footer: { text: truncate(`regime workbench · ${a.source} · ${a.id}${m.paper ? ' · paper' : ''}`, DISCORD_LIMITS.footer) },
  };
  // over the total: drop fields from the end first (the headline numbers come first), then shorten the description
  while (embedLength(embed) > DISCORD_LIMITS.total && embed.fields.length > 3) embed.fields.pop();
  const over = embedLength(embed) - DISCORD_LIMITS.total;
  if (over > 0) embed.description = truncate(embed.description, Math.max(1, embed.description.length - over));
  while (embedLength(embed) > DISCORD_LIMITS.total && embed.fields.length > 0) embed.fields.pop();
  return { username: 'Regime Workbench', embeds: [embed], allowed_mentions: { parse: [] } };
}
