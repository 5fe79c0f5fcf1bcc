// The logged-in user, their memberships and the CSRF token. Other stores
// are reset when the session ends so nothing of a previous account stays
// on screen.

import { api, ApiError, onUnauthenticated, setCsrfToken } from '../api';
import type { AcceptResponse, LoginResponse, MeResponse, MembershipSummary, TitleForm, User } from '../types';
import { channels } from './channels.svelte';
import { cptsStore } from './cpts.svelte';
import { directory } from './directory.svelte';
import { groups } from './groups.svelte';

// Stores that import this module cannot be imported by it (a cycle): they
// register here to forget their state when the session ends.
const endHooks = new Set<() => void>();

/** Registers fn to run whenever the session ends (logout, 401, revoked). */
export function onSessionEnd(fn: () => void): void {
  endHooks.add(fn);
}

/** The fields of my profile, as the profile form edits them. */
export interface ProfileFields {
  name: string;
  profession: string;
  rpps: string;
  adeli: string;
  commune: string;
  /** The form of my profession and role titles (infirmière, infirmier, infirmier·ère). */
  title_form: TitleForm;
}

class Session {
  user = $state<User | null>(null);
  memberships = $state<MembershipSummary[]>([]);
  /** False until the first GET /me answered (or failed). */
  ready = $state(false);
  /** Set when GET /me failed for another reason than "not logged in". */
  loadError = $state<ApiError | null>(null);

  /** Reads the current session; a 401 simply means "logged out". */
  async load(): Promise<void> {
    this.loadError = null;
    try {
      const me = await api.get<MeResponse>('/me', { quiet401: true });
      this.apply(me);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.clear();
      else this.loadError = err instanceof ApiError ? err : new ApiError(0, 'unexpected', String(err));
    } finally {
      this.ready = true;
    }
  }

  /**
   * Re-reads /me in the background: keeps what is shown when it fails
   * (a later call will report the problem), ends the session on 401.
   */
  async refresh(): Promise<void> {
    try {
      const me = await api.get<MeResponse>('/me', { quiet401: true });
      this.apply(me);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.clear();
    }
  }

  async login(email: string, password: string): Promise<void> {
    const res = await api.post<LoginResponse>('/auth/login', { email, password }, { quiet401: true });
    setCsrfToken(res.csrf_token);
    this.user = res.user;
    // Memberships come with /me only.
    await this.load();
  }

  /** Adopts the session an accepted invitation or a set-password link opened. */
  async adopt(res: AcceptResponse | LoginResponse): Promise<void> {
    setCsrfToken(res.csrf_token);
    this.user = res.user;
    await this.load();
  }

  async logout(): Promise<void> {
    try {
      await api.post<void>('/auth/logout', {}, { quiet401: true });
    } finally {
      this.clear();
    }
  }

  clear(): void {
    setCsrfToken('');
    this.user = null;
    this.memberships = [];
    cptsStore.reset();
    groups.reset();
    channels.reset();
    directory.reset();
    for (const fn of endHooks) fn();
  }

  /**
   * Saves my profile. Only what changed is sent: an untouched field is
   * never validated again.
   */
  async saveProfile(profile: ProfileFields): Promise<void> {
    const now = this.user;
    const before: ProfileFields = {
      name: now?.name ?? '',
      profession: now?.profession ?? '',
      rpps: now?.rpps ?? '',
      adeli: now?.adeli ?? '',
      commune: now?.commune ?? '',
      title_form: now?.title_form ?? 'inclusif',
    };
    const changed = Object.fromEntries(Object.entries(profile).filter(([k, v]) => before[k as keyof ProfileFields] !== v));
    if (Object.keys(changed).length === 0) return;
    this.user = (await api.patch<{ user: User }>('/me', changed)).user;
    // Role titles in the new form come with the memberships of /me.
    if ('title_form' in changed) await this.refresh();
  }

  async changePassword(current: string, next: string): Promise<void> {
    await api.post<void>('/me/password', { current_password: current, new_password: next });
  }

  membership(cptsId: string): MembershipSummary | undefined {
    return this.memberships.find((m) => m.cpts_id === cptsId);
  }

  get pending(): MembershipSummary[] {
    return this.memberships.filter((m) => m.status === 'pending');
  }

  /** A platform administrator (the platform pages, every CPTS's administration). */
  get isAdmin(): boolean {
    return this.user?.admin === true;
  }

  /** True when I am an active member of at least one CPTS (someone to talk to). */
  get hasActiveMembership(): boolean {
    return this.memberships.some((m) => m.status === 'active');
  }

  /** My role in cptsId in the form I chose ("Coordinatrice"), "" when none. */
  roleLabelIn(cptsId: string): string {
    return this.membership(cptsId)?.role_label ?? '';
  }

  /** An active member of cptsId: its channels and people are mine to see. */
  activeIn(cptsId: string): boolean {
    return this.membership(cptsId)?.status === 'active';
  }

  private apply(me: MeResponse): void {
    setCsrfToken(me.csrf_token);
    this.user = me.user;
    this.memberships = me.memberships ?? [];
  }
}

export const session = new Session();

// A 401 on any later call means the session ended elsewhere.
onUnauthenticated(() => session.clear());

/**
 * Reloads everything the shell shows: my CPTS, groups and channels, and
 * with `me` the memberships of /me. Each store keeps its own error.
 */
export async function refreshSpaces({ me = true } = {}): Promise<void> {
  await Promise.all([me ? session.refresh() : undefined, cptsStore.load(), groups.load(), channels.load()]);
}
