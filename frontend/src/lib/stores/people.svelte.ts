// The profile card: whose card is open (a name or an avatar was clicked,
// in a message, a member list or the directory) and what the server says
// of them (GET /users/{id}): profession, commune, CPTS, and the RPPS to
// members of a shared CPTS. "Envoyer un message" opens or creates the
// direct conversation (stores/conversations).

import { api, ApiError, seg, toApiError } from '../api';
import type { UserCard } from '../types';
import { onSessionEnd } from './session.svelte';

/** What the view that was clicked already knows of the person. */
export interface PersonHint {
  id: string;
  name: string;
  profession_label?: string;
  commune?: string;
}

class People {
  shown = $state<PersonHint | null>(null);
  card = $state.raw<UserCard | null>(null);
  loading = $state(false);
  error = $state<ApiError | null>(null);
  private generation = 0;

  /** Opens the card of a person and loads it. */
  show(p: PersonHint): void {
    this.shown = { id: p.id, name: p.name, profession_label: p.profession_label, commune: p.commune };
    this.card = null;
    void this.load(p.id);
  }

  close(): void {
    this.generation++;
    this.shown = null;
    this.card = null;
    this.error = null;
    this.loading = false;
  }

  private async load(id: string): Promise<void> {
    const gen = ++this.generation;
    this.loading = true;
    this.error = null;
    try {
      const res = await api.get<UserCard>(`/users/${seg(id)}`);
      if (gen === this.generation) this.card = res;
    } catch (err) {
      if (gen === this.generation) this.error = toApiError(err);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }
}

export const people = new People();

onSessionEnd(() => people.close());
