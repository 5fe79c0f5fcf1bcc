package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// LoadLibrary writes the demo protocol library through core, as its
// authors, reviewers and coordinators would: seven fictional protocols of
// CPTS Loire Nord in every state, one shared with Val de Cher, one
// platform-wide, one past its review date, with reviews and
// acknowledgements. Call it once, after Load filled the database.
func LoadLibrary(ctx context.Context, st *store.Store, c *core.Core) error {
	l := &library{ctx: ctx, st: st, c: c, sess: map[string]model.Session{}}
	for _, email := range []string{
		"coordination@loire-nord.demo", "infirmiere@loire-nord.demo", "kine@loire-nord.demo",
		"pharmacie@loire-nord.demo", "sage-femme@loire-nord.demo", "pharmacien@val-de-cher.demo",
		"coordination@val-de-cher.demo", "medecin@val-de-cher.demo",
	} {
		u, err := st.Users.ByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("demo library: %w", err)
		}
		l.sess[email] = model.Session{UserID: u.ID}
	}
	cs, err := st.CPTS.List(ctx)
	if err != nil {
		return fmt.Errorf("demo library: %w", err)
	}
	for _, x := range cs {
		switch x.Name {
		case "CPTS Loire Nord":
			l.ln = x.ID
		case "CPTS Val de Cher":
			l.vc = x.ID
		}
	}
	l.run()
	return l.err
}

type library struct {
	ctx    context.Context
	st     *store.Store
	c      *core.Core
	sess   map[string]model.Session
	ln, vc model.CPTSID
	err    error
}

const (
	coordLN  = "coordination@loire-nord.demo"
	ideLN    = "infirmiere@loire-nord.demo"
	kineLN   = "kine@loire-nord.demo"
	pharmaLN = "pharmacie@loire-nord.demo"
	sfLN     = "sage-femme@loire-nord.demo"
	pharmaVC = "pharmacien@val-de-cher.demo"
	coordVC  = "coordination@val-de-cher.demo"
	mgVC     = "medecin@val-de-cher.demo"
)

func (l *library) uid(email string) model.UserID { return l.sess[email].UserID }

func (l *library) create(author string, in core.ProtocolInput) model.ProtocolID {
	if l.err != nil {
		return ""
	}
	in.CPTSID = l.ln
	d, err := l.c.CreateProtocol(l.ctx, l.sess[author], in)
	if err != nil {
		l.err = fmt.Errorf("demo library: %s: %w", in.Title, err)
		return ""
	}
	return d.ID
}

func (l *library) step(what string, f func() error) {
	if l.err == nil {
		if err := f(); err != nil {
			l.err = fmt.Errorf("demo library: %s: %w", what, err)
		}
	}
}

func (l *library) submit(id model.ProtocolID, by string, reviewers ...string) {
	l.step("submit", func() error {
		var rs []model.UserID
		for _, r := range reviewers {
			rs = append(rs, l.uid(r))
		}
		_, err := l.c.SubmitProtocol(l.ctx, l.sess[by], id, rs)
		return err
	})
}

func (l *library) review(id model.ProtocolID, who string, version int, d model.ReviewDecision, comment string) {
	l.step("review", func() error {
		_, err := l.c.ReviewProtocol(l.ctx, l.sess[who], id, version, d, comment)
		return err
	})
}

func (l *library) validate(id model.ProtocolID) {
	l.step("validate", func() error { _, err := l.c.ValidateProtocol(l.ctx, l.sess[coordLN], id); return err })
}

func (l *library) edit(id model.ProtocolID, by, body, note string) {
	l.step("edit", func() error {
		_, err := l.c.UpdateProtocol(l.ctx, l.sess[by], id, core.ProtocolPatch{Body: &body, Note: note})
		return err
	})
}

func (l *library) ack(id model.ProtocolID, version int, who ...string) {
	for _, w := range who {
		l.step("ack", func() error { _, err := l.c.AckProtocol(l.ctx, l.sess[w], id, version); return err })
	}
}

// inDays is the day n days from today (Europe/Paris is close enough for
// demo data: a day either way does not matter).
func inDays(n int) model.Date { return model.DateOf(time.Now().AddDate(0, 0, n)) }

func (l *library) run() {
	// 1. Cystite: validated, shared with Val de Cher, acknowledged there too.
	cystite := l.create(pharmaLN, core.ProtocolInput{
		Title: "Cystite aiguë simple de la femme : prise en charge par le pharmacien", Body: bodyCystite,
		Missions:    []model.Mission{model.MissionAcces, model.MissionQualite},
		Professions: []model.Profession{"pharmacien", "medecin_generaliste"}, ReviewDate: inDays(540),
		Visibility: model.SharingListed, SharedWith: []model.CPTSID{l.vc},
	})
	l.submit(cystite, pharmaLN, coordLN, ideLN)
	l.review(cystite, coordLN, 1, model.ReviewApprove, "")
	l.review(cystite, ideLN, 1, model.ReviewApprove, "Clair et applicable à l'officine.")
	l.validate(cystite)
	l.ack(cystite, 1, coordLN, pharmaVC)

	// 2. Insuffisance cardiaque: in review, one reviewer approved, one not yet.
	ic := l.create(coordLN, core.ProtocolInput{
		Title: "Sortie d'hospitalisation du patient insuffisant cardiaque", Body: bodyIC,
		Missions:    []model.Mission{model.MissionParcours},
		Professions: []model.Profession{"medecin_generaliste", "infirmier", "pharmacien", "masseur_kinesitherapeute"},
		ReviewDate:  inDays(700),
	})
	l.submit(ic, coordLN, ideLN, pharmaLN, kineLN)
	l.review(ic, ideLN, 1, model.ReviewApprove, "")
	l.review(ic, kineLN, 1, model.ReviewChangesRequested, "Ajouter la réadaptation cardiaque et le seuil de prise de poids (2 kg en 3 jours).")

	// 3. Plaies chroniques: a draft.
	l.create(ideLN, core.ProtocolInput{
		Title: "Plaies chroniques : ulcère de jambe et escarre à domicile", Body: bodyPlaies,
		Missions:    []model.Mission{model.MissionParcours, model.MissionQualite},
		Professions: []model.Profession{"infirmier", "medecin_generaliste", "pharmacien"}, ReviewDate: inDays(730),
	})

	// 4. Vaccination antigrippale: changes requested on version 1,
	// version 2 approved and validated; platform-wide.
	grippe := l.create(ideLN, core.ProtocolInput{
		Title: "Vaccination antigrippale par l'infirmier", Body: bodyGrippeV1,
		Missions:    []model.Mission{model.MissionPrevention},
		Professions: []model.Profession{"infirmier", "pharmacien", "medecin_generaliste"}, ReviewDate: inDays(300),
		Visibility: model.SharingPlatform,
	})
	l.submit(grippe, ideLN, coordLN, pharmaLN)
	l.review(grippe, pharmaLN, 1, model.ReviewChangesRequested, "Préciser la traçabilité dans le DMP et Mon espace santé.")
	l.review(grippe, coordLN, 1, model.ReviewApprove, "")
	l.edit(grippe, ideLN, bodyGrippeV2, "Traçabilité DMP et carnet de vaccination")
	l.review(grippe, pharmaLN, 2, model.ReviewApprove, "")
	l.review(grippe, coordLN, 2, model.ReviewApprove, "")
	l.validate(grippe)
	l.ack(grippe, 2, ideLN, pharmaLN, mgVC)

	// 5. AVK/INR: version 1 validated, version 2 in review.
	avk := l.create(coordLN, core.ProtocolInput{
		Title: "Suivi de l'INR des patients sous AVK : infirmier, biologiste, médecin", Body: bodyAVKV1,
		Missions:    []model.Mission{model.MissionParcours, model.MissionQualite},
		Professions: []model.Profession{"infirmier", "medecin_generaliste", "medecin_specialiste"}, ReviewDate: inDays(400),
	})
	l.submit(avk, coordLN, ideLN)
	l.review(avk, ideLN, 1, model.ReviewApprove, "")
	l.validate(avk)
	l.ack(avk, 1, ideLN)
	l.edit(avk, coordLN, bodyAVKV2, "Conduite à tenir pour un INR supérieur à 5")
	l.submit(avk, coordLN, ideLN, pharmaLN)

	// 6. Chutes: validated, past its review date.
	chutes := l.create(kineLN, core.ProtocolInput{
		Title: "Chutes de la personne âgée à domicile : repérage et prévention", Body: bodyChutes,
		Missions:    []model.Mission{model.MissionPrevention, model.MissionParcours},
		Professions: []model.Profession{"masseur_kinesitherapeute", "infirmier", "medecin_generaliste"}, ReviewDate: inDays(200),
	})
	l.submit(chutes, kineLN, ideLN, coordLN)
	l.review(chutes, ideLN, 1, model.ReviewApprove, "")
	l.review(chutes, coordLN, 1, model.ReviewApprove, "")
	l.validate(chutes)
	l.ack(chutes, 1, ideLN, kineLN)
	// Its review date passed: written as it would stand two years on (core
	// refuses a review date before today, rightly).
	l.step("review date of chutes", func() error {
		_, err := l.st.Protocols.Apply(l.ctx, chutes, func(p model.Protocol) (store.ProtocolTransition, error) {
			next := p
			next.ReviewDate = inDays(-20)
			return store.ProtocolTransition{Kind: model.ProtocolEventUpdated, ActorID: l.uid(coordLN), At: time.Now().UTC(),
				Note: "Date de révision fixée lors de la validation initiale", State: next}, nil
		})
		return err
	})

	// 7. Canicule: archived.
	canicule := l.create(coordLN, core.ProtocolInput{
		Title: "Canicule : repérage et suivi des personnes fragiles isolées", Body: bodyCanicule,
		Missions:    []model.Mission{model.MissionCrise},
		Professions: []model.Profession{"infirmier", "medecin_generaliste", "pharmacien"},
	})
	l.submit(canicule, coordLN, ideLN)
	l.review(canicule, ideLN, 1, model.ReviewApprove, "")
	l.validate(canicule)
	l.step("archive", func() error { _, err := l.c.ArchiveProtocol(l.ctx, l.sess[coordLN], canicule); return err })
}

const bodyCystite = `## Objet

Permettre au pharmacien d'officine formé de prendre en charge une cystite aiguë simple de la femme de 16 à 65 ans, après un test urinaire par bandelette, et de délivrer un antibiotique selon ce protocole, en lien avec le médecin traitant.

## Professionnels concernés

- Pharmacien·ne d'officine formé·e au protocole
- Médecin généraliste (médecin traitant de la patiente)

## Patients concernés

### Critères d'inclusion

- Femme de 16 à 65 ans
- Brûlures mictionnelles et/ou pollakiurie, mictions impérieuses depuis moins de 3 jours
- Bandelette urinaire positive (leucocytes et/ou nitrites)

### Critères d'exclusion

- Grossesse possible ou avérée
- Fièvre (≥ 38 °C), frissons, douleur lombaire
- Plus de 3 épisodes dans l'année ou épisode dans le mois précédent
- Homme, enfant, patiente immunodéprimée, sonde urinaire, anomalie connue de l'arbre urinaire

## Conduite à tenir / logigramme

1. Entretien au comptoir, en espace de confidentialité : vérifier tous les critères.
2. Réaliser la bandelette urinaire.
3. Bandelette négative : pas d'antibiotique, conseils, orientation vers le médecin si persistance.
4. Bandelette positive et aucun critère d'exclusion : fosfomycine-trométamol 3 g en dose unique.
5. Conseils : hydratation, mictions régulières ; revenir si pas d'amélioration à 72 heures.
6. Informer le médecin traitant le jour même (messagerie sécurisée).

## Rôle de chaque profession

| Profession | Rôle |
| --- | --- |
| Pharmacien·ne | Repérage, bandelette, délivrance, conseils, information du médecin |
| Médecin généraliste | Référent du protocole, prise en charge des situations exclues et des échecs |

## Orientation et signes d'alerte

- Fièvre, douleur lombaire, vomissements : orientation médicale le jour même.
- Hématurie macroscopique, grossesse : orientation vers le médecin.

## Références

- Recommandations de bonne pratique de la SPILF sur les infections urinaires communautaires (version fictive de démonstration).
- Protocole de coopération national « cystite simple » (texte de démonstration, non opposable).

## Date de révision

À revoir dans 18 mois.
`

const bodyIC = `## Objet

Organiser le retour à domicile du patient hospitalisé pour insuffisance cardiaque, pour éviter une réhospitalisation dans les 30 jours.

## Professionnels concernés

- Médecin généraliste, infirmier·ère libéral·e, pharmacien·ne, masseur-kinésithérapeute

## Patients concernés

### Critères d'inclusion

- Patient sortant d'hospitalisation pour décompensation cardiaque, vivant sur le territoire

### Critères d'exclusion

- Patient entrant en EHPAD ou en soins de suite

## Conduite à tenir / logigramme

1. J0 : la coordination reçoit le courrier de sortie et prévient le médecin traitant.
2. J1-J2 : première visite infirmière : poids, tension, œdèmes, compréhension du traitement.
3. J7 : consultation du médecin traitant.
4. Pesée quotidienne notée dans le carnet de suivi.
5. Conciliation médicamenteuse par le pharmacien dans la semaine.

## Rôle de chaque profession

| Profession | Rôle |
| --- | --- |
| Médecin généraliste | Consultation à J7, adaptation du diurétique |
| Infirmier·ère | Surveillance à domicile, éducation |
| Pharmacien·ne | Conciliation médicamenteuse, observance |
| Masseur-kinésithérapeute | Reprise d'activité |

## Orientation et signes d'alerte

- Essoufflement au repos, douleur thoracique : appeler le 15.
- Prise de poids rapide, œdèmes : avis du médecin traitant dans la journée.

## Références

- Parcours insuffisance cardiaque (document de démonstration).

## Date de révision

Dans deux ans.
`

const bodyPlaies = `## Objet

Harmoniser la prise en charge à domicile des plaies chroniques (ulcère de jambe, escarre) entre infirmiers, médecins et pharmaciens.

## Professionnels concernés

- Infirmier·ère libéral·e, médecin généraliste, pharmacien·ne

## Patients concernés

### Critères d'inclusion

- Plaie ouverte depuis plus de 6 semaines

### Critères d'exclusion

- Plaie du pied diabétique (protocole spécifique à écrire)

## Conduite à tenir / logigramme

1. Bilan initial : mesure, photographie, index de pression systolique pour un ulcère de jambe.
2. Choix du pansement selon le stade de la plaie.
3. Réévaluation toutes les deux semaines.

## Rôle de chaque profession

(à compléter)

## Orientation et signes d'alerte

- Signes d'infection, extension rapide : avis médical.

## Références

- (à compléter)

## Date de révision

À fixer à la validation.
`

const bodyGrippeV1 = `## Objet

Permettre à l'infirmier·ère de vacciner contre la grippe saisonnière les adultes éligibles, sans prescription médicale préalable.

## Professionnels concernés

- Infirmier·ère, pharmacien·ne, médecin généraliste

## Patients concernés

### Critères d'inclusion

- Adulte éligible à la vaccination selon le calendrier vaccinal en vigueur

### Critères d'exclusion

- Allergie grave connue à un composant du vaccin
- Réaction grave lors d'une vaccination antérieure

## Conduite à tenir / logigramme

1. Vérifier l'éligibilité et l'absence de contre-indication.
2. Vacciner, surveiller 15 minutes.

## Rôle de chaque profession

| Profession | Rôle |
| --- | --- |
| Infirmier·ère | Vaccination |
| Pharmacien·ne | Délivrance du vaccin |
| Médecin généraliste | Avis en cas de doute |

## Orientation et signes d'alerte

- Réaction allergique immédiate : adrénaline, appel du 15.

## Références

- Calendrier des vaccinations (document de démonstration).

## Date de révision

Avant chaque campagne.
`

const bodyGrippeV2 = `## Objet

Permettre à l'infirmier·ère de vacciner contre la grippe saisonnière les adultes éligibles, sans prescription médicale préalable.

## Professionnels concernés

- Infirmier·ère, pharmacien·ne, médecin généraliste

## Patients concernés

### Critères d'inclusion

- Adulte éligible à la vaccination selon le calendrier vaccinal en vigueur

### Critères d'exclusion

- Allergie grave connue à un composant du vaccin
- Réaction grave lors d'une vaccination antérieure

## Conduite à tenir / logigramme

1. Vérifier l'éligibilité et l'absence de contre-indication.
2. Vacciner, surveiller 15 minutes.
3. Tracer la vaccination dans le carnet de vaccination de Mon espace santé et informer le médecin traitant.

## Rôle de chaque profession

| Profession | Rôle |
| --- | --- |
| Infirmier·ère | Vaccination et traçabilité |
| Pharmacien·ne | Délivrance du vaccin, vérification de la traçabilité |
| Médecin généraliste | Avis en cas de doute |

## Orientation et signes d'alerte

- Réaction allergique immédiate : adrénaline, appel du 15.

## Références

- Calendrier des vaccinations (document de démonstration).

## Date de révision

Avant chaque campagne.
`

const bodyAVKV1 = `## Objet

Sécuriser le suivi de l'INR des patients sous antivitamine K (AVK) entre l'infirmier·ère qui prélève, le laboratoire qui transmet et le médecin qui adapte la dose.

## Professionnels concernés

- Infirmier·ère libéral·e, biologiste du laboratoire, médecin généraliste

## Patients concernés

### Critères d'inclusion

- Patient sous AVK suivi à domicile

### Critères d'exclusion

- Patient sous anticoagulant oral direct

## Conduite à tenir / logigramme

1. Prélèvement par l'infirmier·ère le matin.
2. Résultat transmis par le laboratoire au médecin et à l'infirmier·ère avant 16 h.
3. Le médecin adapte la dose et la note dans le carnet AVK.

## Rôle de chaque profession

| Profession | Rôle |
| --- | --- |
| Infirmier·ère | Prélèvement, éducation, carnet |
| Biologiste | Résultat et alerte |
| Médecin généraliste | Adaptation de la dose |

## Orientation et signes d'alerte

- Saignement, INR très élevé : appel du médecin sans délai.

## Références

- Bon usage des AVK (document de démonstration).

## Date de révision

Dans un an.
`

const bodyAVKV2 = `## Objet

Sécuriser le suivi de l'INR des patients sous antivitamine K (AVK) entre l'infirmier·ère qui prélève, le laboratoire qui transmet et le médecin qui adapte la dose.

## Professionnels concernés

- Infirmier·ère libéral·e, biologiste du laboratoire, médecin généraliste

## Patients concernés

### Critères d'inclusion

- Patient sous AVK suivi à domicile

### Critères d'exclusion

- Patient sous anticoagulant oral direct

## Conduite à tenir / logigramme

1. Prélèvement par l'infirmier·ère le matin.
2. Résultat transmis par le laboratoire au médecin et à l'infirmier·ère avant 16 h.
3. INR supérieur à 5 : le biologiste appelle le médecin par téléphone, sans attendre la transmission.
4. Le médecin adapte la dose et la note dans le carnet AVK.

## Rôle de chaque profession

| Profession | Rôle |
| --- | --- |
| Infirmier·ère | Prélèvement, éducation, carnet |
| Biologiste | Résultat et alerte téléphonique au-delà de 5 |
| Médecin généraliste | Adaptation de la dose |

## Orientation et signes d'alerte

- Saignement, INR très élevé : appel du médecin sans délai ; hémorragie grave : 15.

## Références

- Bon usage des AVK (document de démonstration).

## Date de révision

Dans un an.
`

const bodyChutes = `## Objet

Repérer les personnes âgées à risque de chute à domicile et leur proposer un parcours de prévention coordonné.

## Professionnels concernés

- Masseur-kinésithérapeute, infirmier·ère, médecin généraliste

## Patients concernés

### Critères d'inclusion

- Personne de 65 ans et plus ayant chuté dans l'année, ou ayant peur de tomber

### Critères d'exclusion

- Chute avec traumatisme non exploré

## Conduite à tenir / logigramme

1. Repérage : test « timed up and go » (plus de 14 secondes : risque élevé).
2. Revue des médicaments avec le médecin et le pharmacien.
3. Séances de rééducation de l'équilibre ; atelier collectif de la CPTS.
4. Visite du domicile : éclairage, tapis, salle de bains.

## Rôle de chaque profession

| Profession | Rôle |
| --- | --- |
| Masseur-kinésithérapeute | Bilan et rééducation de l'équilibre |
| Infirmier·ère | Repérage à domicile |
| Médecin généraliste | Bilan des causes, revue des traitements |

## Orientation et signes d'alerte

- Chute avec perte de connaissance ou impossibilité de se relever : avis médical urgent.

## Références

- Prévention des chutes des personnes âgées (document de démonstration).

## Date de révision

Tous les deux ans.
`

const bodyCanicule = `## Objet

Repérer et suivre les personnes âgées isolées pendant un épisode de canicule.

## Professionnels concernés

- Infirmier·ère, médecin généraliste, pharmacien·ne

## Patients concernés

### Critères d'inclusion

- Personne de 75 ans et plus vivant seule

### Critères d'exclusion

- Aucun

## Conduite à tenir / logigramme

1. Liste des personnes fragiles tenue par la coordination.
2. Appel quotidien pendant l'alerte.

## Rôle de chaque profession

Chacun signale les personnes isolées.

## Orientation et signes d'alerte

- Confusion, fièvre : 15.

## Références

- Plan canicule (document de démonstration).

## Date de révision

Remplacé par le plan crise de la CPTS.
`
