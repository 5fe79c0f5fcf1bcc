// The platform administrator's pages: every CPTS with its counts (no
// content), creating and editing a CPTS, and naming its first coordinator
// (an invitation with the coordinateur role). The server decides who may:
// platform admins only.

import { api, seg } from '../api';
import type { CPTS, CPTSOverview, Invitation, Mission } from '../types';
import { cptsStore } from './cpts.svelte';
import { ListStore } from './list.svelte';
import { onSessionEnd } from './session.svelte';

/** What the CPTS form edits. */
export interface CptsFields {
  name: string;
  department: string;
  communes: string[];
  missions: Mission[];
}

/** The fields of cpts as the form starts from them. */
export function fieldsOf(c: Pick<CPTS, 'name' | 'department' | 'communes' | 'missions'> | undefined): CptsFields {
  return {
    name: c?.name ?? '',
    department: c?.department ?? '',
    communes: [...(c?.communes ?? [])],
    missions: [...(c?.missions ?? [])],
  };
}

/** Communes typed one per line or separated by commas. */
export function parseCommunes(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

class Platform extends ListStore<CPTSOverview> {
  async load(): Promise<void> {
    await this.fill(async () => (await api.get<{ cpts: CPTSOverview[] | null }>('/admin/cpts')).cpts ?? []);
  }

  /** Creates a CPTS; it joins the overview and my list of CPTS. */
  async create(f: CptsFields): Promise<CPTS> {
    const c = (await api.post<{ cpts: CPTS }>('/cpts', f)).cpts;
    cptsStore.upsert(c);
    void this.load();
    return c;
  }

  /** Changes what changed of a CPTS (its name, territory, missions). */
  async update(id: string, f: CptsFields): Promise<CPTS> {
    const c = (await api.patch<{ cpts: CPTS }>(`/cpts/${seg(id)}`, f)).cpts;
    cptsStore.upsert(c);
    void this.load();
    return c;
  }

  /** Invites someone by e-mail as coordinator of the CPTS. */
  async inviteCoordinator(cptsId: string, email: string): Promise<Invitation> {
    const res = await api.post<{ invitation: Invitation }>(`/cpts/${seg(cptsId)}/invitations`, { email, role: 'coordinateur' });
    return res.invitation;
  }
}

export const platform = new Platform();
onSessionEnd(() => platform.reset());
