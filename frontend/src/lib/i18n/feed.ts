// French texts of the feed (posts, events, RSVP, calendar). Typography:
// a no-break space (U+00A0) before : ? ! ;
export const frFeed = {
  feed: 'Fil',
  feedOf: (name: string) => `Fil — ${name}`,
  empty: 'Aucune publication pour l’instant.',
  pinned: 'Épinglé',
  more: 'Publications plus anciennes',
  unread: (n: number) => (n === 1 ? '1 publication non lue' : `${n} publications non lues`),
  newPosts: 'Nouvelles publications',
  compose: {
    title: 'Publier',
    announcement: 'Annonce',
    event: 'Événement',
    kind: 'Type de publication',
    postTitle: 'Titre',
    body: 'Texte (Markdown)',
    starts: 'Début (heure de Paris)',
    ends: 'Fin (heure de Paris)',
    place: 'Lieu',
    visio: 'Lien de visio (https://…)',
    capacity: 'Nombre de places (0 = illimité)',
    deadline: 'Date limite d’inscription (facultative)',
    submit: 'Publier',
    published: 'Publication en ligne.',
  },
  event: 'Événement',
  when: (start: string, end: string) => `${start} → ${end}`,
  place: 'Lieu\u00a0:',
  visio: 'Visio\u00a0:',
  seatsLeft: (n: number) => (n === 0 ? 'Complet' : n === 1 ? '1 place restante' : `${n} places restantes`),
  deadline: (d: string) => `Inscriptions jusqu’au ${d}`,
  closed: 'Inscriptions closes',
  answer: 'Votre réponse\u00a0:',
  answers: { oui: 'Oui', non: 'Non', peut_etre: 'Peut-être' } as Record<string, string>,
  counts: (yes: number, no: number, maybe: number) => `${yes} oui · ${maybe} peut-être · ${no} non`,
  addToCalendar: 'Ajouter à mon agenda (.ics)',
  organiser: 'Inscrits par profession',
  exportCsv: 'Exporter en CSV',
  noAnswer: 'Aucune réponse pour l’instant.',
  comments: 'Commentaires',
  open: 'Ouvrir',
  pin: 'Épingler',
  unpin: 'Désépingler',
  delete: 'Supprimer',
  deleteConfirm: 'Supprimer cette publication et ses commentaires\u00a0?',
  edited: 'modifié',
  back: 'Retour au fil',
  by: (name: string) => `par ${name}`,
  calendar: {
    title: 'Mon agenda privé',
    intro:
      'Abonnez Outlook, Google Agenda ou Apple Calendrier à cette adresse pour y voir les événements de vos CPTS et groupes. Gardez-la pour vous\u00a0: elle suffit à lire votre agenda.',
    none: 'Aucune adresse active.',
    since: (d: string) => `Adresse active depuis le ${d}.`,
    create: 'Créer mon adresse d’agenda',
    rotate: 'Remplacer l’adresse',
    revoke: 'Révoquer',
    copy: 'Copier',
    copied: 'Adresse copiée.',
    shownOnce: 'Elle ne sera plus affichée\u00a0: copiez-la maintenant.',
  },
} as const;

const parisFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'full', timeStyle: 'short', timeZone: 'Europe/Paris' });
const parisTimeFormat = new Intl.DateTimeFormat('fr-FR', { timeStyle: 'short', timeZone: 'Europe/Paris' });
const parisDay = new Intl.DateTimeFormat('fr-FR', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'Europe/Paris' });

/** An instant as a date and time in Europe/Paris, whatever the browser's zone. */
export function parisDateTime(iso: string | undefined): string {
  const d = new Date(iso ?? '');
  return Number.isNaN(d.getTime()) ? '' : parisFormat.format(d);
}

/** An event's start and end in Europe/Paris; the end's date only when it differs. */
export function eventWhen(start: string, end: string): string {
  const s = new Date(start);
  const e = new Date(end);
  if (Number.isNaN(s.getTime()) || Number.isNaN(e.getTime())) return '';
  const sameDay = parisDay.format(s) === parisDay.format(e);
  return `${parisFormat.format(s)} → ${sameDay ? parisTimeFormat.format(e) : parisFormat.format(e)}`;
}
