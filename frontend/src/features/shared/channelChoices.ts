// The visibilities and kinds a new channel may have, as radio choices;
// with `help`, each explained (the administration's form).

import { fr } from '../../lib/i18n/fr';
import type { NewChannel } from '../../lib/stores/channels.svelte';

function choices<T extends string>(values: readonly T[], labels: Record<string, string>, helps: Record<string, string>, help: boolean) {
  return values.map((value) => ({ value, label: labels[value] ?? value, help: help ? helps[value] : undefined }));
}

export function visibilityChoices(help = false) {
  const values: readonly NewChannel['visibility'][] = ['public', 'private'];
  return choices(values, fr.channel.visibility, fr.admin.channels.visibilityHelp, help);
}

export function kindChoices(help = false) {
  const values: readonly NewChannel['kind'][] = ['standard', 'announcement'];
  return choices(values, fr.channel.kind, fr.admin.channels.kindHelp, help);
}
