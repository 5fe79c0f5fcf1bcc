// Keyboard use of a message list (the channel's and the thread panel's):
// the list is one tab stop; ↑ and ↓ move the focus from message to
// message (the focused message shows its actions, reached with Tab),
// Home and End go to the first and the last, Escape goes back to writing.

/** The element keys act on: the list itself or a message, or something inside a message that has no use for arrows. */
function messageOf(target: EventTarget | null, root: HTMLElement): HTMLElement | null | 'root' {
  if (!(target instanceof HTMLElement)) return null;
  if (target === root) return 'root';
  if (target.closest('textarea, input, select, [role="listbox"], [role="group"]')) return null;
  const article = target.closest<HTMLElement>('article.message[tabindex]');
  return article && root.contains(article) ? article : null;
}

/**
 * Handles a keydown on a message list. Returns true when it used the key.
 * onescape: where Escape sends the focus (the composer); nothing when absent.
 */
export function onMessageListKey(e: KeyboardEvent, root: HTMLElement, onescape?: () => void): boolean {
  if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey || e.isComposing) return false;
  const at = messageOf(e.target, root);
  if (!at) return false;
  const items = [...root.querySelectorAll<HTMLElement>('article.message[tabindex]')];
  if (e.key === 'Escape') {
    if (!onescape) return false;
    e.preventDefault();
    onescape();
    return true;
  }
  if (!items.length) return false;
  const i = at === 'root' ? -1 : items.indexOf(at);
  let next: HTMLElement | undefined;
  switch (e.key) {
    case 'ArrowUp':
      next = i < 0 ? items[items.length - 1] : items[Math.max(0, i - 1)];
      break;
    case 'ArrowDown':
      next = i < 0 ? items[items.length - 1] : items[Math.min(items.length - 1, i + 1)];
      break;
    case 'Home':
      if (at !== 'root' && e.target !== at) return false;
      next = items[0];
      break;
    case 'End':
      if (at !== 'root' && e.target !== at) return false;
      next = items[items.length - 1];
      break;
    default:
      return false;
  }
  e.preventDefault();
  if (next) {
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: 'nearest' });
  }
  return true;
}
