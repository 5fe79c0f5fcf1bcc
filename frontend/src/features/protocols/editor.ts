// What the protocol editor edits.
import type { FileView } from '../../lib/types';

export interface EditorValues {
  title: string;
  body: string;
  note: string;
  missions: string[];
  professions: string[];
  review_date: string;
  visibility: 'cpts' | 'listed' | 'platform';
  shared_with: string[];
  /** The version's PDF (null: none); a new upload, or null, makes a new version. */
  pdf: FileView | null;
}
