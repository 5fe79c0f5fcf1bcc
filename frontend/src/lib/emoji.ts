// The emoji offered by the composer and the reaction picker: ~40 common
// ones, including care-related symbols. Each has a French name for screen
// readers and for the picker's tooltips.

export interface EmojiInfo {
  char: string;
  name: string;
}

export const emojiList: readonly EmojiInfo[] = [
  { char: '👍', name: 'pouce levé' },
  { char: '👎', name: 'pouce baissé' },
  { char: '❤️', name: 'cœur' },
  { char: '🙏', name: 'merci' },
  { char: '👏', name: 'applaudissements' },
  { char: '🙌', name: 'bravo' },
  { char: '👌', name: 'parfait' },
  { char: '💪', name: 'courage' },
  { char: '👋', name: 'salut' },
  { char: '👀', name: 'je regarde' },
  { char: '😀', name: 'sourire' },
  { char: '🙂', name: 'léger sourire' },
  { char: '😊', name: 'content' },
  { char: '😉', name: 'clin d’œil' },
  { char: '😂', name: 'rire' },
  { char: '😍', name: 'ravi' },
  { char: '🤔', name: 'réflexion' },
  { char: '😮', name: 'surprise' },
  { char: '😢', name: 'triste' },
  { char: '😅', name: 'gêne' },
  { char: '😴', name: 'fatigue' },
  { char: '🤒', name: 'malade' },
  { char: '✅', name: 'fait' },
  { char: '❌', name: 'non' },
  { char: '⚠️', name: 'attention' },
  { char: '❓', name: 'question' },
  { char: '❗', name: 'important' },
  { char: '🎉', name: 'fête' },
  { char: '🔥', name: 'urgent' },
  { char: '💡', name: 'idée' },
  { char: '📌', name: 'épinglé' },
  { char: '📅', name: 'agenda' },
  { char: '📎', name: 'pièce jointe' },
  { char: '📞', name: 'téléphone' },
  { char: '📋', name: 'protocole' },
  { char: '☕', name: 'café' },
  { char: '🏥', name: 'hôpital' },
  { char: '🩺', name: 'stéthoscope' },
  { char: '💊', name: 'médicament' },
  { char: '💉', name: 'vaccin' },
  { char: '🩹', name: 'pansement' },
  { char: '🚑', name: 'ambulance' },
];
