package demo

import (
	"context"
	"fmt"
	"time"
	_ "time/tzdata" // the demo history is dated in Europe/Paris on any host

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/google/uuid"
)

// LoadMessages posts the demo conversations through core, as their authors
// would (rendering, mentions, threads, encryption of direct messages),
// dated over the past days in Paris working hours (so that day separators
// and "hier" show). Call it once, right after Load reported it filled the
// database.
func LoadMessages(ctx context.Context, st *store.Store, c *core.Core) error {
	return LoadMessagesAt(ctx, st, c, time.Now())
}

// paris is where the demo's working hours are.
var paris = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("demo: Europe/Paris: " + err.Error()) // time/tzdata is embedded
	}
	return l
}()

// when dates a demo message: daysAgo days before now at hh:mm in Paris,
// Sundays not counted (nobody posts then), or, for today (daysAgo 0),
// minutes before now (mm; hh unused) so that it is never in the future.
type when struct{ daysAgo, hh, mm int }

func (w when) at(now time.Time) time.Time {
	if w.daysAgo == 0 {
		return now.Add(-time.Duration(w.mm) * time.Minute)
	}
	d := now.In(paris)
	for n := 0; n < w.daysAgo; {
		d = d.AddDate(0, 0, -1)
		if d.Weekday() != time.Sunday {
			n++
		}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), w.hh, w.mm, 0, 0, paris)
}

// LoadMessagesAt is LoadMessages with the present at now.
func LoadMessagesAt(ctx context.Context, st *store.Store, c *core.Core, now time.Time) error {
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
	var last time.Time
	post := func(who, channel string, thread model.MessageID, body string, w when) (model.MessageID, error) {
		ch, ok := chans[channel]
		if !ok {
			return "", fmt.Errorf("demo: no channel %q", channel)
		}
		at := w.at(now)
		if !at.After(last) {
			return "", fmt.Errorf("demo: the message %q is not dated after the one before", body)
		}
		last = at
		m, _, err := c.SendMessage(ctx, sess[who], core.SendInput{Channel: ch, ClientID: uuid.NewString(), Body: body, ThreadID: thread, At: at})
		if err != nil {
			return "", fmt.Errorf("demo: post in %s: %w", channel, err)
		}
		return m.ID, nil
	}
	type line struct {
		who, channel, body string
		w                  when
	}
	// In the order they were written: seqs follow dates.
	steps := []struct {
		root    line
		replies []line
	}{
		// What the search is measured on (search/testdata/relevance_fr.json).
		{root: line{"infirmiere@loire-nord.demo", "général", "Question pour les médecins : une patiente de ma tournée avait une tension à 17/10 ce matin, sans symptôme. Qui peut la voir aujourd'hui ?", when{9, 8, 5}},
			replies: []line{{"coordination@loire-nord.demo", "général", "Je peux la recevoir à 16 h. Suspicion d'hypertension artérielle non traitée : notez ses chiffres, on prévoira une MAPA.", when{9, 8, 30}}}},
		{root: line{"coordination@loire-nord.demo", "annonces", "Atelier d'éducation thérapeutique pour les patients en insuffisance cardiaque le 15 janvier à la maison de santé de Riorges.", when{9, 8, 50}}},
		{root: line{"infirmiere@loire-nord.demo", "soins-non-programmés", "Patient sous AVK avec un INR à 4,2 ce matin : son médecin traitant est absent, qui peut adapter la dose ?", when{9, 9, 35}},
			replies: []line{{"pharmacie@loire-nord.demo", "soins-non-programmés", "J'appelle son remplaçant. La cible de l'INR est entre 2 et 3, pas d'anticoagulant supplémentaire d'ici là.", when{9, 9, 55}}}},
		{root: line{"kine@loire-nord.demo", "prévention-chutes", "Après une chute à domicile, je propose un bilan de l'équilibre et des séances de renforcement musculaire. Adressez-moi les patients repérés.", when{9, 10, 20}}},
		{root: line{"infirmiere@loire-nord.demo", "prévention-chutes", "Repérage : trois personnes âgées de ma tournée sont tombées ce mois-ci, les tapis et les escaliers sont en cause.", when{9, 11, 5}}},
		{root: line{"coordination@loire-nord.demo", "prévention-chutes", "L'atelier équilibre a lieu au centre social de Roanne tous les mardis à 14 h.", when{9, 11, 50}}},
		{root: line{"pharmacie@loire-nord.demo", "général", "Les affiches du Mois sans tabac sont arrivées à l'officine : j'en dépose dans chaque cabinet cette semaine.", when{9, 14, 10}}},
		{root: line{"pharmacie@loire-nord.demo", "général", "Sevrage tabagique : les substituts nicotiniques sont remboursés sur prescription, orientez vos patients fumeurs vers l'officine.", when{9, 14, 55}}},
		{root: line{"sage-femme@loire-nord.demo", "général", "Suivi de grossesse : pour le dépistage du diabète gestationnel, je cherche une diététicienne sur Le Coteau.", when{9, 15, 40}}},
		{root: line{"sage-femme@loire-nord.demo", "général", "Entretien prénatal précoce : orientez les futures mamans vers une sage-femme dès le premier trimestre.", when{9, 16, 25}}},
		{root: line{"coordination@loire-nord.demo", "sortie-hospitalisation", "Sortie d'hospitalisation de Mme D. vers l'EHPAD de Villerest prévue vendredi : l'assistante sociale prépare le dossier.", when{9, 17, 10}}},
		{root: line{"infirmiere@loire-nord.demo", "sortie-hospitalisation", "L'hospitalisation à domicile prend le relais pour les pansements complexes de M. R. dès sa sortie.", when{8, 8, 5}}},
		{root: line{"assistante-sociale@loire-nord.demo", "sortie-hospitalisation", "Le service de soins infirmiers à domicile de Roanne aura une place libre à partir de lundi.", when{8, 8, 50}}},
		{root: line{"sage-femme@loire-nord.demo", "bureau", "Le budget prévisionnel de l'association est à valider avant le conseil d'administration de janvier.", when{8, 9, 35}},
			replies: []line{{"coordination@loire-nord.demo", "bureau", "Je l'inscris à l'ordre du jour, avec le rapport d'activité de la trésorière.", when{8, 9, 55}}}},
		{root: line{"orthophoniste@loire-nord.demo", "général", "Orthophoniste à Villerest : je prends de nouveaux patients pour les troubles du langage de l'enfant.", when{8, 10, 20}}},
		{root: line{"orthophoniste@loire-nord.demo", "général", "Bilan de déglutition après un AVC : je peux me déplacer au domicile des patients.", when{8, 11, 5}}},
		{root: line{"kine@loire-nord.demo", "général", "Cabinet de kinésithérapie fermé du 24 au 31 décembre, un confrère assure les urgences respiratoires.", when{8, 11, 50}}},
		{root: line{"coordination@loire-nord.demo", "général", "Quatre patients de Mably cherchent un médecin traitant : merci de signaler vos disponibilités à la coordination.", when{8, 14, 10}}},
		{root: line{"infirmiere@loire-nord.demo", "général", "Formation aux gestes d'urgence le 12 février : inscriptions auprès de la coordination.", when{8, 14, 55}}},
		{root: line{"coordination@loire-nord.demo", "général", "Le protocole de prise en charge de la cystite simple chez la femme est validé : après un TROD positif, les pharmaciens délivrent la fosfomycine.", when{8, 15, 40}}},
		{root: line{"coordination@loire-nord.demo", "annonces", "Journée de dépistage de la rétinopathie diabétique avec les ophtalmologistes du territoire le 3 mars.", when{8, 16, 25}}},
		{root: line{"coordination@loire-nord.demo", "soins-non-programmés", "Les créneaux du samedi sont complets : orientez vers la permanence de Mably.", when{8, 17, 10}}},
		{root: line{"coordination@loire-nord.demo", "parcours-bpco", "Rappel : la spirométrie de dépistage de la bronchopneumopathie chronique obstructive est gratuite en janvier dans les deux CPTS.", when{7, 8, 5}}},
		{root: line{"pharmacien@val-de-cher.demo", "parcours-bpco", "Pour les inhalateurs, je fais une vérification de la technique de prise à chaque renouvellement.", when{7, 8, 50}}},
		{root: line{"medecin@val-de-cher.demo", "vc:général", "Permanence de soins non programmés le samedi matin à Saint-Aignan à partir de janvier.", when{7, 9, 35}}},
		{root: line{"medecin@val-de-cher.demo", "vc:général", "Je cherche une infirmière pour des injections d'insuline à Selles-sur-Cher, trois passages par jour.", when{7, 10, 20}}},
		{root: line{"coordination@val-de-cher.demo", "vc:général", "Dépistage du cancer colorectal : les kits sont disponibles dans toutes les pharmacies du territoire.", when{7, 11, 5}}},
		{root: line{"pharmacien@val-de-cher.demo", "vc:général", "La téléconsultation assistée est disponible à l'officine de Romorantin, sur rendez-vous.", when{7, 11, 50}}},
		{root: line{"pharmacien@val-de-cher.demo", "vc:officines", "Rupture d'amoxicilline : pensez aux alternatives, je tiens une liste à jour des stocks.", when{7, 14, 10}}},
		{root: line{"coordination@val-de-cher.demo", "vc:officines", "Campagne de vaccination contre la rougeole : vérifiez le carnet de santé des jeunes adultes.", when{7, 14, 55}}},
		{root: line{"coordination@loire-nord.demo", "général", "Bienvenue sur **e-CPTS** ! Ce canal réunit tous les membres de la CPTS Loire Nord. Pensez à compléter votre profil (profession, commune) pour l'annuaire.", when{4, 8, 47}}},
		{root: line{"infirmiere@loire-nord.demo", "général", "Bonjour à toutes et à tous, infirmière libérale sur Riorges. N'hésitez pas à me solliciter pour les retours à domicile après hospitalisation.", when{4, 12, 31}}},
		{root: line{"coordination@val-de-cher.demo", "vc:général", "Bienvenue aux nouveaux membres de la CPTS Val de Cher ! La réunion des officines aura lieu en fin de mois, l'ordre du jour suivra.", when{4, 17, 5}}},
		{root: line{"pharmacie@loire-nord.demo", "général", "Rappel : la campagne de vaccination antigrippale a commencé, les officines du territoire vaccinent **sans rendez-vous**.", when{3, 9, 14}},
			replies: []line{
				{"coordination@loire-nord.demo", "général", "Merci Inès ! Je relaie dans le canal des annonces.", when{3, 9, 52}},
				{"kine@loire-nord.demo", "général", "Je transmets à mes patients suivis pour une BPCO.", when{3, 13, 20}},
			}},
		{root: line{"coordination@loire-nord.demo", "annonces", "**Assemblée générale** de la CPTS le jeudi 10 décembre à 19 h, salle des fêtes de Mably. L'ordre du jour suivra.", when{3, 16, 40}}},
		{root: line{"kine@loire-nord.demo", "parcours-bpco", "Bonjour, je propose un atelier de réhabilitation respiratoire en janvier. Des patients intéressés côté Val de Cher ?", when{2, 10, 5}},
			replies: []line{{"pharmacien@val-de-cher.demo", "parcours-bpco", "@marc oui, deux officines de Romorantin peuvent relayer l'affiche.", when{2, 14, 38}}}},
		{root: line{"coordination@loire-nord.demo", "soins-non-programmés", "Créneaux de soins non programmés demain au cabinet de Roanne : **11 h** et **17 h**. Répondez dans le fil pour en réserver un.", when{1, 8, 22}},
			replies: []line{{"infirmiere@loire-nord.demo", "soins-non-programmés", "Je prends 11 h pour une personne de ma tournée (plaie à revoir). Merci !", when{1, 8, 41}}}},
		{root: line{"coordination@val-de-cher.demo", "vc:général", "@pharmaciens, la réunion des officines est reportée à mardi, même heure.", when{1, 11, 3}}},
		{root: line{"pharmacie@loire-nord.demo", "général", "Rupture signalée sur l'amoxicilline buvable : nous orientons vers les officines de Mably et du Coteau, qui en ont encore.", when{1, 15, 26}}},
		{root: line{"kine@loire-nord.demo", "général", "Quelqu'un a-t-il le contact de l'équipe mobile de gériatrie de Roanne ? @sophie peut-être ?", when{0, 0, 95}}},
		{root: line{"coordination@loire-nord.demo", "soins-non-programmés", "Un créneau s'est libéré à **16 h 30** cet après-midi à Riorges.", when{0, 0, 35}}},
	}
	for _, s := range steps {
		root, err := post(s.root.who, s.root.channel, "", s.root.body, s.root.w)
		if err != nil {
			return err
		}
		for _, r := range s.replies {
			if _, err := post(r.who, r.channel, root, r.body, r.w); err != nil {
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
	if _, err := post("kine@loire-nord.demo", "dm", "", "Bonjour Julien, merci pour le relais de l'atelier BPCO ! Je vous envoie le programme cette semaine.", when{0, 0, 20}); err != nil {
		return err
	}
	if _, err := post("pharmacien@val-de-cher.demo", "dm", "", "Avec plaisir, je l'affiche en officine dès réception.", when{0, 0, 8}); err != nil {
		return err
	}
	// A word found nowhere else: the search tests check that it reaches no
	// index file and that only the two participants find it.
	_, err = post("kine@loire-nord.demo", "dm", "", "Pour la réunion, la salle s'appelle Capucine : demandez-la à l'accueil.", when{0, 0, 4})
	return err
}
