// The protocol library: the list of one CPTS with its filters, and every
// call of the protocol page (versions, reviews, validation, acknowledgement,
// report, reminder, editor preview).

import { api, ApiError, query, seg, toApiError } from '../api';
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

export interface LibraryFilters {
  mission: string;
  profession: string;
  status: string;
  review_due: boolean;
}

const emptyFilters = (): LibraryFilters => ({ mission: '', profession: '', status: '', review_due: false });

class Library {
  cptsId = $state('');
  filters = $state<LibraryFilters>(emptyFilters());
  items = $state<Protocol[]>([]);
  total = $state(0);
  next = $state('');
  loading = $state(false);
  error = $state<ApiError | null>(null);
  private generation = 0;

  private q(after?: string): string {
    const f = this.filters;
    return query({
      cpts_id: this.cptsId,
      mission: f.mission,
      profession: f.profession,
      status: f.status,
      review_due: f.review_due ? 'true' : '',
      after,
    });
  }

  /** Loads the first page for cptsId (all I see when ""). */
  async load(cptsId: string): Promise<void> {
    if (cptsId !== this.cptsId) this.filters = emptyFilters();
    this.cptsId = cptsId;
    const gen = ++this.generation;
    this.loading = true;
    try {
      const page = await api.get<ProtocolPage>(`/protocols${this.q()}`);
      if (gen !== this.generation) return;
      this.items = page.items ?? [];
      this.total = page.total;
      this.next = page.next ?? '';
      this.error = null;
    } catch (err) {
      if (gen === this.generation) this.error = toApiError(err);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Re-reads the list on screen (a "protocol" frame), keeping its filters. */
  refresh(): Promise<void> {
    return this.load(this.cptsId);
  }

  async more(): Promise<void> {
    if (!this.next) return;
    const gen = this.generation;
    const page = await api.get<ProtocolPage>(`/protocols${this.q(this.next)}`);
    if (gen !== this.generation) return;
    this.items = [...this.items, ...(page.items ?? [])];
    this.next = page.next ?? '';
  }

  resetFilters(): void {
    this.filters = emptyFilters();
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
