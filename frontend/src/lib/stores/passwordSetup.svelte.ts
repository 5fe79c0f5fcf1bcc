// The set-password link of an account created by `ecpts admin create`:
// what it describes, and choosing the password (which opens a session).

import { api, seg } from '../api';
import type { LoginResponse, PasswordSetupInfo } from '../types';
import { session } from './session.svelte';

/** What a set-password link offers (no session needed). */
export function lookupPasswordSetup(token: string): Promise<PasswordSetupInfo> {
  return api.get<PasswordSetupInfo>(`/password-setup/${seg(token)}`, { quiet401: true });
}

/** Chooses the password of the link; the session it opens becomes mine. */
export async function completePasswordSetup(token: string, password: string): Promise<void> {
  const res = await api.post<LoginResponse>(`/password-setup/${seg(token)}`, { password }, { quiet401: true });
  await session.adopt(res);
}
