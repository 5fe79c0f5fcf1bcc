// The protocol library: the list of one CPTS with its filters, and every
// call of the protocol page (versions, reviews, validation, acknowledgement,
// report, reminder, editor preview).

import { api, query, seg } from '../api';
import type {
  AckReport,
  Protocol,
  ProtocolCreate,
  ProtocolDetail,
  ProtocolPage,
  ProtocolPatch,
  ProtocolVersion,
  ProtocolVersionInfo,
  RemindResult,
} from '../types';
import { PagedList } from './paged.svelte';

export interface LibraryFilters {
  mission: string;
  profession: string;
  status: string;
  review_due: boolean;
}

const emptyFilters = (): LibraryFilters => ({ mission: '', profession: '', status: '', review_due: false });

class Library extends PagedList<Protocol, LibraryFilters> {
  constructor() {
    super('/protocols', emptyFilters);
  }

  protected params(f: LibraryFilters): Record<string, string> {
    return { mission: f.mission, profession: f.profession, status: f.status, review_due: f.review_due ? 'true' : '' };
  }
}

export const library = new Library();

const p = (id: string) => `/protocols/${seg(id)}`;

export const protocols = {
  template: async (): Promise<string> => (await api.get<{ body: string }>('/protocols/template')).body,
  create: async (body: ProtocolCreate): Promise<ProtocolDetail> =>
    (await api.post<{ protocol: ProtocolDetail }>('/protocols', body)).protocol,
  get: async (id: string): Promise<ProtocolDetail> => (await api.get<{ protocol: ProtocolDetail }>(p(id))).protocol,
  update: async (id: string, patch: ProtocolPatch): Promise<ProtocolDetail> =>
    (await api.patch<{ protocol: ProtocolDetail }>(p(id), patch)).protocol,
  versions: async (id: string): Promise<ProtocolVersionInfo[]> =>
    (await api.get<{ versions: ProtocolVersionInfo[] | null }>(`${p(id)}/versions`)).versions ?? [],
  version: async (id: string, n: number): Promise<ProtocolVersion> =>
    (await api.get<{ version: ProtocolVersion }>(`${p(id)}/versions/${n}`)).version,
  submit: async (id: string, reviewerIds: string[]): Promise<ProtocolDetail> =>
    (await api.post<{ protocol: ProtocolDetail }>(`${p(id)}/submit`, { reviewer_ids: reviewerIds })).protocol,
  review: async (id: string, version: number, decision: 'approve' | 'changes_requested', comment: string): Promise<ProtocolDetail> =>
    (await api.post<{ protocol: ProtocolDetail }>(`${p(id)}/reviews`, { version, decision, comment })).protocol,
  validate: async (id: string): Promise<ProtocolDetail> =>
    (await api.post<{ protocol: ProtocolDetail }>(`${p(id)}/validate`)).protocol,
  archive: async (id: string): Promise<ProtocolDetail> =>
    (await api.post<{ protocol: ProtocolDetail }>(`${p(id)}/archive`)).protocol,
  ack: async (id: string, version: number): Promise<ProtocolDetail> =>
    (await api.post<{ protocol: ProtocolDetail }>(`${p(id)}/ack`, { version })).protocol,
  acks: (id: string, cptsId = ''): Promise<AckReport> => api.get<AckReport>(`${p(id)}/acks${query({ cpts_id: cptsId })}`),
  remind: (id: string, cptsId = ''): Promise<RemindResult> =>
    api.post<RemindResult>(`${p(id)}/remind${query({ cpts_id: cptsId })}`),
  /** Every protocol I see whose review date is past or within 30 days. */
  reviewDue: async (): Promise<Protocol[]> =>
    (await api.get<ProtocolPage>('/protocols?review_due=true&limit=200')).items ?? [],
  preview: async (body: string): Promise<string> => (await api.post<{ html: string }>('/protocols/preview', { body })).html,
};
