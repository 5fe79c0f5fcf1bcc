// What is unread anywhere, seen at a glance: the tab title starts with the
// count ("(3) général · e-CPTS"), the favicon carries a dot, and on a
// phone the menu button a badge (Shell). The counts are the unread store's
// (GET /unread, then live): joined channels, direct conversations and
// followed threads, each message counted once.

import { channels } from './channels.svelte';
import { conversations } from './conversations.svelte';
import { messages } from './messages.svelte';
import { threads } from './threads.svelte';

const countPrefix = /^\(\d+\+?\) /;

/** "(N) " before a title; none when nothing is unread. */
export function titleWithCount(title: string, n: number): string {
  const base = title.replace(countPrefix, '');
  if (n <= 0) return base;
  return `(${n > 99 ? '99+' : n}) ${base}`;
}

const icon = (dot: boolean) =>
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f3a5f"/>' +
      '<path d="M13 7h6v6h6v6h-6v6h-6v-6H7v-6h6z" fill="#7fd1c0"/>' +
      (dot ? '<circle cx="25" cy="7" r="6.5" fill="#e5484d" stroke="#fff" stroke-width="1.5"/>' : '') +
      '</svg>',
  );

class Notice {
  /** Unread messages in my channels, conversations and followed threads. */
  get unread(): number {
    let n = 0;
    for (const c of channels.items) if (c.member && !c.archived) n += messages.unreadOf(c.id).unread;
    for (const c of conversations.items) n += messages.unreadOf(c.id).unread;
    return n + threads.totalUnread;
  }

  /** Mentions of me not read yet (channels and conversations). */
  get mentions(): number {
    let n = 0;
    for (const c of channels.items) if (c.member && !c.archived) n += messages.unreadOf(c.id).mentions;
    for (const c of conversations.items) n += messages.unreadOf(c.id).mentions;
    return n;
  }

  /** Keeps the tab's title and favicon in step with unread; returns the stop. */
  start(): () => void {
    let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) {
      link = document.createElement('link');
      link.rel = 'icon';
      document.head.append(link);
    }
    const favicon = link;
    const plain = favicon.href;
    let count = 0;
    // The views set the title (svelte:head); the count goes in front of
    // whatever they set, and again when they change it.
    const retitle = () => {
      const next = titleWithCount(document.title, count);
      if (next !== document.title) document.title = next;
    };
    const watcher = new MutationObserver(retitle);
    watcher.observe(document.head, { subtree: true, childList: true, characterData: true });
    const stop = $effect.root(() => {
      $effect(() => {
        count = this.unread;
        const dot = count > 0 || this.mentions > 0;
        retitle();
        favicon.type = 'image/svg+xml';
        favicon.href = dot ? icon(true) : plain;
        favicon.dataset.unread = dot ? 'true' : 'false';
      });
    });
    return () => {
      stop();
      watcher.disconnect();
      count = 0;
      retitle();
      favicon.href = plain;
      favicon.dataset.unread = 'false';
    };
  }
}

export const notice = new Notice();
