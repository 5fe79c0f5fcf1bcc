// Initials avatars: two letters of a person's name on a colour chosen from
// their user id, so that one person keeps one colour everywhere (messages,
// member lists, directory, profile card). Every colour of the palette
// carries white text at a contrast ratio of at least 4.5:1 (WCAG AA).

export const avatarPalette: readonly string[] = [
  '#1d4ed8', // blue
  '#0f766e', // teal
  '#7c3aed', // violet
  '#b91c1c', // red
  '#be185d', // pink
  '#15803d', // green
  '#c2410c', // orange
  '#4338ca', // indigo
  '#475569', // slate
  '#0369a1', // sky
  '#9d174d', // rose
  '#6d4c41', // brown
];

/** "Sophie Garnier" → "SG", "Élise Marchand" → "ÉM", "Administration e-CPTS" → "AE". */
export function initials(name: string): string {
  const words = name
    .trim()
    .split(/[\s\u00a0]+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+/u, ''))
    .filter(Boolean);
  if (!words.length) return '?';
  const first = [...words[0]!][0] ?? '';
  const last = words.length > 1 ? ([...words[words.length - 1]!][0] ?? '') : '';
  return (first + last).toLocaleUpperCase('fr');
}

/** The colour of a user id: a stable hash (FNV-1a) into the palette. */
export function avatarColor(id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return avatarPalette[(h >>> 0) % avatarPalette.length]!;
}
