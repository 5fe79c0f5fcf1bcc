// One user request at a time from a form or a button: busy while it runs,
// and its error (an ApiError, French and fit to show) once it failed. Views
// keep one Task per form so each shows its own error.

import { ApiError, toApiError } from './api';

export class Task {
  busy = $state(false);
  error = $state<ApiError | null>(null);

  /** Runs fn and reports whether it succeeded; a failure lands in error. */
  async run(fn: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await fn();
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
