// The emoji of the composer and the reaction picker: the Unicode set with
// French names and keywords from emojibase-data (locale fr), loaded on the
// first opening of a picker as a chunk of its own, and the emoji this
// browser used last (localStorage), shown first.

export interface EmojiInfo {
  char: string;
  /** French name ("pouce vers le haut"): tooltips, screen readers, search. */
  name: string;
  /** Lower-case, accent-free name and keywords, for the search. */
  search: string;
}

export interface EmojiGroup {
  key: string;
  /** French name of the category ("smileys et émotion"). */
  name: string;
  emoji: EmojiInfo[];
}

/** What a picker shows before the data set is there, and first-time recents. */
export const commonEmoji: readonly string[] = ['👍', '❤️', '🙏', '👏', '🙂', '😂', '✅', '👀', '🎉', '💡', '⚠️', '🩺', '💊', '📅'];

/** Folds case and accents: "Cœur" and "coeur" both find ❤️. */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .toLowerCase();
}

let loading: Promise<EmojiGroup[]> | null = null;

/** The categories with their emoji, in Unicode order (loaded once). */
export function loadEmoji(): Promise<EmojiGroup[]> {
  loading ??= (async () => {
    const [{ default: data }, { default: messages }] = await Promise.all([
      import('emojibase-data/fr/compact.json'),
      import('emojibase-data/fr/messages.json'),
    ]);
    const groups = new Map<number, EmojiGroup>();
    for (const g of messages.groups) {
      // "component" holds skin tones and hair styles: not emoji by themselves.
      if (g.key === 'component') continue;
      groups.set(g.order, { key: g.key, name: g.message, emoji: [] });
    }
    const sorted = [...data].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
    for (const e of sorted) {
      const g = e.group === undefined ? undefined : groups.get(e.group);
      if (!g) continue;
      g.emoji.push({ char: e.unicode, name: e.label, search: fold([e.label, ...(e.tags ?? [])].join(' ')) });
    }
    return [...groups.values()].filter((g) => g.emoji.length > 0);
  })();
  loading.catch(() => (loading = null));
  return loading;
}

/** The emoji whose name or keywords contain every word of the query. */
export function searchEmoji(groups: readonly EmojiGroup[], query: string, limit = 120): EmojiInfo[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const out: EmojiInfo[] = [];
  for (const g of groups) {
    for (const e of g.emoji) {
      if (words.every((w) => e.search.includes(w))) {
        out.push(e);
        if (out.length >= limit) return out;
      }
    }
  }
  return out;
}

const recentKey = 'ecpts.emoji.recent';
const recentMax = 24;

/** The emoji used last on this browser, most recent first. */
export function recentEmoji(): string[] {
  try {
    const raw = JSON.parse(localStorage.getItem(recentKey) ?? '[]') as unknown;
    if (Array.isArray(raw)) return raw.filter((x): x is string => typeof x === 'string').slice(0, recentMax);
  } catch {
    // Unreadable (private mode, bad JSON): no recents.
  }
  return [];
}

/** Puts an emoji first among the recent ones. */
export function noteEmojiUse(char: string): void {
  const next = [char, ...recentEmoji().filter((c) => c !== char)].slice(0, recentMax);
  try {
    localStorage.setItem(recentKey, JSON.stringify(next));
  } catch {
    // Storage full or refused: the choice is simply not remembered.
  }
}
