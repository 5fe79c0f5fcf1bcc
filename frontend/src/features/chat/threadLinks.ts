// Where a message lives in the app: its channel or conversation page, and
// the link that opens its thread there.

import { channels } from '../../lib/stores/channels.svelte';
import { conversations } from '../../lib/stores/conversations.svelte';

/** Name of the channel or conversation of a message ("" when unknown). */
export function placeName(channelId: string): string {
  const c = channels.items.find((x) => x.id === channelId);
  if (c) return c.name;
  const conv = conversations.byId(channelId);
  return conv ? conversations.title(conv) : '';
}

/** Link to a thread: the page of its channel or conversation, panel open. */
export function threadHref(channelId: string, rootId: string): string {
  const base = conversations.byId(channelId) ? `/messages/${channelId}` : `/canaux/${channelId}`;
  return `${base}?fil=${encodeURIComponent(rootId)}`;
}
