package demo

import (
	"context"
	"fmt"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/google/uuid"
)

// LoadMessages posts the demo conversations through core, as their authors
// would (rendering, mentions, threads, encryption of direct messages). Call
// it once, right after Load reported it filled the database.
func LoadMessages(ctx context.Context, st *store.Store, c *core.Core) error {
	sess := map[string]model.Session{}
	for _, email := range []string{
		"coordination@loire-nord.demo", "infirmiere@loire-nord.demo", "kine@loire-nord.demo",
		"pharmacie@loire-nord.demo", "pharmacien@val-de-cher.demo", "coordination@val-de-cher.demo",
		"sage-femme@loire-nord.demo", "orthophoniste@loire-nord.demo", "assistante-sociale@loire-nord.demo", "medecin@val-de-cher.demo",
	} {
		u, err := st.Users.ByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		sess[email] = model.Session{UserID: u.ID}
	}
	chans := map[string]model.ChannelID{}
	for _, who := range []string{"coordination@loire-nord.demo", "coordination@val-de-cher.demo"} {
		cs, err := c.ListChannels(ctx, sess[who], false)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		for _, ch := range cs {
			key := ch.Name
			if ch.CPTSID != "" && who == "coordination@val-de-cher.demo" {
				key = "vc:" + ch.Name
			}
			if _, ok := chans[key]; !ok {
				chans[key] = ch.ID
			}
		}
	}
	post := func(who, channel string, thread model.MessageID, body string) (model.MessageID, error) {
		ch, ok := chans[channel]
		if !ok {
			return "", fmt.Errorf("demo: no channel %q", channel)
		}
		m, _, err := c.SendMessage(ctx, sess[who], core.SendInput{Channel: ch, ClientID: uuid.NewString(), Body: body, ThreadID: thread})
		if err != nil {
			return "", fmt.Errorf("demo: post in %s: %w", channel, err)
		}
		return m.ID, nil
	}
	type line struct{ who, channel, body string }
	steps := []struct {
		root    line
		replies []line
	}{
		{root: line{"coordination@loire-nord.demo", "général", "Bienvenue sur **e-CPTS** ! Ce canal réunit tous les membres de la CPTS Loire Nord. Pensez à compléter votre profil (profession, commune) pour l'annuaire."}},
		{root: line{"infirmiere@loire-nord.demo", "général", "Bonjour à toutes et à tous, infirmière libérale sur Riorges. N'hésitez pas à me solliciter pour les retours à domicile après hospitalisation."}},
		{root: line{"pharmacie@loire-nord.demo", "général", "Rappel : la campagne de vaccination antigrippale a commencé, les officines du territoire vaccinent **sans rendez-vous**."},
			replies: []line{
				{"coordination@loire-nord.demo", "général", "Merci Inès ! Je relaie dans le canal des annonces."},
				{"kine@loire-nord.demo", "général", "Je transmets à mes patients suivis pour une BPCO."},
			}},
		{root: line{"coordination@loire-nord.demo", "soins-non-programmés", "Créneaux de soins non programmés demain au cabinet de Roanne : **11 h** et **17 h**. Répondez dans le fil pour en réserver un."},
			replies: []line{{"infirmiere@loire-nord.demo", "soins-non-programmés", "Je prends 11 h pour une personne de ma tournée (plaie à revoir). Merci !"}}},
		{root: line{"coordination@loire-nord.demo", "annonces", "**Assemblée générale** de la CPTS le jeudi 10 décembre à 19 h, salle des fêtes de Mably. L'ordre du jour suivra."}},
		{root: line{"kine@loire-nord.demo", "parcours-bpco", "Bonjour, je propose un atelier de réhabilitation respiratoire en janvier. Des patients intéressés côté Val de Cher ?"},
			replies: []line{{"pharmacien@val-de-cher.demo", "parcours-bpco", "@marc oui, deux officines de Romorantin peuvent relayer l'affiche."}}},
		{root: line{"coordination@val-de-cher.demo", "vc:général", "Bienvenue aux nouveaux membres de la CPTS Val de Cher ! @pharmaciens, la réunion officines est reportée à mardi."}},
		// What the search is measured on (search/testdata/relevance_fr.json).
		{root: line{"infirmiere@loire-nord.demo", "général", "Question pour les médecins : une patiente de ma tournée avait une tension à 17/10 ce matin, sans symptôme. Qui peut la voir aujourd'hui ?"},
			replies: []line{{"coordination@loire-nord.demo", "général", "Je peux la recevoir à 16 h. Suspicion d'hypertension artérielle non traitée : notez ses chiffres, on prévoira une MAPA."}}},
		{root: line{"coordination@loire-nord.demo", "annonces", "Atelier d'éducation thérapeutique pour les patients en insuffisance cardiaque le 15 janvier à la maison de santé de Riorges."}},
		{root: line{"infirmiere@loire-nord.demo", "soins-non-programmés", "Patient sous AVK avec un INR à 4,2 ce matin : son médecin traitant est absent, qui peut adapter la dose ?"},
			replies: []line{{"pharmacie@loire-nord.demo", "soins-non-programmés", "J'appelle son remplaçant. La cible de l'INR est entre 2 et 3, pas d'anticoagulant supplémentaire d'ici là."}}},
		{root: line{"kine@loire-nord.demo", "prévention-chutes", "Après une chute à domicile, je propose un bilan de l'équilibre et des séances de renforcement musculaire. Adressez-moi les patients repérés."}},
		{root: line{"infirmiere@loire-nord.demo", "prévention-chutes", "Repérage : trois personnes âgées de ma tournée sont tombées ce mois-ci, les tapis et les escaliers sont en cause."}},
		{root: line{"coordination@loire-nord.demo", "prévention-chutes", "L'atelier équilibre a lieu au centre social de Roanne tous les mardis à 14 h."}},
		{root: line{"pharmacie@loire-nord.demo", "général", "Les affiches du Mois sans tabac sont arrivées à l'officine : j'en dépose dans chaque cabinet cette semaine."}},
		{root: line{"pharmacie@loire-nord.demo", "général", "Sevrage tabagique : les substituts nicotiniques sont remboursés sur prescription, orientez vos patients fumeurs vers l'officine."}},
		{root: line{"sage-femme@loire-nord.demo", "général", "Suivi de grossesse : pour le dépistage du diabète gestationnel, je cherche une diététicienne sur Le Coteau."}},
		{root: line{"sage-femme@loire-nord.demo", "général", "Entretien prénatal précoce : orientez les futures mamans vers une sage-femme dès le premier trimestre."}},
		{root: line{"coordination@loire-nord.demo", "sortie-hospitalisation", "Sortie d'hospitalisation de Mme D. vers l'EHPAD de Villerest prévue vendredi : l'assistante sociale prépare le dossier."}},
		{root: line{"infirmiere@loire-nord.demo", "sortie-hospitalisation", "L'hospitalisation à domicile prend le relais pour les pansements complexes de M. R. dès sa sortie."}},
		{root: line{"assistante-sociale@loire-nord.demo", "sortie-hospitalisation", "Le service de soins infirmiers à domicile de Roanne aura une place libre à partir de lundi."}},
		{root: line{"sage-femme@loire-nord.demo", "bureau", "Le budget prévisionnel de l'association est à valider avant le conseil d'administration de janvier."},
			replies: []line{{"coordination@loire-nord.demo", "bureau", "Je l'inscris à l'ordre du jour, avec le rapport d'activité de la trésorière."}}},
		{root: line{"orthophoniste@loire-nord.demo", "général", "Orthophoniste à Villerest : je prends de nouveaux patients pour les troubles du langage de l'enfant."}},
		{root: line{"orthophoniste@loire-nord.demo", "général", "Bilan de déglutition après un AVC : je peux me déplacer au domicile des patients."}},
		{root: line{"kine@loire-nord.demo", "général", "Cabinet de kinésithérapie fermé du 24 au 31 décembre, un confrère assure les urgences respiratoires."}},
		{root: line{"coordination@loire-nord.demo", "général", "Quatre patients de Mably cherchent un médecin traitant : merci de signaler vos disponibilités à la coordination."}},
		{root: line{"infirmiere@loire-nord.demo", "général", "Formation aux gestes d'urgence le 12 février : inscriptions auprès de la coordination."}},
		{root: line{"coordination@loire-nord.demo", "général", "Le protocole de prise en charge de la cystite simple chez la femme est validé : après un TROD positif, les pharmaciens délivrent la fosfomycine."}},
		{root: line{"coordination@loire-nord.demo", "annonces", "Journée de dépistage de la rétinopathie diabétique avec les ophtalmologistes du territoire le 3 mars."}},
		{root: line{"coordination@loire-nord.demo", "soins-non-programmés", "Les créneaux du samedi sont complets : orientez vers la permanence de Mably."}},
		{root: line{"coordination@loire-nord.demo", "parcours-bpco", "Rappel : la spirométrie de dépistage de la bronchopneumopathie chronique obstructive est gratuite en janvier dans les deux CPTS."}},
		{root: line{"pharmacien@val-de-cher.demo", "parcours-bpco", "Pour les inhalateurs, je fais une vérification de la technique de prise à chaque renouvellement."}},
		{root: line{"medecin@val-de-cher.demo", "vc:général", "Permanence de soins non programmés le samedi matin à Saint-Aignan à partir de janvier."}},
		{root: line{"medecin@val-de-cher.demo", "vc:général", "Je cherche une infirmière pour des injections d'insuline à Selles-sur-Cher, trois passages par jour."}},
		{root: line{"coordination@val-de-cher.demo", "vc:général", "Dépistage du cancer colorectal : les kits sont disponibles dans toutes les pharmacies du territoire."}},
		{root: line{"pharmacien@val-de-cher.demo", "vc:général", "La téléconsultation assistée est disponible à l'officine de Romorantin, sur rendez-vous."}},
		{root: line{"pharmacien@val-de-cher.demo", "vc:officines", "Rupture d'amoxicilline : pensez aux alternatives, je tiens une liste à jour des stocks."}},
		{root: line{"coordination@val-de-cher.demo", "vc:officines", "Campagne de vaccination contre la rougeole : vérifiez le carnet de santé des jeunes adultes."}},
	}
	for _, s := range steps {
		root, err := post(s.root.who, s.root.channel, "", s.root.body)
		if err != nil {
			return err
		}
		for _, r := range s.replies {
			if _, err := post(r.who, r.channel, root, r.body); err != nil {
				return err
			}
		}
	}
	// A direct conversation across the two CPTS (they share the BPCO group).
	pharma, err := st.Users.ByEmail(ctx, "pharmacien@val-de-cher.demo")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	conv, _, err := c.OpenConversation(ctx, sess["kine@loire-nord.demo"], []model.UserID{pharma.ID})
	if err != nil {
		return fmt.Errorf("demo: conversation: %w", err)
	}
	chans["dm"] = conv.ID
	if _, err := post("kine@loire-nord.demo", "dm", "", "Bonjour Julien, merci pour le relais de l'atelier BPCO ! Je vous envoie le programme cette semaine."); err != nil {
		return err
	}
	if _, err := post("pharmacien@val-de-cher.demo", "dm", "", "Avec plaisir, je l'affiche en officine dès réception."); err != nil {
		return err
	}
	// A word found nowhere else: the search tests check that it reaches no
	// index file and that only the two participants find it.
	_, err = post("kine@loire-nord.demo", "dm", "", "Pour la réunion, la salle s'appelle Capucine : demandez-la à l'accueil.")
	return err
}
