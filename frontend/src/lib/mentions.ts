// @-mentions in the composer: what the user is typing after "@" and what
// it may become. The server resolves the text itself (docs/api.md):
// "@channel", "@<profession plural>" from GET /meta, "@Prénom.Nom" with
// accents and case folded and spaces written as dots.

import type { MemberUser, ProfessionInfo } from './types';

export interface MentionOption {
  /** Text inserted after "@". */
  insert: string;
  label: string;
  detail: string;
  kind: 'channel' | 'profession' | 'user';
  userId?: string;
}

/** Lowercase without accents, for matching. */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase();
}

/** "Sophie Garnier" → "Sophie.Garnier". */
export function mentionToken(name: string): string {
  return name.trim().replace(/\s+/g, '.');
}

/**
 * The mention being typed just before the caret: where its "@" is and the
 * text after it. Null when the caret is not right after "@word".
 */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|[\s(])@([\p{L}\p{N}._-]*)$/u.exec(before);
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, query: m[2]! };
}

/** Up to `limit` options for query, people first, then professions and @channel. */
export function mentionOptions(
  query: string,
  members: readonly MemberUser[],
  professions: readonly ProfessionInfo[],
  opts: { channel: boolean; me?: string; limit?: number; channelLabel: string; professionLabel: (l: string) => string },
): MentionOption[] {
  const q = fold(query).replace(/\./g, ' ');
  const limit = opts.limit ?? 8;
  const out: MentionOption[] = [];
  const matches = (...fields: string[]) => !q || fields.some((f) => fold(f).split(/[\s.-]+/).some((w) => w.startsWith(q)) || fold(f).startsWith(q));
  for (const u of members) {
    if (u.id === opts.me) continue;
    if (matches(u.name, mentionToken(u.name))) {
      // Profession and commune tell two members of the same name apart.
      const detail = [u.profession_label, u.commune].filter(Boolean).join(' · ');
      out.push({ insert: mentionToken(u.name), label: u.name, detail, kind: 'user', userId: u.id });
    }
  }
  for (const p of professions) {
    if (p.mention && matches(p.mention, p.label)) {
      out.push({ insert: p.mention, label: `@${p.mention}`, detail: opts.professionLabel(p.label), kind: 'profession' });
    }
  }
  if (opts.channel && matches('channel', 'canal', 'tous')) {
    out.push({ insert: 'channel', label: '@channel', detail: opts.channelLabel, kind: 'channel' });
  }
  return out.slice(0, limit);
}
