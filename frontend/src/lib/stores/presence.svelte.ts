// Who is online (GET /presence, then presence frames) and who is typing in
// which channel (typing frames, each shown a few seconds unless repeated).

import { api, query } from '../api';
import { onSessionEnd, session } from './session.svelte';

/** How long a typing notice stays shown without a new one (docs/protocol.md: ~5 s). */
export const typingShowMs = 5_000;

class Presence {
  online = $state<Record<string, boolean>>({});
  /** channel id → user id → when the notice expires (ms since epoch). */
  typing = $state<Record<string, Record<string, number>>>({});
  private timer: ReturnType<typeof setInterval> | undefined;

  isOnline(userId: string): boolean {
    if (userId && userId === session.user?.id) return true;
    return this.online[userId] ?? false;
  }

  /** Loads the initial state of these users (frames only say what changes). */
  async load(userIds: readonly string[]): Promise<void> {
    const ids = [...new Set(userIds)].filter((id) => id && id !== session.user?.id);
    if (!ids.length) return;
    // Keep URLs short: a few dozen ids per request.
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      try {
        const res = await api.get<{ online: string[] | null }>(`/presence${query({ user_ids: chunk.join(',') })}`);
        const on = new Set(res.online ?? []);
        for (const id of chunk) this.online[id] = on.has(id);
      } catch {
        // Unknown stays "offline"; frames will correct it.
      }
    }
  }

  /**
   * Re-reads everyone shown so far: after a reconnect, who came or went
   * meanwhile sent no frame to this tab.
   */
  async reload(): Promise<void> {
    await this.load(Object.keys(this.online));
  }

  set(userId: string, online: boolean): void {
    this.online[userId] = online;
    if (!online) for (const ch of Object.keys(this.typing)) this.stopTyping(ch, userId);
  }

  onTyping(channelId: string, userId: string): void {
    if (userId === session.user?.id) return;
    // Write through the state proxy (not a raw object) so readers update.
    if (!this.typing[channelId]) this.typing[channelId] = {};
    this.typing[channelId]![userId] = Date.now() + typingShowMs;
    this.tick();
  }

  /** A message from someone ends their typing notice at once. */
  stopTyping(channelId: string, userId: string): void {
    const ch = this.typing[channelId];
    if (ch && userId in ch) delete ch[userId];
  }

  /** User ids typing in channel now. */
  typingIn(channelId: string): string[] {
    const ch = this.typing[channelId];
    if (!ch) return [];
    const now = Date.now();
    return Object.entries(ch)
      .filter(([, until]) => until > now)
      .map(([id]) => id);
  }

  // One interval while someone types, to expire notices; none otherwise.
  private tick(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const now = Date.now();
      let left = 0;
      for (const [chId, users] of Object.entries(this.typing)) {
        for (const [u, until] of Object.entries(users)) {
          if (until <= now) delete users[u];
          else left++;
        }
        if (!Object.keys(users).length) delete this.typing[chId];
      }
      if (!left) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, 1_000);
  }

  reset(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.online = {};
    this.typing = {};
  }
}

export const presence = new Presence();

onSessionEnd(() => presence.reset());
