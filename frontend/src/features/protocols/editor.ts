// What the protocol editor edits.
export interface EditorValues {
  title: string;
  body: string;
  note: string;
  missions: string[];
  professions: string[];
  review_date: string;
  visibility: 'cpts' | 'listed' | 'platform';
  shared_with: string[];
}
