// What needs me (GET /home), for the home page's "À traiter" and the
// sidebar: my unread mentions, the threads I follow with new replies, and
// for the CPTS I coordinate the members waiting for validation, which I
// validate or refuse in one click from there.

import { api, ApiError, seg, toApiError } from '../api';
import type { HomeMention, HomeResponse, HomeThread, PendingMember } from '../types';
import { cptsStore } from './cpts.svelte';
import { onSessionEnd } from './session.svelte';

const key = (p: PendingMember) => `${p.cpts_id}/${p.member.user.id}`;

class HomeStore {
  mentions = $state<HomeMention[]>([]);
  /** Every unread mention, beyond the few listed. */
  mentionCount = $state(0);
  threads = $state<HomeThread[]>([]);
  pending = $state<PendingMember[]>([]);
  loaded = $state(false);
  error = $state<ApiError | null>(null);
  private generation = 0;

  async load(): Promise<void> {
    const gen = ++this.generation;
    try {
      const h = await api.get<HomeResponse>('/home');
      if (gen !== this.generation) return;
      this.mentions = h.mentions ?? [];
      this.mentionCount = h.mention_count;
      this.threads = h.threads ?? [];
      this.pending = h.pending ?? [];
      this.error = null;
    } catch (err) {
      if (gen === this.generation) this.error = toApiError(err);
    } finally {
      if (gen === this.generation) this.loaded = true;
    }
  }

  /**
   * How many wait for validation in cptsId: the list once read, else the
   * count GET /cpts gave (0 for a CPTS I do not manage).
   */
  waitingIn(cptsId: string): number {
    if (this.loaded && !this.error) return this.pending.filter((p) => p.cpts_id === cptsId).length;
    return cptsStore.byId(cptsId)?.pending_count ?? 0;
  }

  /**
   * How many wait for my validation in all the CPTS I coordinate (the
   * phone's menu badge): the list once read, else the counts of GET /cpts.
   */
  get waitingTotal(): number {
    if (this.loaded && !this.error) return this.pending.length;
    return cptsStore.items.reduce((n, c) => n + (c.pending_count ?? 0), 0);
  }

  /** Turns the membership active; the person leaves the list. */
  async validate(p: PendingMember): Promise<void> {
    await api.post(`/cpts/${seg(p.cpts_id)}/members/${seg(p.member.user.id)}/validate`);
    this.settled(p);
  }

  /** Refuses the membership; the person leaves the list. */
  async refuse(p: PendingMember): Promise<void> {
    await api.post(`/cpts/${seg(p.cpts_id)}/members/${seg(p.member.user.id)}/refuse`);
    this.settled(p);
  }

  reset(): void {
    this.generation++;
    this.mentions = [];
    this.mentionCount = 0;
    this.threads = [];
    this.pending = [];
    this.loaded = false;
    this.error = null;
  }

  /** p is no longer waiting: off the list and off the CPTS's count. */
  private settled(p: PendingMember): void {
    this.pending = this.pending.filter((x) => key(x) !== key(p));
    const c = cptsStore.byId(p.cpts_id);
    if (c) cptsStore.upsert({ ...c, pending_count: Math.max(0, c.pending_count - 1) });
  }
}

export const home = new HomeStore();
onSessionEnd(() => home.reset());

export { key as pendingKey };
