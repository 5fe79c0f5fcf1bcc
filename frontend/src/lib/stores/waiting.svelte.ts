// Members waiting for validation in the CPTS I coordinate: the badge on
// each CPTS of the sidebar and the card of my home page, with "Valider"
// and "Refuser" in one click. Read from each coordinated CPTS's members
// (the server lists pending members to those who manage the CPTS only).

import { api, ApiError, seg, toApiError } from '../api';
import type { CPTS, Member } from '../types';
import { cptsStore } from './cpts.svelte';
import { onSessionEnd } from './session.svelte';

/** One waiting member and the CPTS they wait to join. */
export interface Waiting {
  cpts: Pick<CPTS, 'id' | 'name'>;
  member: Member;
}

/** The CPTS whose pending members I validate: those I coordinate. */
function coordinated(list: readonly CPTS[]): CPTS[] {
  return list.filter((c) => c.can_manage && c.my_role === 'coordinateur' && c.my_status === 'active');
}

class WaitingStore {
  items = $state<Waiting[]>([]);
  loaded = $state(false);
  error = $state<ApiError | null>(null);
  private generation = 0;

  /** Reads the pending members of every CPTS I coordinate. */
  async load(): Promise<void> {
    const gen = ++this.generation;
    try {
      const lists = await Promise.all(
        coordinated(cptsStore.items).map(async (c) => {
          const res = await api.get<{ members: Member[] | null }>(`/cpts/${seg(c.id)}/members`);
          return (res.members ?? [])
            .filter((m) => m.status === 'pending')
            .map((m) => ({ cpts: { id: c.id, name: c.name }, member: m }));
        }),
      );
      if (gen !== this.generation) return;
      this.items = lists.flat().sort((a, b) => a.member.user.name.localeCompare(b.member.user.name, 'fr'));
      this.error = null;
    } catch (err) {
      if (gen === this.generation) this.error = toApiError(err);
    } finally {
      if (gen === this.generation) this.loaded = true;
    }
  }

  /** How many wait in cptsId. */
  count(cptsId: string): number {
    return this.items.filter((w) => w.cpts.id === cptsId).length;
  }

  /** Turns the membership active; the person leaves the list. */
  async validate(w: Waiting): Promise<void> {
    await api.post(`/cpts/${seg(w.cpts.id)}/members/${seg(w.member.user.id)}/validate`);
    this.drop(w);
  }

  /** Refuses the membership (removes it); the person leaves the list. */
  async refuse(w: Waiting): Promise<void> {
    await api.delete(`/cpts/${seg(w.cpts.id)}/members/${seg(w.member.user.id)}`);
    this.drop(w);
  }

  reset(): void {
    this.generation++;
    this.items = [];
    this.loaded = false;
    this.error = null;
  }

  private drop(w: Waiting): void {
    this.items = this.items.filter((x) => !(x.cpts.id === w.cpts.id && x.member.user.id === w.member.user.id));
  }
}

export const waiting = new WaitingStore();
onSessionEnd(() => waiting.reset());
