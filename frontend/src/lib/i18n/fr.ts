// Every French string of the interface lives here, grouped by screen, so a
// wording change is one edit and a later translation one file. Strings that
// need a value are small functions.

/**
 * "la CPTS Loire Nord" for a CPTS's name, with its article: names usually
 * start with "CPTS"; one that does not gets it.
 */
export function theCpts(name: string): string {
  return /^cpts\b/i.test(name.trim()) ? `la ${name.trim()}` : `la CPTS ${name.trim()}`;
}

/** The text with its first letter in capitals. */
export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const fr = {
  app: {
    name: 'e-CPTS',
    tagline: 'Le réseau collaboratif des professionnels de votre CPTS',
    loading: 'Chargement…',
    retry: 'Réessayer',
    startFailed: "Impossible de joindre le serveur e-CPTS.",
    skipToContent: 'Aller au contenu',
  },
  files: {
    attach: 'Joindre un fichier',
    drop: 'Déposez vos fichiers ici',
    dropHint: (accepted: string, max: string) => `Glissez-déposez ou choisissez un fichier (${max} au plus)\u00a0: ${accepted}.`,
    uploading: (name: string) => `Envoi de ${name}`,
    cancel: 'Annuler l’envoi',
    cancelled: 'Envoi annulé.',
    remove: (name: string) => `Retirer ${name}`,
    tooLarge: (name: string, max: string) => `${name} dépasse la taille maximale autorisée (${max}).`,
    tooMany: (n: number) => `Au plus ${n} fichiers par envoi.`,
    failed: (name: string, why: string) => `${name}\u00a0: ${why}`,
    attachments: 'Pièces jointes',
    open: (name: string) => `Agrandir l’image ${name}`,
    viewer: 'Image',
    close: 'Fermer',
    download: 'Télécharger',
    preview: 'Aperçu',
    hidePreview: 'Masquer l’aperçu',
    previewOf: (name: string) => `Aperçu de ${name}`,
    previewLoading: 'Chargement de l’aperçu…',
    previewFailed: 'L’aperçu n’a pas pu être affiché\u00a0: téléchargez le fichier.',
    page: (n: number, total: number) => `Page ${n} sur ${total}`,
    morePages: (n: number) => `${n} page(s) de plus\u00a0: téléchargez le document pour tout lire.`,
    size: (bytes: number) =>
      bytes >= 1 << 20
        ? `${(bytes / (1 << 20)).toLocaleString('fr-FR', { maximumFractionDigits: 1 })}\u00a0Mo`
        : bytes >= 1 << 10
          ? `${Math.round(bytes / (1 << 10))}\u00a0Ko`
          : `${bytes}\u00a0octets`,
  },
  errors: {
    network: 'Le serveur est injoignable. Vérifiez votre connexion et réessayez.',
    unexpected: 'Une erreur inattendue est survenue. Réessayez dans un instant.',
    invalidResponse: 'Réponse inattendue du serveur.',
    sessionExpired: 'Votre session a expiré. Veuillez vous reconnecter.',
    notFoundTitle: 'Page introuvable',
    notFoundText: "Cette page n’existe pas ou vous n’y avez pas accès.",
    backHome: "Retour à l’accueil",
  },
  common: {
    actionsFor: (name: string) => `Actions pour ${name}`,
    save: 'Enregistrer',
    cancel: 'Annuler',
    confirm: 'Confirmer',
    close: 'Fermer',
    edit: 'Modifier',
    create: 'Créer',
    saving: 'Enregistrement…',
    saved: 'Modifications enregistrées.',
    required: 'obligatoire',
    optional: 'facultatif',
    none: '—',
    loading: 'Chargement…',
  },
  roles: {
    coordinateur: 'Coordinateur·rice',
    membre: 'Membre',
    partenaire: 'Partenaire',
  } as Record<string, string>,
  status: {
    active: 'Actif',
    pending: 'En attente de validation',
  } as Record<string, string>,
  channel: {
    visibility: { public: 'Public', private: 'Privé' } as Record<string, string>,
    kind: { standard: 'Standard', announcement: 'Annonces', direct: 'Conversation directe' } as Record<
      string,
      string
    >,
    iconPublic: 'Canal public',
    iconPrivate: 'Canal privé',
    iconAnnouncement: "Canal d’annonces",
    archivedBanner: 'Ce canal est archivé : il reste consultable mais ne reçoit plus de nouveaux messages.',
    archivedBadge: 'Archivé',
    noTopic: 'Pas de sujet défini.',
    in: 'Dans',
    members: 'Membres',
    membersCount: (n: number) => (n <= 1 ? `${n} membre` : `${n} membres`),
    noMembers: "Aucun membre pour l’instant.",
    join: 'Rejoindre',
    leave: 'Quitter le canal',
    joined: 'Vous avez rejoint ce canal.',
    notMember: "Vous n’êtes pas membre de ce canal.",
    announcementOnly: 'Seule la coordination publie dans ce canal.',
    manage: 'Gestion du canal',
    rename: 'Renommer',
    newName: 'Nouveau nom',
    name: 'Nom du canal',
    topic: 'Sujet',
    changeTopic: 'Modifier le sujet',
    archive: 'Archiver',
    unarchive: 'Désarchiver',
    actions: 'Actions sur le canal',
    showMembers: 'Afficher les membres',
    archiveTitle: 'Archiver le canal',
    archiveConfirm: (name: string) =>
      `Archiver #${name} ? Il restera consultable, en lecture seule : plus personne ne pourra y écrire.`,
    makePrivate: 'Rendre privé',
    makePublic: 'Rendre public',
    makePrivateTitle: 'Rendre le canal privé',
    makePublicTitle: 'Rendre le canal public',
    makePrivateConfirm: (name: string, inGroup: boolean) =>
      `Rendre #${name} privé ? Seuls ses membres actuels le verront désormais, avec tout son historique : les autres membres ${inGroup ? 'du groupe' : 'de la CPTS'} le perdent aussitôt de leur liste et de leur recherche, et ne reçoivent plus ses messages. Vous en restez membre, et pourrez y ajouter des personnes une à une.`,
    makePublicConfirm: (name: string, inGroup: boolean) =>
      `Rendre #${name} public ? Tous les membres ${inGroup ? 'du groupe' : 'de la CPTS'} pourront le voir, lire tout son historique, le retrouver dans la recherche et le rejoindre. Ses membres actuels le restent.`,
    madePrivate: 'Le canal est désormais privé.',
    madePublic: 'Le canal est désormais public.',
    addMember: 'Ajouter un membre',
    addMemberLabel: 'Personne à ajouter',
    addMemberPlaceholder: 'Choisir une personne…',
    noCandidate: 'Toutes les personnes pouvant être ajoutées sont déjà membres.',
    added: 'Membre ajouté.',
    remove: 'Retirer',
    removeConfirm: (name: string) => `Retirer ${name} de ce canal ?`,
    leaveConfirm: 'Quitter ce canal ? Vous pourrez le rejoindre à nouveau s’il est public.',
  },
  chat: {
    region: (name: string) => `Messages de ${name}`,
    loadingMessages: 'Chargement des messages…',
    loadFailed: 'Impossible de charger les messages.',
    empty: 'Aucun message pour l’instant. Écrivez le premier !',
    loadOlder: 'Messages plus anciens',
    loadingOlder: 'Chargement de l’historique…',
    historyStart: 'Début de la conversation.',
    newMessages: 'Nouveaux messages',
    jumpToLatest: 'Aller aux derniers messages',
    newBelow: (n: number) => (n > 1 ? `${n} nouveaux messages` : '1 nouveau message'),
    today: "Aujourd’hui",
    yesterday: 'Hier',
    todayAt: (time: string) => `aujourd’hui à ${time}`,
    yesterdayAt: (time: string) => `hier à ${time}`,
    onDayAt: (date: string, time: string) => `le ${date} à ${time}`,
    edited: 'modifié',
    editedTitle: (when: string) => `Modifié le ${when} — voir les versions précédentes`,
    deleted: 'Message supprimé',
    sending: 'Envoi…',
    waitingNetwork: 'En attente du réseau…',
    notSent: 'Non envoyé',
    resend: 'Renvoyer',
    discard: 'Supprimer le brouillon',
    sendTimeout: 'Le serveur n’a pas confirmé la réception.',
    actions: 'Actions sur le message',
    react: 'Réagir',
    addReaction: 'Ajouter une réaction',
    reactionLabel: (emoji: string, n: number, mine: boolean, who: string) =>
      `${emoji} : ${n} ${n > 1 ? 'réactions' : 'réaction'}${who ? ` (${who})` : ''}${mine ? ', dont la vôtre : cliquer pour la retirer' : ''}`,
    reactedBy: (emoji: string, who: string) => (who ? `${emoji} ${who}` : emoji),
    /** "A", "A et B", "A, B et C". */
    listNames: (names: readonly string[]) =>
      names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} et ${names[names.length - 1]}`,
    youLower: 'vous',
    reply: 'Répondre dans un fil',
    replies: (n: number) => (n > 1 ? `${n} réponses` : `${n} réponse`),
    lastReply: (when: string) => `Dernière réponse ${when}`,
    edit: 'Modifier',
    editLabel: 'Modifier le message',
    editHint: 'Entrée pour enregistrer, Échap pour annuler',
    delete: 'Supprimer',
    deleteTitle: 'Supprimer le message',
    deleteConfirm: 'Supprimer ce message ? Il sera remplacé par « Message supprimé » pour tout le monde.',
    historyTitle: 'Versions précédentes',
    historyEmpty: 'Aucune version précédente.',
    historyVersion: (when: string) => `Version du ${when}`,
    currentVersion: 'Version actuelle',
    author: (name: string, profession: string) => (profession ? `${name}, ${profession}` : name),
    listKeys: 'Flèches haut et bas pour passer d’un message à l’autre, Tab pour ses actions, Échap pour revenir à la saisie.',
    unknownAuthor: 'Utilisateur inconnu',
    you: 'Vous',
  },
  composer: {
    /** A channel: "Écrire dans général"; a direct conversation: "Écrire à Julien Perrin". */
    label: (name: string, direct = false) => (direct ? `Écrire à ${name}` : `Écrire dans ${name}`),
    placeholder: (name: string, direct = false) => (direct ? `Écrire à ${name}…` : `Écrire dans #${name}…`),
    replyPlaceholder: 'Répondre dans le fil…',
    send: 'Envoyer',
    hint: 'Entrée pour envoyer, Maj+Entrée pour aller à la ligne. Markdown : **gras**, _italique_, `code`, > citation, - liste. @ pour mentionner.',
    emoji: 'Insérer un emoji',
    emojiPicker: 'Emoji',
    tooLong: (n: number, max: number) => `Message trop long : ${n} caractères sur ${max}.`,
    mentionList: 'Suggestions de mention',
    mentionChannel: 'Tout le canal',
    mentionProfession: (label: string) => `Toute la profession : ${label}`,
    announcementOnly: 'Seule la coordination publie dans ce canal d’annonces.',
    archived: 'Ce canal est archivé : il est en lecture seule.',
    notMember: 'Rejoignez ce canal pour y écrire.',
  },
  typing: {
    one: (a: string) => `${a} écrit…`,
    two: (a: string, b: string) => `${a} et ${b} écrivent…`,
    many: (n: number) => `${n} personnes écrivent…`,
    someone: 'Quelqu’un',
  },
  presence: {
    online: 'En ligne',
    offline: 'Hors ligne',
  },
  connection: {
    reconnecting: 'Connexion perdue. Reconnexion…',
    offline: 'Hors ligne. Reconnexion… dès le retour du réseau.',
    tooManyTabs: 'Trop d’onglets e-CPTS ouverts : fermez-en quelques-uns. Nouvel essai dans une minute.',
    pendingHint: 'Vos messages seront envoyés au retour de la connexion.',
    revokedRemoved: 'Vous n’avez plus accès à ce canal.',
    revokedArchived: 'Ce canal vient d’être archivé.',
    revokedPrivate: 'Ce canal vient d’être rendu privé : vous n’en êtes pas membre, vous n’y avez donc plus accès.',
  },
  threads: {
    panel: 'Fil de discussion',
    messages: 'Message et réponses du fil',
    close: 'Fermer le fil',
    follow: 'Suivre',
    unfollow: 'Ne plus suivre',
    followHelp: 'Recevoir les nouvelles réponses de ce fil',
    following: 'Vous suivez ce fil',
    noReply: 'Pas encore de réponse.',
    rootMissing: 'Ce fil est introuvable.',
    followedTitle: 'Fils suivis',
    followedIntro: 'Les fils de discussion que vous suivez, les plus récents d’abord.',
    followedEmpty: 'Vous ne suivez aucun fil pour l’instant.',
    repliesTitle: 'Réponses à mes messages',
    repliesIntro: 'Les réponses dans les fils que vous avez lancés, et celles qui suivent votre réponse dans les autres fils.',
    repliesEmpty: 'Personne n’a encore répondu à vos messages.',
    open: 'Ouvrir le fil',
    inChannel: (name: string) => `dans ${name}`,
    unread: (n: number) => (n > 1 ? `${n} non lues` : `${n} non lue`),
  },
  conversations: {
    title: 'Conversations',
    new: 'Nouvelle conversation',
    empty: 'Aucune conversation.',
    noPeer:
      'Une conversation directe réunit des personnes qui partagent une CPTS ou un groupe. Personne ne partage encore d’espace avec vous.',
    dialogTitle: 'Nouvelle conversation',
    dialogIntro: 'Choisissez de 1 à 7 personnes qui partagent une CPTS ou un groupe avec vous.',
    search: 'Rechercher une personne',
    searchPlaceholder: 'Nom, profession, commune…',
    selected: (n: number) => (n > 1 ? `${n} personnes choisies` : `${n} personne choisie`),
    tooMany: 'Une conversation réunit au plus 8 personnes (vous et 7 autres).',
    start: 'Ouvrir la conversation',
    noResult: 'Aucune personne ne correspond.',
    participants: 'Participants',
    leave: 'Quitter la conversation',
    leaveConfirm: 'Quitter cette conversation ? Vous ne verrez plus ses messages.',
    notFound: 'Cette conversation est introuvable.',
    with: (names: string) => `Avec ${names}`,
    readOnly: (names: string) =>
      `Cette conversation est en lecture seule : vous ne partagez plus de CPTS ou de groupe avec ${names}.`,
  },
  profileCard: {
    commune: 'Commune',
    cpts: 'CPTS',
    rpps: 'RPPS',
    loading: 'Chargement du profil…',
    message: 'Envoyer un message',
    open: (name: string) => `Voir le profil de ${name}`,
  },
  emoji: {
    search: 'Rechercher un emoji',
    recent: 'Récents',
    common: 'Fréquents',
    categories: 'Catégories',
    loading: 'Chargement des emoji…',
    loadFailed: 'Impossible de charger la liste des emoji.',
    none: 'Aucun emoji ne correspond.',
    results: (n: number) => (n > 1 ? `${n} emoji trouvés` : n === 1 ? '1 emoji trouvé' : 'Aucun emoji trouvé'),
  },
  unread: {
    badge: (n: number) => (n > 1 ? `${n} messages non lus` : `${n} message non lu`),
    mentions: (n: number) => (n > 1 ? `${n} mentions` : `${n} mention`),
  },
  login: {
    title: 'Connexion',
    intro: 'Connectez-vous avec votre adresse e-mail professionnelle.',
    email: 'Adresse e-mail',
    password: 'Mot de passe',
    submit: 'Se connecter',
    submitting: 'Connexion…',
    invitedHint:
      "Vous avez reçu une invitation ? Ouvrez le lien de l’e-mail pour créer votre compte.",
  },
  search: {
    label: 'Rechercher',
    placeholder: 'Rechercher (Ctrl+K)',
    hint: 'Opérateurs\u00a0: de:@nom, dans:~canal, avant:AAAA-MM-JJ, après:AAAA-MM-JJ, "expression exacte", -exclure',
    typeFilter: 'Type',
    allTypes: 'Tout',
    filters: 'Filtres',
    cpts: 'CPTS',
    group: 'Groupe',
    profession: 'Profession de l’auteur',
    mission: 'Mission',
    campaign: 'Campagne',
    status: 'Statut du protocole',
    from: 'Du',
    to: 'Au',
    any: 'Tous',
    anyFeminine: 'Toutes',
    clearFilters: 'Effacer les filtres',
    loading: 'Recherche…',
    none: 'Aucun résultat.',
    tooShort: 'Tapez au moins 2 caractères.',
    results: (n: number) => (n === 1 ? '1 résultat' : `${n.toLocaleString('fr-FR')} résultats`),
    more: (n: number) => `et ${n.toLocaleString('fr-FR')} de plus…`,
    inChannel: (name: string) => `dans ~${name}`,
    direct: 'conversation directe',
    inThread: 'dans un fil',
    unknownOperators: (names: string) => `Filtre inconnu, cherché comme texte\u00a0: ${names}`,
    types: {
      message: 'Messages',
      post: 'Publications',
      protocol: 'Protocoles',
      material: 'Documents de prévention',
      person: 'Personnes',
      channel: 'Canaux',
    } as Record<string, string>,
  },
  shell: {
    menu: 'Menu',
    closeMenu: 'Fermer le menu',
    userMenu: 'Menu du compte',
    profile: 'Mon profil',
    logout: 'Se déconnecter',
    home: 'Accueil',
    directory: 'Annuaire',
    admin: 'Administration',
    groups: 'Groupes',
    noGroup: "Aucun groupe pour l’instant.",
    noChannel: "Aucun canal pour l’instant.",
    browse: 'Parcourir les canaux',
    noBrowse: 'Aucun autre canal public à rejoindre.',
    noGroupOutside: 'Les groupes s’ouvrent à leurs membres.',
    noBrowseOutside: 'Les canaux d’une CPTS s’ouvrent à ses membres.',
    platform: 'Plateforme',
    membersOnly: 'Conversations réservées aux membres.',
    interCpts: 'inter-CPTS',
    pendingShort: 'Adhésion en attente de validation',
    mainNav: 'Navigation principale',
    loadFailed: 'Impossible de charger vos espaces.',
    followedThreads: 'Fils suivis',
    myReplies: 'Réponses à mes messages',
    /** Read by screen readers after "Menu" on a phone when something is unread. */
    menuUnread: (n: number, mentions: number, waiting = 0) =>
      [
        n > 0 ? (n > 1 ? `${n} messages non lus` : '1 message non lu') : '',
        mentions > 0 ? (mentions > 1 ? `${mentions} mentions` : '1 mention') : '',
        waiting > 0 ? (waiting > 1 ? `${waiting} adhésions à valider` : '1 adhésion à valider') : '',
      ]
        .filter(Boolean)
        .join(', '),
  },
  home: {
    title: 'Accueil',
    welcome: (name: string) => `Bonjour ${name}`,
    myCpts: 'Mes CPTS',
    myGroups: 'Mes groupes',
    noCpts: "Vous n’êtes membre d’aucune CPTS pour l’instant.",
    pendingNotice: (cpts: string) =>
      `Votre adhésion à ${theCpts(cpts)} est en attente de validation par la coordination. Vous verrez ses canaux dès qu’elle sera validée.`,
    role: 'Rôle',
    department: 'Département',
    communes: 'Communes',
    participants: 'CPTS participantes',
    openGroup: 'Ouvrir le groupe',
    adminLink: 'Administrer',
  },
  directory: {
    title: 'Annuaire',
    intro: 'Qui fait quoi sur votre territoire.',
    filters: 'Filtres',
    profession: 'Profession',
    allProfessions: 'Toutes les professions',
    commune: 'Commune',
    cpts: 'CPTS',
    allCpts: 'Toutes mes CPTS',
    search: 'Recherche libre',
    searchPlaceholder: 'Nom, profession, commune…',
    name: 'Nom',
    results: (n: number) => (n <= 1 ? `${n} professionnel` : `${n} professionnels`),
    empty: 'Aucun professionnel ne correspond à ces critères.',
    outside:
      'L’annuaire présente les professionnels des CPTS dont vous êtes membre. Il se remplira dès que la coordination aura validé votre adhésion.',
    outsideAdmin:
      'L’annuaire présente les professionnels des CPTS dont on est membre. Votre compte administre la plateforme sans être membre d’une CPTS : les membres de chaque CPTS sont listés dans son administration.',
    toPlatform: 'Voir les CPTS de la plateforme',
    reset: 'Effacer les filtres',
  },
  admin: {
    title: (cpts: string) => `Administration — ${cpts}`,
    notCoordinator: 'Cette page est réservée à la coordination de la CPTS.',
    notPlatformAdmin: 'Cette page est réservée à l’administration de la plateforme.',
    tabs: { cpts: 'CPTS', members: 'Membres', invitations: 'Invitations', groups: 'Groupes', channels: 'Canaux' },
    members: {
      name: 'Nom',
      email: 'E-mail',
      profession: 'Profession',
      role: 'Rôle',
      status: 'Statut',
      actions: 'Actions',
      validate: 'Valider',
      validated: (name: string) => `L’adhésion de ${name} est validée.`,
      changeRole: (name: string) => `Rôle de ${name}`,
      roleChanged: 'Rôle mis à jour.',
      remove: 'Retirer',
      removeTitle: 'Retirer un membre',
      removeConfirm: (name: string) =>
        `Retirer ${name} de la CPTS ? Cette personne perdra immédiatement l’accès à ses canaux et groupes.`,
      removed: (name: string) => `${name} ne fait plus partie de la CPTS.`,
      empty: "Aucun membre pour l’instant.",
      you: '(vous)',
    },
    invitations: {
      formTitle: 'Inviter un professionnel',
      email: 'Adresse e-mail',
      role: 'Rôle',
      submit: "Envoyer l’invitation",
      sent: (email: string) => `Invitation envoyée à ${email}.`,
      listTitle: 'Invitations en attente',
      empty: 'Aucune invitation en attente.',
      createdAt: 'Envoyée le',
      expiresAt: 'Expire le',
      revoke: 'Révoquer',
      revokeTitle: 'Révoquer une invitation',
      revokeConfirm: (email: string) => `Révoquer l’invitation envoyée à ${email} ? Le lien ne fonctionnera plus.`,
      revoked: 'Invitation révoquée.',
    },
    groups: {
      formTitle: 'Créer un groupe',
      name: 'Nom du groupe',
      description: 'Description',
      inviteCpts: 'Inviter d’autres CPTS (groupe inter-CPTS)',
      noOtherCpts: 'Aucune autre CPTS sur la plateforme.',
      submit: 'Créer le groupe',
      created: (name: string) => `Groupe « ${name} » créé.`,
      listTitle: 'Groupes de la CPTS',
      empty: "Aucun groupe pour l’instant.",
      owner: 'Propriétaire',
    },
    channels: {
      formTitle: 'Créer un canal',
      name: 'Nom du canal',
      topic: 'Sujet',
      visibility: 'Visibilité',
      kind: 'Type',
      place: 'Emplacement',
      placeCpts: (name: string) => `${name} (toute la CPTS)`,
      placeGroup: (name: string) => `Groupe : ${name}`,
      submit: 'Créer le canal',
      created: (name: string) => `Canal « ${name} » créé.`,
      listTitle: 'Canaux de la CPTS et de ses groupes',
      empty: "Aucun canal pour l’instant.",
      renamed: 'Canal renommé.',
      archived: 'Canal archivé.',
      unarchived: 'Canal désarchivé.',
      visibilityHelp: {
        public: 'Tout membre peut le rejoindre.',
        private: 'Sur invitation uniquement.',
      } as Record<string, string>,
      kindHelp: {
        standard: 'Tout le monde peut écrire.',
        announcement: 'Seule la coordination publie.',
      } as Record<string, string>,
    },
  },
  todo: {
    title: 'À traiter',
    nothing: 'Rien à traiter pour l’instant : vous êtes à jour.',
    mentions: (n: number) => (n > 1 ? `${n} mentions non lues` : '1 mention non lue'),
    threads: 'Fils avec de nouvelles réponses',
    newReplies: (n: number) => (n > 1 ? `${n} nouvelles réponses` : '1 nouvelle réponse'),
    inChannel: (name: string) => `dans #${name}`,
    inConversation: (names: string) => `conversation avec ${names}`,
    inDirect: 'conversation directe',
  },
  waiting: {
    badge: (n: number) => (n > 1 ? `${n} adhésions à valider` : '1 adhésion à valider'),
    title: 'Adhésions à valider',
    intro: 'Ces personnes ont accepté leur invitation et attendent votre validation pour accéder aux canaux.',
    validate: 'Valider',
    validateLabel: (name: string) => `Valider l’adhésion de ${name}`,
    refuse: 'Refuser',
    refuseLabel: (name: string) => `Refuser l’adhésion de ${name}`,
    refuseTitle: 'Refuser une adhésion',
    refuseConfirm: (name: string, cpts: string) =>
      `Refuser l’adhésion de ${name} à ${theCpts(cpts)} ? Cette personne n’aura pas accès à ses canaux ; une nouvelle invitation restera possible.`,
    validated: (name: string) => `L’adhésion de ${name} est validée.`,
    refused: (name: string) => `L’adhésion de ${name} est refusée.`,
    since: (date: string) => `depuis le ${date}`,
  },
  platform: {
    title: 'Administration de la plateforme',
    intro:
      'Vous créez les CPTS, décrivez leur territoire et nommez leur coordination. Les conversations d’une CPTS ne sont visibles que par ses membres : vous en voyez les chiffres, pas le contenu.',
    listTitle: 'CPTS de la plateforme',
    empty: 'Aucune CPTS pour l’instant : créez la première ci-dessous.',
    columns: {
      name: 'CPTS',
      department: 'Département',
      members: 'Membres',
      pending: 'En attente',
      channels: 'Canaux',
      groups: 'Groupes',
      actions: 'Actions',
    },
    manage: 'Gérer',
    manageLabel: (name: string) => `Gérer ${theCpts(name)}`,
    createTitle: 'Créer une CPTS',
    createSubmit: 'Créer la CPTS',
    created: (name: string) => `${capitalize(theCpts(name))} est créée. Nommez maintenant sa coordination.`,
    form: {
      name: 'Nom de la CPTS',
      department: 'Département',
      departmentHint: 'Numéro du département : 42, 2A, 974…',
      communes: 'Communes du territoire',
      communesHint: 'Une commune par ligne, ou séparées par des virgules.',
      missions: 'Missions',
    },
    editTitle: 'Informations de la CPTS',
    editSubmit: 'Enregistrer',
    updated: 'Informations enregistrées.',
    coordinatorTitle: 'Nommer la coordination',
    coordinatorIntro:
      'Invitez la personne qui coordonnera la CPTS : elle recevra un e-mail pour créer son compte et pourra ensuite inviter et valider les membres.',
    coordinatorEmail: 'Adresse e-mail de la coordination',
    coordinatorSubmit: 'Envoyer l’invitation',
    coordinatorSent: (email: string) => `Invitation de coordination envoyée à ${email}.`,
    membersOnly: 'Les conversations de cette CPTS ne sont visibles que par ses membres.',
    channelsCount: (n: number) => (n > 1 ? `${n} canaux` : `${n} canal`),
    groupsCount: (n: number) => (n > 1 ? `${n} groupes` : `${n} groupe`),
    membersCount: (n: number) => (n > 1 ? `${n} membres` : `${n} membre`),
    pendingCount: (n: number) => (n > 1 ? `${n} adhésions en attente` : `${n} adhésion en attente`),
    home: 'Votre espace d’administration',
    openPlatform: 'Ouvrir l’administration de la plateforme',
  },
  group: {
    participating: 'CPTS participantes',
    members: 'Membres du groupe',
    channels: 'Canaux du groupe',
    noDescription: 'Pas de description.',
    owner: 'propriétaire',
    manage: 'Gestion du groupe',
    addMember: 'Ajouter un membre',
    fromCpts: 'Depuis la CPTS',
    person: 'Personne',
    choosePerson: 'Choisir une personne…',
    noCandidate: 'Tous les membres de cette CPTS font déjà partie du groupe.',
    add: 'Ajouter',
    added: 'Membre ajouté au groupe.',
    inviteCpts: 'Inviter une autre CPTS',
    chooseCpts: 'Choisir une CPTS…',
    invite: 'Inviter',
    invited: 'CPTS invitée dans le groupe.',
    noOtherCpts: 'Toutes les CPTS participent déjà.',
    createChannel: 'Créer un canal dans le groupe',
    edit: 'Modifier le groupe',
    updated: 'Groupe mis à jour.',
    removeMember: 'Retirer',
    removeConfirm: (name: string) => `Retirer ${name} du groupe ?`,
  },
  invitation: {
    loading: "Vérification de l’invitation…",
    title: (cpts: string) => `Rejoindre ${theCpts(cpts)}`,
    summary: (inviter: string, role: string) => `${inviter} vous invite à la rejoindre en tant que ${role}.`,
    forEmail: 'Invitation pour',
    expiresAt: 'Valable jusqu’au',
    name: 'Nom complet',
    profession: 'Profession',
    chooseProfession: 'Choisir votre profession…',
    idKind: 'Identifiant professionnel (facultatif)',
    idNone: 'Aucun',
    rpps: 'RPPS',
    adeli: 'ADELI',
    rppsNumber: 'Numéro RPPS (11 chiffres)',
    adeliNumber: 'Numéro ADELI (9 chiffres)',
    commune: "Commune d’exercice",
    submit: 'Créer mon compte et rejoindre',
    submitting: 'Création du compte…',
    existingAccount: 'Un compte existe déjà pour cette adresse.',
    loginFirst: 'Connectez-vous avec ce compte pour accepter l’invitation.',
    loginToAccept: 'Se connecter pour accepter',
    accept: "Accepter l’invitation",
    wrongAccount: (email: string) =>
      `Un autre compte est connecté ici. Déconnectez-vous puis connectez-vous avec ${email}.`,
    doneTitle: 'Bienvenue sur e-CPTS',
    doneActive: (cpts: string) => `Vous êtes maintenant membre de ${theCpts(cpts)}.`,
    donePending: 'Votre adhésion est en attente de validation par la coordination.',
    donePendingMore: 'Vous recevrez l’accès aux canaux de la CPTS dès que la coordination aura validé votre adhésion.',
    goHome: "Aller à l’accueil",
    usedTitle: 'Invitation déjà utilisée',
    usedText: 'Cette invitation a déjà été acceptée. Connectez-vous avec votre compte.',
    expiredTitle: 'Invitation expirée',
    expiredText: 'Cette invitation a expiré. Demandez à la coordination de votre CPTS de vous en envoyer une nouvelle.',
    revokedTitle: 'Invitation annulée',
    revokedText: 'Cette invitation a été annulée par la coordination. Demandez-en une nouvelle si besoin.',
    notFoundTitle: 'Invitation introuvable',
    notFoundText: "Ce lien d’invitation n’est pas valide ou a été révoqué.",
    goLogin: 'Aller à la connexion',
  },
  newPassword: {
    password: 'Mot de passe',
    confirm: 'Confirmation du mot de passe',
    rule: 'Au moins 10 caractères, dont une lettre et un chiffre ou symbole.',
    mismatch: 'Les deux mots de passe ne correspondent pas.',
  },
  passwordSetup: {
    loading: 'Vérification du lien…',
    title: 'Choisir votre mot de passe',
    summary: 'Votre compte d’administrateur de la plateforme e-CPTS a été créé. Choisissez le mot de passe qui vous servira à vous connecter.',
    forEmail: 'Compte',
    name: 'Nom',
    expiresAt: 'Lien valable jusqu’au',
    submit: 'Enregistrer le mot de passe et me connecter',
    submitting: 'Enregistrement…',
    expiredTitle: 'Lien expiré',
    expiredText: 'Ce lien a expiré. Demandez à un administrateur de la plateforme de recréer votre compte.',
    notFoundTitle: 'Lien non valable',
    notFoundText: 'Ce lien n’est pas (ou plus) valable : il a peut-être déjà servi. Si vous avez déjà choisi votre mot de passe, connectez-vous.',
    goLogin: 'Aller à la connexion',
  },
  profile: {
    title: 'Mon profil',
    identity: 'Informations professionnelles',
    email: 'Adresse e-mail',
    name: 'Nom complet',
    profession: 'Profession',
    rpps: 'Numéro RPPS (11 chiffres)',
    adeli: 'Numéro ADELI (9 chiffres)',
    commune: "Commune d’exercice",
    saved: 'Profil enregistré.',
    passwordTitle: 'Changer de mot de passe',
    currentPassword: 'Mot de passe actuel',
    newPassword: 'Nouveau mot de passe',
    newPasswordConfirm: 'Confirmation du nouveau mot de passe',
    passwordChanged: 'Mot de passe modifié. Vos autres sessions ont été fermées.',
    changePassword: 'Changer le mot de passe',
    memberships: 'Mes adhésions',
    titleForm: 'Forme de mon titre',
    titleForms: { feminin: 'Au féminin', masculin: 'Au masculin', inclusif: 'Forme inclusive' },
    titleFormHint: 'Votre profession et votre rôle s’affichent sous cette forme à côté de votre nom.',
  },
} as const;

/** Label of a role code, falling back to the code itself. */
export function roleLabel(role: string | undefined): string {
  if (!role) return '';
  return fr.roles[role] ?? role;
}

/** Label of a membership status code. */
export function statusLabel(status: string | undefined): string {
  if (!status) return '';
  return fr.status[status] ?? status;
}

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long' });
const dateTimeFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short' });

/** Formats an ISO date for display ("12 mars 2026"); empty when invalid. */
export function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : dateFormat.format(d);
}

/** Formats an ISO date-time for display. */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : dateTimeFormat.format(d);
}

const timeFormat = new Intl.DateTimeFormat('fr-FR', { timeStyle: 'short' });
const shortDateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium' });
const dayFormat = new Intl.DateTimeFormat('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** "14:05" for an ISO date-time; empty when invalid. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : timeFormat.format(d);
}

/** "aujourd’hui à 14:05", "hier à 09:10", else "le 12 mars 2026 à 14:05". */
export function formatWhen(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const key = dayKey(iso);
  if (key === dayKey(now.toISOString())) return fr.chat.todayAt(timeFormat.format(d));
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (key === dayKey(y.toISOString())) return fr.chat.yesterdayAt(timeFormat.format(d));
  return fr.chat.onDayAt(shortDateFormat.format(d), timeFormat.format(d));
}

/** Local calendar day key ("2026-3-12") of an ISO date-time. */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** Day separator label: "Aujourd'hui", "Hier" or "jeudi 12 mars 2026". */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const key = dayKey(iso);
  if (key === dayKey(now.toISOString())) return fr.chat.today;
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (key === dayKey(y.toISOString())) return fr.chat.yesterday;
  const s = dayFormat.format(d);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "Sophie écrit…" for the names of the people typing. */
export function typingLine(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return fr.typing.one(names[0]!);
  if (names.length === 2) return fr.typing.two(names[0]!, names[1]!);
  return fr.typing.many(names.length);
}
