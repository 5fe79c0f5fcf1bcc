// One user request at a time from a form or a button: busy while it runs,
// and its error (an ApiError, French and fit to show) once it failed. Views
// keep one Task per form so each shows its own error. A page's read (a
// list, the lookup of a link) is a Task too: busy while it loads.

import { ApiError, toApiError } from './api';

export class Task {
  busy = $state(false);
  error = $state<ApiError | null>(null);

  /** busy: true for a read that starts as the page opens (no blank first frame). */
  constructor(busy = false) {
    this.busy = busy;
  }

  /**
   * Runs fn and reports whether it succeeded; a failure lands in error.
   * keepError: the last error stays shown while fn runs (a list read
   * again), until it succeeds.
   */
  async run(fn: () => Promise<unknown>, keepError = false): Promise<boolean> {
    this.busy = true;
    if (!keepError) this.error = null;
    try {
      await fn();
      this.error = null;
      return true;
    } catch (err) {
      this.error = toApiError(err);
      return false;
    } finally {
      this.busy = false;
    }
  }

  clear(): void {
    this.error = null;
  }
}
